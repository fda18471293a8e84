// msal-browser 5's redirect bridge: the page its silent iframe (and popups) are answered to hands
// the answer to the app's frame (msal 5 no longer reads the iframe's URL itself).
import { broadcastResponseToMainFrame } from '@azure/msal-browser/redirect-bridge';

await broadcastResponseToMainFrame();
