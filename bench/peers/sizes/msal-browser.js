// What an msal-browser page loads for auth: PublicClientApplication.
export { PublicClientApplication } from '@azure/msal-browser';
