/** The page-side fallback's config check and its one leading tab (Node's BroadcastChannel; two "tabs" in one process). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../../protocol/index.js';
import { checkPageConfig } from '../../../fallback/page-broker.js';
import { channelElection, type Election } from '../../../fallback/election.js';
import { LeaderTransport } from '../../../fallback/leader.js';
import type { PageBroker } from '../../../fallback/page-broker.js';
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

describe('the leading tab answers the others over the channel', () => {
  it('answers a request once, even when its tab sends it again (a login never runs twice), and delivers events to every tab', async () => {
    const name = `test-leader-${Math.random()}`;
    const answered: string[] = [];
    const broker: PageBroker = {
      storage: 'memory',
      answer: async (message) => {
        const { id, type } = message as { id: string; type: string };
        answered.push(type);
        return { ok: true, id, status: { loggedIn: true } } as never;
      },
    };
    const leads: Election = (lead) => (setTimeout(lead), { probe: () => undefined, close: () => undefined });
    const follows: Election = () => ({ probe: () => undefined, close: () => undefined });
    const leader = new LeaderTransport(name, 'https://app.test/', 5_000, leads, async () => broker);
    const follower = new LeaderTransport(name, 'https://app.test/', 5_000, follows, async () => broker);
    const seen: unknown[] = [];
    follower.listen((event) => seen.push(event));
    try {
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await follower.send('login', { credentials: { username: 'a', password: 'b' } })).toMatchObject({ ok: true });
      // The same request again, as a tab that learnt of the leader late re-sends it.
      const channel = new BroadcastChannel(`sw-token-broker:fallback:${name}`);
      channel.postMessage({ kind: 'request', id: 'repeat-1', message: { type: 'login', id: 'repeat-1' } });
      channel.postMessage({ kind: 'request', id: 'repeat-1', message: { type: 'login', id: 'repeat-1' } });
      channel.postMessage({ kind: 'event', event: { protocol: 'sw-token-broker', v: 1, broker: name, event: 'login', status: { loggedIn: true } } });
      await new Promise((resolve) => setTimeout(resolve, 50));
      channel.close();
      expect(answered).toEqual(['login', 'login']);
      expect(seen).toHaveLength(1);
    } finally {
      leader.close();
      follower.close();
    }
  });
});

