import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../server/app.js';

let base = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const { server } = createApp({ accessTtlSeconds: 30, testHooks: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

const post = (path: string, body: string, type = 'application/json') =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': type }, body });
const login = async () => (await post('/auth/login', JSON.stringify({ username: 'demo', password: 'demo' }))).json();

describe('the mock auth server', () => {
  it('answers bad requests with clear JSON errors instead of crashing', async () => {
    const notJson = await post('/auth/login', '{not json');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: 'invalid_request', error_description: 'Body is not JSON' });
    const array = await post('/auth/refresh', '[1,2]');
    expect(await array.json()).toEqual({ error: 'invalid_request', error_description: 'Body must be a JSON object' });
    const huge = await post('/auth/login', JSON.stringify({ username: 'x'.repeat(70_000) }));
    expect(huge.status).toBe(413);
    const unknown = await fetch(`${base}/api/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'not_found' });
    const grant = await post('/oauth/token', 'grant_type=magic', 'application/x-www-form-urlencoded');
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    // Still serving.
    expect((await fetch(`${base}/auth/stats`)).status).toBe(200);
  });

  it('rotates refresh tokens and revokes the whole family when a rotated one is presented again', async () => {
    await post('/auth/stats/reset', '');
    const first = await login();
    const second = await (await post('/auth/refresh', JSON.stringify({ refreshToken: first.refreshToken }))).json();
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const reuse = await post('/auth/refresh', JSON.stringify({ refreshToken: first.refreshToken }));
    expect(reuse.status).toBe(400);
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    // The family is gone: the newest refresh token and its access token are dead too.
    expect((await post('/auth/refresh', JSON.stringify({ refreshToken: second.refreshToken }))).status).toBe(400);
    const api = await fetch(`${base}/api/data`, { headers: { authorization: `Bearer ${second.accessToken}` } });
    expect(api.status).toBe(401);
    expect(api.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await (await fetch(`${base}/auth/stats`)).json()).toMatchObject({ logins: 1, refreshes: 3, reuseDetected: 1, api401: 1 });
  });

  it('refuses wrong credentials, and revokes at logout', async () => {
    expect((await post('/auth/login', JSON.stringify({ username: 'demo', password: 'nope' }))).status).toBe(401);
    const session = await login();
    expect((await fetch(`${base}/api/data`, { headers: { authorization: `Bearer ${session.accessToken}` } })).status).toBe(200);
    await post('/auth/logout', JSON.stringify({ refreshToken: session.refreshToken }));
    expect((await post('/auth/refresh', JSON.stringify({ refreshToken: session.refreshToken }))).status).toBe(400);
  });

  it('injects faults only through its test hooks', async () => {
    const session = await login();
    await post('/auth/test/fault', JSON.stringify({ refresh: '503' }));
    expect((await post('/auth/refresh', JSON.stringify({ refreshToken: session.refreshToken }))).status).toBe(503);
    await post('/auth/test/fault', JSON.stringify({ refresh: 'none' }));
    expect((await post('/auth/refresh', JSON.stringify({ refreshToken: session.refreshToken }))).status).toBe(200);
    expect((await post('/auth/test/fault', JSON.stringify({ refresh: 'explode' }))).status).toBe(400);
  });
});

describe('the demo server without test hooks', () => {
  it('has no fault injection routes', async () => {
    const { server } = createApp({ accessTtlSeconds: 30 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/test/fault`;
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"refresh":"503"}' });
    expect(response.status).toBe(404);
    await new Promise((resolve) => server.close(resolve));
  });
});
