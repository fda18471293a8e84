/** The page-side fallback's config check and its one leading tab (Node's BroadcastChannel; two "tabs" in one process). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/index.js';
import { checkPageConfig } from '../../../fallback/page-broker.js';
import { channelElection } from '../../../fallback/election.js';
import { backgroundSyncQueue, jsonEndpoint } from '../../../sw/index.js';

const endpoint = jsonEndpoint({ loginUrl: 'https://id.example.com/login', refreshUrl: 'https://id.example.com/refresh' });
const base = { endpoint, apiAllowlist: ['https://api.example.com'] };

describe('checkPageConfig: what a page can run, decided at registration', () => {
  it("runs handoff's config as mode 'page'", () => {
    expect(checkPageConfig(base).mode).toBe('page');
  });

  it('refuses sealed mode and the offline queue with not-supported, saying why', () => {
    for (const config of [{ ...base, mode: 'sealed' as const }, { ...base, offlineQueue: backgroundSyncQueue() }]) {
      let caught: unknown;
      try {
        checkPageConfig(config);
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: ErrorCode.NotSupported, message: expect.stringMatching(/needs a service worker/) });
    }
  });

  it('refuses an invalid config with misconfigured, as the worker would', () => {
    expect(() => checkPageConfig({ ...base, apiAllowlist: [] })).toThrow(expect.objectContaining({ code: ErrorCode.Misconfigured }));
  });
});

describe('the election over BroadcastChannel (where Web Locks are refused)', () => {
  const handles: Array<{ close(): void }> = [];
  afterEach(() => {
    for (const handle of handles.splice(0)) handle.close();
  });

  it('makes exactly one of three tabs lead, the oldest, and a new one when it resigns', { timeout: 15_000 }, async () => {
    const name = `test-election-${Math.random()}`;
    const led: number[] = [];
    for (let tab = 0; tab < 3; tab++) {
      handles.push(channelElection(name)(() => led.push(tab)));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await vi.waitFor(() => expect(led.length).toBeGreaterThan(0), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // time for a wrong second leader to appear
    expect(led).toEqual([0]);
    handles[0].close(); // the leader closes: it says so
    await vi.waitFor(() => expect(led.length).toBeGreaterThan(1), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(led).toEqual([0, 1]);
  });
});
