// What a page that uses oidc-client-ts loads for it: its whole entry (the size step bundles this).
export * from 'oidc-client-ts';
