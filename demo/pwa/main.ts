/** The example PWA's page: registers its worker with the broker's client and uses axios through it. */
import '../style.css';
import { startDemo } from '../app.js';
import { renderLayout } from '../layout.js';

renderLayout('/pwa/');
startDemo('/pwa/sw.js', '/pwa/');
const version = document.getElementById('app-version');
if (version) version.textContent = `build ${__APP_VERSION__}`;

declare const __APP_VERSION__: string;
