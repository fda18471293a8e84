import axios, { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkRegistration } from '../../../src/registration-checks.js';
import { attachTokenBroker } from '../../../src/interceptors.js';
import { connectClient, installPageGlobals, ScriptedWorker } from '../page-helpers.js';

let container: ReturnType<typeof installPageGlobals>;
beforeAll(() => {
  container = installPageGlobals('http://localhost:5173/app/page');
});
afterEach(() => vi.restoreAllMocks());

const rejecting = async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
  const response: AxiosResponse = { data: {}, status: 401, statusText: '', headers: {}, config };
  throw new AxiosError('Request failed with status code 401', AxiosError.ERR_BAD_REQUEST, config, null, response);
};

describe('hints for silent mistakes', () => {
  it('says once, in development, that a 401 came from a URL outside the allowlist', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const instance = axios.create({ adapter: rejecting });
    attachTokenBroker(instance, await connectClient(new ScriptedWorker()));
    await instance.get('https://api.other.test/v1/me').catch(() => undefined);
    await instance.get('https://api.other.test/v1/again').catch(() => undefined);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain("a 401 from https://api.other.test/v1/me, which is outside the worker's apiAllowlist");
  });

  it('warns when the page is outside the registration scope, and when the script is registered under a second scope', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const worker = { scriptURL: 'http://localhost:5173/sw.js' };
    const registration = { scope: 'http://localhost:5173/other/', active: worker } as unknown as ServiceWorkerRegistration;
    const twin = { scope: 'http://localhost:5173/', active: worker } as unknown as ServiceWorkerRegistration;
    Object.assign(container, { getRegistrations: async () => [registration, twin] });
    await checkRegistration(registration);
    const messages = warn.mock.calls.map((call) => String(call[0]));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain("this page (/app/page) is outside the worker's scope http://localhost:5173/other/");
    expect(messages[1]).toContain('http://localhost:5173/sw.js is registered under 2 scopes');
  });
});

describe('a failed registration names the dev-server mistake behind it', () => {
  it("an HTML answer (Chromium's and Firefox's words) points at vite dev's /dev-sw.js?dev-sw and type module", async () => {
    const { registrationMistake } = await import('../../../src/registration-checks.js');
    for (const message of [
      "Failed to register a ServiceWorker for scope ('http://localhost:5173/') with script ('http://localhost:5173/sw.js'): The script has an unsupported MIME type ('text/html').",
      "Failed to register a ServiceWorker for scope ('http://localhost:5173/') with script ('http://localhost:5173/sw.js'): Bad Content-Type of 'text/html' received for script 'http://localhost:5173/sw.js'. Must be a JavaScript MIME type.",
    ]) {
      expect(registrationMistake(new DOMException(message, 'SecurityError'), undefined)).toContain("'/dev-sw.js?dev-sw'");
    }
  });

  it("an evaluation failure of a classic registration points at { type: 'module' }; of a module one, at the worker's console", async () => {
    const { registrationMistake } = await import('../../../src/registration-checks.js');
    const failure = new TypeError("Failed to register a ServiceWorker for scope ('http://localhost:5173/') with script ('http://localhost:5173/dev-sw.js?dev-sw'): ServiceWorker script evaluation failed");
    expect(registrationMistake(failure, undefined)).toContain("{ type: 'module' }");
    expect(registrationMistake(failure, 'module')).toContain('worker console');
    expect(registrationMistake(new TypeError('Failed to fetch'), undefined)).toBeUndefined();
  });
});
