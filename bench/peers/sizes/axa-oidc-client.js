// What a page that uses @axa-fr/oidc-client loads for it: its whole entry (the size step bundles this).
export * from '@axa-fr/oidc-client';
