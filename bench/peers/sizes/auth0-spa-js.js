// What a page that uses auth0-spa-js loads for it: its whole entry (the size step bundles this).
export * from '@auth0/auth0-spa-js';
