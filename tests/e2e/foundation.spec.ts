import { test, expect } from './fixtures.js';

test('the standalone worker takes control of two tabs without a reload and answers a ping from each', async ({ openTab, server }) => {
  void server;
  const tabs = [await openTab('/'), await openTab('/')];
  for (const tab of tabs) {
    // clients.claim() on activation: the first tab becomes controlled without a reload.
    await tab.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const reply = await tab.evaluate(
      () =>
        new Promise<unknown>((resolve, reject) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => resolve(event.data);
          setTimeout(() => reject(new Error('no reply')), 5000);
          navigator.serviceWorker.controller!.postMessage({ protocol: 'sw-token-broker', v: 1, id: 'p1', type: 'ping' }, [channel.port2]);
        }),
    );
    expect(reply).toMatchObject({ ok: true, id: 'p1', version: 1, name: 'demo', mode: 'handoff' });
    expect(await tab.evaluate(() => navigator.serviceWorker.controller!.scriptURL)).toMatch(/\/sw\.js$/);
  }
});
