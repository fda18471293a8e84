/**
 * What `npm run bench` compares the broker with, in a page of the demo's origin:
 * axios-auth-refresh used as its README recommends (tokens in localStorage), and plain
 * axios with a fixed token (the floor for the overhead measurement); and, started on demand,
 * the broker in handoff mode beside that floor in the same quiet page, so the two can be timed
 * request by request (the demo page's own activity is not the broker's cost).
 */
import axios from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import { attachTokenBroker, registerTokenBroker } from '../../src/index.js';

const ACCESS = 'aar.accessToken';
const REFRESH = 'aar.refreshToken';

function getAccessToken(): string | null {
  return localStorage.getItem(ACCESS);
}

const aarApi = axios.create({ baseURL: '/' });
const refreshAuthLogic = (failedRequest: { response: { config: { headers: Record<string, string> } } }) =>
  axios.post('/auth/refresh', { refreshToken: localStorage.getItem(REFRESH) }).then((response) => {
    localStorage.setItem(ACCESS, response.data.accessToken);
    localStorage.setItem(REFRESH, response.data.refreshToken);
    failedRequest.response.config.headers['Authorization'] = 'Bearer ' + response.data.accessToken;
    return Promise.resolve();
  });
createAuthRefresh(aarApi, refreshAuthLogic);
aarApi.interceptors.request.use((request) => {
  request.headers['Authorization'] = `Bearer ${getAccessToken()}`;
  return request;
});

const plainApi = axios.create({ baseURL: '/' });
const brokerApi = axios.create({ baseURL: '/' });

declare global {
  interface Window {
    bench: {
      aar: { api: typeof aarApi; login(): Promise<void>; hasSession(): boolean };
      plain: { api: typeof plainApi; login(): Promise<void> };
      /** The demo's worker (`/sw.js`), registered by `login()` only: the storms' pages stay without a broker client. */
      broker: { api: typeof brokerApi; login(): Promise<void> };
    };
  }
}

window.bench = {
  aar: {
    api: aarApi,
    async login() {
      const { data } = await axios.post('/auth/login', { username: 'demo', password: 'demo' });
      localStorage.setItem(ACCESS, data.accessToken);
      localStorage.setItem(REFRESH, data.refreshToken);
    },
    hasSession: () => localStorage.getItem(REFRESH) !== null,
  },
  plain: {
    api: plainApi,
    async login() {
      const { data } = await axios.post('/auth/login', { username: 'demo', password: 'demo' });
      plainApi.defaults.headers.common.Authorization = `Bearer ${data.accessToken}`;
    },
  },
  broker: {
    api: brokerApi,
    async login() {
      const broker = await registerTokenBroker('/sw.js');
      attachTokenBroker(brokerApi, broker);
      await broker.login({ username: 'demo', password: 'demo' });
    },
  },
};
document.body.dataset.ready = 'true';
