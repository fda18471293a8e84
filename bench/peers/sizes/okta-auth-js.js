// What an okta-auth-js page loads for auth: OktaAuth (its default entry, as an SPA imports it).
export { OktaAuth } from '@okta/okta-auth-js';
