import { expect, fireCalls, login, rawMessage, stopWorkers, test } from './fixtures.js';

const getToken = { protocol: 'sw-token-broker', v: 1, id: 'g1', type: 'getToken' };

test('the worker logs in, serves one access token to two tabs, and keeps the session across a worker stop', async ({ openTab, server }) => {
  const a = await openTab('/');
  const b = await openTab('/');
  await login(a);
  const fromA = await rawMessage(a, getToken);
  const fromB = await rawMessage(b, getToken);
  expect(fromA).toMatchObject({ ok: true, generation: 1 });
  expect(fromB.accessToken).toBe(fromA.accessToken);

  await stopWorkers(a);
  // The next message wakes the worker; the session comes back from IndexedDB.
  const afterRestart = await rawMessage(b, getToken);
  expect(afterRestart).toMatchObject({ ok: true, accessToken: fromA.accessToken, generation: 1 });
  expect(await fireCalls(b, 5)).toEqual({ ok: 5, errors: [] });
  expect(await server.stats()).toMatchObject({ logins: 1, refreshes: 0, apiCalls: 5, api401: 0 });
});

test('a tab that reports a 401 for the current token gets a refreshed one, and a stale report reuses it', async ({ openTab, server }) => {
  const a = await openTab('/');
  const b = await openTab('/');
  await login(a);
  const first = await rawMessage(a, getToken);
  const refreshed = await rawMessage(a, { ...getToken, type: 'refresh', failedToken: first.accessToken });
  expect(refreshed).toMatchObject({ ok: true, generation: 2 });
  expect(refreshed.accessToken).not.toBe(first.accessToken);
  const stale = await rawMessage(b, { ...getToken, type: 'refresh', failedToken: first.accessToken });
  expect(stale.accessToken).toBe(refreshed.accessToken);
  expect(await server.stats()).toMatchObject({ refreshes: 1, reuseDetected: 0 });
});
