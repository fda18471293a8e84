/** The demo page without the broker: the usual per-tab recipe, for comparison. */
import axios from 'axios';
import { attachRecipe, recipeLogin, recipeLogout, recipeSession } from './recipe-interceptor.js';
import { renderLayout } from './layout.js';
import { $, describe, fireCalls, log, openAnotherTab, showSession, tabName, watchCounters, wireExpireAtServer, wireFireEverywhere } from './ui.js';

declare global {
  interface Window {
    recipe: { api: import('axios').AxiosInstance; login(username?: string, password?: string): Promise<void>; logout(): Promise<void> };
  }
}

renderLayout('/recipe.html');
$('tab-name').textContent = tabName();
watchCounters();
const api = axios.create({ baseURL: '/' });
attachRecipe(api, (reason) => log('error', `Logged out: ${reason}`));
const login = async (username = 'demo', password = 'demo') => recipeLogin(username, password);
window.recipe = { api, login, logout: recipeLogout };
document.body.dataset.ready = 'true';

const update = () => {
  const session = recipeSession();
  showSession(session.loggedIn, session.expiresAt);
};
update();
setInterval(update, 500);

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(event.target as HTMLFormElement);
  try {
    await login(String(data.get('username')), String(data.get('password')));
    log('ok', 'Logged in (tokens in localStorage)');
  } catch (error) {
    log('error', `Login failed: ${describe(error)}`);
  }
  update();
});
$('fire').addEventListener('click', () => fireCalls(() => api.get('/api/data')));
wireExpireAtServer();
wireFireEverywhere('demo-fire-recipe', () => api.get('/api/data'));
$('logout').addEventListener('click', async () => {
  await recipeLogout();
  log('warn', 'Logged out');
  update();
});
$('open-tab').addEventListener('click', openAnotherTab);
