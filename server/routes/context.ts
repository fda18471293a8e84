/** What every route table of the demo server is built from. */
import type { MockAuth } from '../auth.js';
import type { EmbeddedProvider } from '../oidc.js';
import type { ServerState } from '../state.js';

export interface RouteContext {
  auth: MockAuth;
  /** The embedded OpenID provider (IDP=oidc), else undefined: the mock auth server answers. */
  oidc: EmbeddedProvider | undefined;
  /** The origin the server is reached at. */
  origin: string;
  /** Vault mode's origin, when the demo runs one. */
  vaultOrigin: string | undefined;
  state: ServerState;
}
