// What a keycloak-js page loads for auth: the adapter.
export { default } from 'keycloak-js';
