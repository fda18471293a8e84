// @ts-check
/**
 * The library's layout rules (issue 38), checked by `npm test` (tests/unit/repo/layout.test.ts)
 * and runnable alone (`node scripts/check-layout.mjs`): no import circle among the library's
 * own modules (type imports count: they are a boundary too), no library file over 400 lines,
 * and `sw/broker.ts`, the session's front door, at most 350.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The folders users import from (an entry each) and what they share. */
export const LIBRARY_FOLDERS = ['protocol', 'src', 'sw', 'fallback', 'vault', 'react', 'vue', 'bindings', 'angular', 'svelte'];
export const MAX_LINES = 400;
export const MAX_BROKER_LINES = 350;

/** @param {string} root @returns {{ circles: string[][], oversized: Array<[string, number]>, brokerLines: number }} */
export function checkLayout(root = process.cwd()) {
  /** @type {string[]} */
  const files = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const folder of LIBRARY_FOLDERS) if (existsSync(join(root, folder))) walk(join(root, folder));

  /** @type {Map<string, string[]>} */
  const imports = new Map();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = [];
    for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) {
      const target = resolve(dirname(file), match[1]).replace(/\.js$/, '.ts');
      const candidates = [target, `${target}.ts`, join(target, 'index.ts')];
      const found = candidates.find((candidate) => files.includes(candidate));
      if (found) targets.push(found);
    }
    imports.set(file, targets);
  }

  // Tarjan's strongly connected components: each of more than one file is a circle.
  let counter = 0;
  /** @type {string[]} */
  const stack = [];
  const onStack = new Set();
  /** @type {Map<string, number>} */
  const index = new Map();
  /** @type {Map<string, number>} */
  const low = new Map();
  /** @type {string[][]} */
  const circles = [];
  /** @param {string} file */
  const visit = (file) => {
    index.set(file, counter);
    low.set(file, counter++);
    stack.push(file);
    onStack.add(file);
    for (const target of imports.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component = [];
    let member;
    do {
      member = /** @type {string} */ (stack.pop());
      onStack.delete(member);
      component.push(relative(root, member));
    } while (member !== file);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);

  const lines = (/** @type {string} */ file) => readFileSync(file, 'utf8').split('\n').length;
  /** @type {Array<[string, number]>} */
  const oversized = files.map((file) => /** @type {[string, number]} */ ([relative(root, file), lines(file)])).filter(([, count]) => count > MAX_LINES);
  const broker = join(root, 'sw/broker.ts');
  return { circles, oversized, brokerLines: existsSync(broker) ? lines(broker) : 0 };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const { circles, oversized, brokerLines } = checkLayout();
  for (const circle of circles) console.log(`import circle: ${circle.join(' -> ')}`);
  for (const [file, count] of oversized) console.log(`${file}: ${count} lines (at most ${MAX_LINES})`);
  if (brokerLines > MAX_BROKER_LINES) console.log(`sw/broker.ts: ${brokerLines} lines (at most ${MAX_BROKER_LINES})`);
  const ok = circles.length === 0 && oversized.length === 0 && brokerLines <= MAX_BROKER_LINES;
  console.log(ok ? 'layout: no import circle, no file over the limit' : 'layout: see above');
  process.exit(ok ? 0 : 1);
}
