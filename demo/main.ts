import { startDemo } from './app.js';
import { renderLayout } from './layout.js';

renderLayout('/');
// Where no service worker can run, the same broker runs in the page (DESIGN: "Demo without a service worker").
startDemo('/sw.js', undefined, async () => {
  const [{ idp }, { demoConfig, demoOidcConfig }] = await Promise.all([fetch('/auth/config').then((answer) => answer.json() as Promise<{ idp: string }>), import('./broker-config.js')]);
  return idp === 'oidc' ? demoOidcConfig(location.origin) : demoConfig(location.origin);
});
