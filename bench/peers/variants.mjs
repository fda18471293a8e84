// @ts-check
/**
 * The setups the peer storm measures: each library as its docs set it up for several tabs,
 * and the other setting a fair reader asks about (a built-in early-expiry margin, renewal on a
 * timer or on demand, a cross-tab lock, the server's reuse interval). `setting` names the
 * row ('' for the library's first setup); `query` is what the page reads (pages/shared.ts
 * variantSetting); `reuseIntervalS` is GoTrue's, for supabase auth-js.
 */

/** msal-browser's default `system.tokenRenewalOffsetSeconds` (msal-common's DEFAULT_TOKEN_RENEWAL_OFFSET_SEC). */
const MSAL_MARGIN_S = 300;

/** @typedef {{ impl: string, setting: string, ttlS: number, query: string, reuseIntervalS?: number, expiresEarlyS?: number }} StormVariant `expiresEarlyS`: the library's own margin, so the storm fires once the library counts the token as expired */

/**
 * @param {{ ttlS: number, auth0MarginTtlS: number, only?: string[] }} settings
 * @returns {StormVariant[]}
 */
export function stormVariants({ ttlS, auth0MarginTtlS, only }) {
  /** @type {StormVariant[]} */
  const all = [
    { impl: 'broker', setting: '', ttlS, query: '' },
    { impl: 'auth0-spa-js', setting: '', ttlS, query: '' },
    // Its 60 s margin (hard-coded) counts a shorter token as expired from the start.
    { impl: 'auth0-spa-js', setting: `${auth0MarginTtlS} s tokens, just past its 60 s margin`, ttlS: auth0MarginTtlS, query: '', expiresEarlyS: 60 },
    { impl: 'oidc-client-ts', setting: 'renewal on its timer', ttlS, query: '' },
    { impl: 'oidc-client-ts', setting: 'renewal on demand', ttlS, query: '?renew=demand' },
    { impl: 'axa-oidc-client', setting: 'renewal on its timer', ttlS, query: '' },
    { impl: 'axa-oidc-client', setting: 'renewal on demand', ttlS, query: '?renew=demand' },
    { impl: 'keycloak-js', setting: '', ttlS, query: '' },
    { impl: 'okta-auth-js', setting: 'cross-tab services on (its default)', ttlS, query: '' },
    { impl: 'okta-auth-js', setting: 'cross-tab services off', ttlS, query: '?services=off' },
    // Its 30 s margin (hard-coded off localhost) counts a shorter token as expired from the start.
    { impl: 'okta-auth-js', setting: `${ttlS + 30} s tokens, just past its 30 s margin`, ttlS: ttlS + 30, query: '', expiresEarlyS: 30 },
    // Its 300 s margin (system.tokenRenewalOffsetSeconds, default 300) counts a shorter token as
    // expired from the start: every acquireTokenSilent() refreshes, concurrent calls of one tab shared.
    { impl: 'msal-browser', setting: 'localStorage (its docs, for tabs sharing a login)', ttlS, query: '' },
    { impl: 'msal-browser', setting: 'sessionStorage (its default)', ttlS, query: '?cache=session' },
    { impl: 'msal-browser', setting: `localStorage, ${MSAL_MARGIN_S + 2} s tokens, just past its ${MSAL_MARGIN_S} s margin`, ttlS: MSAL_MARGIN_S + 2, query: '', expiresEarlyS: MSAL_MARGIN_S },
    { impl: 'msal-browser', setting: `sessionStorage, ${MSAL_MARGIN_S + 2} s tokens, just past its ${MSAL_MARGIN_S} s margin`, ttlS: MSAL_MARGIN_S + 2, query: '?cache=session', expiresEarlyS: MSAL_MARGIN_S },
    { impl: 'supabase-auth-js', setting: 'lockless (its default), reuse interval 10 s', ttlS, query: '', reuseIntervalS: 10 },
    { impl: 'supabase-auth-js', setting: 'lockless (its default), reuse interval 0', ttlS, query: '', reuseIntervalS: 0 },
    { impl: 'supabase-auth-js', setting: 'lock: navigatorLock, reuse interval 10 s', ttlS, query: '?lock=1', reuseIntervalS: 10 },
  ];
  return all.filter((variant) => !only || only.some((entry) => chosen(entry, variant)));
}

/**
 * Whether an entry of `--peers` names a setup: `library` names all of its setups,
 * `library:setting` those whose setting starts with that text.
 * @param {string} entry @param {{ impl: string, setting: string }} variant
 */
const chosen = (entry, { impl, setting }) => {
  const [library, ...rest] = entry.split(':');
  return library === impl && (!rest.length || setting.startsWith(rest.join(':')));
};

/** The libraries `--peers` names (`library` or `library:setting`). @param {string[]} only */
export const librariesOf = (only) => [...new Set(only.map((entry) => entry.split(':')[0]))];
