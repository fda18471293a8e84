/** What the demo pages put on `window`, as end-to-end tests see it in `page.evaluate`. */
import type { AxiosInstance } from 'axios';
import type { BrokerClient } from '../../src/index.js';

declare global {
  interface Window {
    /** `apiB`: on /apis/, the second API's instance. */
    demo: { broker: BrokerClient; api: AxiosInstance; apiB?: AxiosInstance };
    recipe: { api: AxiosInstance; login(username?: string, password?: string): Promise<void>; logout(): Promise<void> };
  }
}
export {};
