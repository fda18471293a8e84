/**
 * The benchmark's GoTrue-compatible endpoint (bench/peers/gotrue.mjs) keeps GoTrue's
 * refresh-token rules, since supabase auth-js's rows are only as fair as it is: the parent of
 * the active token gets the active token back, another revoked one is accepted within the reuse
 * interval, and outside it the whole family is revoked; a logout deletes the sessions.
 */
import { describe, expect, it } from 'vitest';
import { createGoTrue } from '../../../bench/peers/gotrue.mjs';

function endpoint(reuseIntervalS: number) {
  const outcomes: string[] = [];
  const gotrue = createGoTrue({ issuer: 'http://127.0.0.1:1/auth/v1', accessTtl: () => 60, reuseIntervalS: () => reuseIntervalS, onRefresh: (outcome) => void outcomes.push(outcome), onLogin: () => undefined });
  const call = async (grant: string, body: Record<string, string>) => {
    const answer = await gotrue.handle('POST', new URL(`http://127.0.0.1:1/auth/v1/token?grant_type=${grant}`), async () => body, undefined);
    if (!answer) throw new Error('not answered');
    return answer as { status: number; body: { refresh_token: string; access_token: string; error_code?: string } };
  };
  return { gotrue, outcomes, login: () => call('password', { email: 'a@b.c', password: 'x' }), refresh: (token: string) => call('refresh_token', { refresh_token: token }) };
}

describe('the GoTrue-compatible endpoint', () => {
  it('answers the parent of the active refresh token with the active one, and issues no new one', async () => {
    const { login, refresh } = endpoint(0);
    const first = (await login()).body.refresh_token;
    const second = (await refresh(first)).body.refresh_token;
    expect(second).not.toBe(first);
    const again = await refresh(first);
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBe(second);
  });

  it('with reuse interval 0, a token two steps behind revokes the family', async () => {
    const { login, refresh, outcomes, gotrue } = endpoint(0);
    const first = (await login()).body.refresh_token;
    const second = (await refresh(first)).body.refresh_token;
    const third = (await refresh(second)).body.refresh_token;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reused = await refresh(first);
    expect(reused.status).toBe(400);
    expect(reused.body.error_code).toBe('refresh_token_already_used');
    expect(outcomes.at(-1)).toBe('reused');
    expect(gotrue.liveRefreshTokens()).toEqual([]);
    // The family is gone: the newest token fails too (once a millisecond has passed, as GoTrue compares times).
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await refresh(third)).status).toBe(400);
  });

  it('within the reuse interval, a revoked token that is not the parent is still accepted', async () => {
    const { login, refresh, outcomes } = endpoint(10);
    const first = (await login()).body.refresh_token;
    const second = (await refresh(first)).body.refresh_token;
    await refresh(second);
    const reused = await refresh(first);
    expect(reused.status).toBe(200);
    expect(outcomes).toEqual(['ok', 'ok', 'ok']);
  });

  it('logout deletes the sessions: their refresh tokens are not found, even within the reuse interval', async () => {
    const { login, refresh, gotrue } = endpoint(10);
    const mine = await login();
    const other = (await login()).body.refresh_token;
    const logout = (scope?: string) =>
      gotrue.handle('POST', new URL(`http://127.0.0.1:1/auth/v1/logout${scope ? `?scope=${scope}` : ''}`), async () => ({}), `Bearer ${mine.body.access_token}`);
    // local: this session only.
    expect(await logout('local')).toMatchObject({ status: 204 });
    const gone = await refresh(mine.body.refresh_token);
    expect(gone.status).toBe(400);
    expect(gone.body.error_code).toBe('refresh_token_not_found');
    const kept = (await refresh(other)).body.refresh_token;
    // global, supabase auth-js's default: every session of the user.
    expect(await logout()).toMatchObject({ status: 204 });
    expect((await refresh(kept)).body.error_code).toBe('refresh_token_not_found');
    expect(gotrue.liveRefreshTokens()).toEqual([]);
  });

  it('signs access tokens the API accepts, and no other', async () => {
    const { login, gotrue } = endpoint(0);
    const { access_token: token } = (await login()).body;
    expect(await gotrue.userOf(token)).toEqual(expect.any(String));
    expect(await gotrue.userOf(`${token.slice(0, -2)}xx`)).toBeUndefined();
  });
});
