/**
 * OpenID Connect RP-Initiated Logout's worker side: after the local logout, where the browser
 * goes to end the provider's session too. The redirect back is the config's, never a page's.
 */
import { BrokerError, ErrorCode } from '../../protocol/index.js';
import type { EndpointContext, RedirectLogin } from '../adapters/types.js';

/**
 * The provider's end-session URL for the session whose id_token is `idToken`, carrying `state`.
 *
 * @throws BrokerError `not-supported` (`details.error: 'end_session_unsupported'`) when the
 *   endpoint has no end-session endpoint: the local logout has happened, the provider's session is open.
 */
export async function endSessionUrl(redirect: RedirectLogin | undefined, context: EndpointContext, idToken: string | undefined, state: string): Promise<string> {
  const url = redirect?.endSession ? await redirect.endSession(context, { idToken, state }) : undefined;
  if (url) return url;
  const message =
    "Logged out here, but the provider's session was not ended: it has no end_session_endpoint (set endSessionEndpoint in oidcEndpoint if it has one). " +
    'The next login by redirect may sign the same user in without asking';
  throw new BrokerError(ErrorCode.NotSupported, message, { details: { error: 'end_session_unsupported' } });
}
