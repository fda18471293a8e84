/**
 * The usual per-tab recipe, written the way countless tutorials write it: tokens in
 * localStorage, an `isRefreshing` flag and a queue of subscribers. It works in one tab.
 * With several tabs each refreshes on its own, and rotation with reuse detection logs
 * everyone out. Kept here to show that, and measured by the benchmark.
 */
import axios, { type AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';

const ACCESS = 'recipe.accessToken';
const REFRESH = 'recipe.refreshToken';
const EXPIRES = 'recipe.expiresAt';

export function storeTokens(body: { accessToken: string; refreshToken: string; expiresIn: number }): void {
  localStorage.setItem(ACCESS, body.accessToken);
  localStorage.setItem(REFRESH, body.refreshToken);
  localStorage.setItem(EXPIRES, String(Date.now() + body.expiresIn * 1000));
}

export function clearTokens(): void {
  localStorage.removeItem(ACCESS);
  localStorage.removeItem(REFRESH);
  localStorage.removeItem(EXPIRES);
}

export function recipeSession(): { loggedIn: boolean; expiresAt: number | null } {
  const expires = localStorage.getItem(EXPIRES);
  return { loggedIn: localStorage.getItem(REFRESH) !== null, expiresAt: expires ? Number(expires) : null };
}

export async function recipeLogin(username: string, password: string): Promise<void> {
  const { data } = await axios.post('/auth/login', { username, password });
  storeTokens(data);
}

export async function recipeLogout(): Promise<void> {
  const refreshToken = localStorage.getItem(REFRESH);
  clearTokens();
  if (refreshToken) await axios.post('/auth/logout', { refreshToken });
}

/** Installs the recipe on an axios instance. `onLoggedOut` is called when the refresh fails. */
export function attachRecipe(api: AxiosInstance, onLoggedOut: (reason: string) => void = () => {}): void {
  let isRefreshing = false;
  let subscribers: Array<(token: string | null) => void> = [];

  api.interceptors.request.use((config) => {
    const token = localStorage.getItem(ACCESS);
    if (token) config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });

  api.interceptors.response.use(undefined, async (error: AxiosError) => {
    const original = error.config as InternalAxiosRequestConfig & { _retry?: boolean };
    if (error.response?.status !== 401 || !original || original._retry) throw error;
    original._retry = true;

    if (isRefreshing) {
      return new Promise((resolve, reject) => {
        subscribers.push((token) => {
          if (!token) return reject(error);
          original.headers.set('Authorization', `Bearer ${token}`);
          resolve(api(original));
        });
      });
    }

    isRefreshing = true;
    try {
      const { data } = await axios.post('/auth/refresh', { refreshToken: localStorage.getItem(REFRESH) });
      storeTokens(data);
      subscribers.forEach((notify) => notify(data.accessToken));
      original.headers.set('Authorization', `Bearer ${data.accessToken}`);
      return api(original);
    } catch (refreshError) {
      clearTokens();
      subscribers.forEach((notify) => notify(null));
      onLoggedOut((refreshError as AxiosError).response?.status === 400 ? 'refresh rejected (reuse detected?)' : 'refresh failed');
      throw refreshError;
    } finally {
      isRefreshing = false;
      subscribers = [];
    }
  });
}
