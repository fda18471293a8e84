// @ts-check
/** The demo's UI sources the screenshots show: their hash says whether the pictures are current. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export const SCREENSHOT_SOURCES = ['demo/layout.ts', 'demo/ui.ts', 'demo/controls.ts', 'demo/style.css', 'demo/index.html', 'demo/recipe.html', 'demo/app.ts', 'demo/recipe.ts', 'demo/offline-panel.ts'];

/** A hash of the sources, with line endings normalised (a checkout on Windows must not differ). */
export function screenshotSourcesHash() {
  const hash = createHash('sha256');
  for (const file of SCREENSHOT_SOURCES) hash.update(file).update('\0').update(readFileSync(file, 'utf8').replace(/\r\n/g, '\n')).update('\0');
  return hash.digest('hex');
}
