/**
 * A clean run of every demo page logs no error: no console error in the page, its frames
 * or its service worker, no uncaught exception, no failed request (the favicon included).
 * Each page starts, logs in and calls the API once, as a first visitor would.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { OIDC_PORT } from '../../playwright.config.js';
import { WAIT } from './bounds.js';
import { expect, test } from './fixtures.js';

/**
 * oidc-provider's development login page loads a web font from Google, which this machine
 * (no internet) cannot reach: the provider's page, not ours, and not a failure with internet.
 */
const PROVIDER_FONT = 'https://fonts.googleapis.com/';

/** Collects every error the context's pages, frames and workers report. */
function recordErrors(context: BrowserContext, page: Page): string[] {
  const errors: string[] = [];
  const onConsole = (message: { type(): string; text(): string; location(): { url: string } }) => {
    if (message.type() === 'error' && !message.location().url.startsWith(PROVIDER_FONT)) errors.push(`console: ${message.text()}`);
  };
  context.on('console', onConsole);
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  context.on('requestfailed', (request) => {
    if (!request.url().startsWith(PROVIDER_FONT)) errors.push(`failed: ${request.url()} ${request.failure()?.errorText}`);
  });
  context.on('response', (response) => {
    if (response.status() >= 400) errors.push(`${response.status()}: ${response.url()}`);
  });
  return errors;
}

const MOCK_PAGES = ['/', '/sealed/', '/offline/', '/dpop/', '/dpop-handoff/', '/apis/', '/classic/', '/workbox/', '/pwa/', '/vault/', '/recipe.html', '/bench/', '/bench/passthrough/'];

for (const path of MOCK_PAGES) {
  test(`${path}: starts, logs in and calls the API with no console error and no failed request`, async ({ context, page }) => {
    const errors = recordErrors(context, page);
    await page.goto(path);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: WAIT.message });
    // The broker pages share window.demo; the recipe and bench pages have their own.
    const hasDemo = await page.evaluate(() => 'demo' in window);
    if (hasDemo) {
      await page.evaluate(() => window.demo.broker.login({ username: 'demo', password: 'demo' }));
      expect(await page.evaluate(() => window.demo.api.get('/api/data').then((response) => response.status))).toBe(200);
    }
    await page.waitForTimeout(500);
    expect(errors).toEqual([]);
  });
}

test('the OpenID demo and oidc-provider\'s login pages: no console error and no failed request', async ({ context, page }) => {
  const errors = recordErrors(context, page);
  await page.goto(`http://127.0.0.1:${OIDC_PORT}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.locator('#login').click();
  await page.waitForURL(/\/oidc\//);
  await page.fill('input[name=login]', 'alice');
  await page.fill('input[name=password]', 'anything');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/oidc/') || url.pathname.includes('/interaction/'));
  const consent = page.locator('button:has-text("Continue")');
  if (page.url().includes('/interaction/') && (await consent.count())) await consent.click();
  await page.waitForURL(`http://127.0.0.1:${OIDC_PORT}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  expect(await page.evaluate(() => window.demo.api.get('/api/data').then((response) => response.status))).toBe(200);
  await page.waitForTimeout(500);
  expect(errors).toEqual([]);
});
