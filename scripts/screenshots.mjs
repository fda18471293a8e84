// @ts-check
/**
 * `npm run screenshots`: regenerates the README's and CONTRIBUTING's pictures from the built
 * demo, doing what their captions say (three tabs, log in, expire the access token at the
 * server, fire in every tab at once: the 401 path; and the offline panel's writes from two
 * tabs), and records a hash of the demo's UI sources beside them
 * (docs/screenshots.json). A unit test compares that hash with the sources, so a change to
 * the demo's UI without new pictures fails the tests.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, findOrInstallChromium } from './find-browser.mjs';
import { isPortFree } from './ports.mjs';
import { screenshotSourcesHash } from './screenshot-sources.mjs';

/**
 * Three tabs, log in, expire the access token at the server, fire in every tab at once.
 * @param {import('playwright-core').Page[]} tabs
 */
async function storm([first]) {
  await first.click('#reset-counters');
  await first.click('#login');
  await first.waitForTimeout(1000);
  await first.click('#expire');
  await first.waitForTimeout(300);
  await first.click('#fire-all');
  await first.waitForTimeout(2500);
}

/**
 * The offline panel: log in, take the network down, three notes from two tabs, expire the
 * access token at the server, bring the network back.
 * @param {import('playwright-core').Page[]} tabs
 */
async function offline([first, second]) {
  await first.click('#reset-counters');
  await first.click('#login');
  await first.waitForTimeout(1000);
  await first.click('#network-toggle');
  await first.waitForTimeout(300);
  for (const tab of [first, second, first]) {
    await tab.click('#write-note');
    await tab.waitForTimeout(300);
  }
  await first.click('#expire');
  await first.waitForTimeout(300);
  await first.click('#network-toggle');
  await first.waitForTimeout(2500);
}

/** The pictures: which page, how many tabs, what is done in them, and the file. */
const SHOTS = [
  { path: '/', tabs: 3, run: storm, file: 'docs/demo.png' },
  { path: '/recipe.html', tabs: 3, run: storm, file: 'docs/recipe.png' },
  { path: '/offline/', tabs: 2, run: offline, file: 'docs/offline.png', fullPage: true },
];
// The demo's default: the expiry comes from the page's "Expire the access token at the server".
const ACCESS_TTL_SECONDS = 30;

let port = 5480;
while (!(await isPortFree(port)) || !(await isPortFree(port + 1))) port += 2;
const base = `http://127.0.0.1:${port}`;
const server = spawn(process.execPath, ['dist/server/main.js'], {
  env: { ...process.env, PORT: String(port), VAULT_PORT: String(port + 1), ACCESS_TTL: String(ACCESS_TTL_SECONDS), REFRESH_DELAY_MS: '100' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve, reject) => {
  server.once('exit', (code) => reject(new Error(`demo server exited with ${code}: run npm run build:demo first`)));
  server.stdout?.on('data', (chunk) => String(chunk).includes('http://') && resolve(undefined));
});

const browser = await chromium.launch({ executablePath: findOrInstallChromium(), args: CHROMIUM_ARGS });
try {
  for (const shot of SHOTS) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const tabs = [];
    for (let i = 0; i < shot.tabs; i++) {
      const tab = await context.newPage();
      await tab.goto(base + shot.path);
      await tab.waitForFunction(() => document.body.dataset.ready === 'true');
      tabs.push(tab);
    }
    await shot.run(tabs);
    await tabs[0].screenshot({ path: shot.file, fullPage: shot.fullPage ?? false });
    console.log(`screenshots: ${shot.file}`);
    await context.close();
  }
} finally {
  await browser.close();
  server.kill();
}
writeFileSync('docs/screenshots.json', `${JSON.stringify({ sourcesHash: screenshotSourcesHash(), files: SHOTS.map((shot) => shot.file) }, null, 2)}\n`);
console.log('screenshots: docs/screenshots.json');
