import { describe, expect, it } from 'vitest';
import { sendToWorker } from '../../../src/send-to-worker.js';

/** A stand-in for a ServiceWorker: answers on the transferred port, or never. */
function fakeWorker(answer: ((data: any) => unknown) | 'never') {
  const received: any[] = [];
  const worker = {
    postMessage(data: any, transfer: MessagePort[]) {
      received.push(data);
      if (answer !== 'never') transfer[0].postMessage(answer(data));
    },
  } as unknown as ServiceWorker;
  return { worker, received };
}

describe('sendToWorker', () => {
  it('wraps the request in the versioned envelope and resolves with the reply', async () => {
    const { worker, received } = fakeWorker((data) => ({ ok: true, id: data.id, status: { loggedIn: false } }));
    await expect(sendToWorker(worker, 'status', {}, 1000)).resolves.toMatchObject({ ok: true, status: { loggedIn: false } });
    expect(received[0]).toMatchObject({ protocol: 'sw-token-broker', v: 1, type: 'status', id: expect.any(String) });
  });

  it('rejects with BrokerTimeoutError when the worker does not answer', async () => {
    const { worker } = fakeWorker('never');
    const error = await sendToWorker(worker, 'ping', {}, 50).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'BrokerTimeoutError', code: 'broker-timeout', retryable: true });
    expect((error as Error).message).toBe("The service worker did not answer 'ping' within 50 ms");
  });

  it('rebuilds a typed error from an error reply, and an internal one from garbage', async () => {
    const ended = fakeWorker(() => ({ ok: false, error: { code: 'session-ended', message: 'gone' } }));
    await expect(sendToWorker(ended.worker, 'getToken', {}, 1000)).rejects.toMatchObject({ name: 'SessionEndedError', code: 'session-ended', message: 'gone' });
    const garbage = fakeWorker(() => 'what');
    await expect(sendToWorker(garbage.worker, 'getToken', {}, 1000)).rejects.toMatchObject({ code: 'internal' });
  });
});

describe('sendToWorker resending', () => {
  it('re-sends a getToken that got no answer, as to a worker stopped mid-request, and takes the first reply', async () => {
    let calls = 0;
    const worker = {
      postMessage(data: any, transfer: MessagePort[]) {
        calls++;
        // The first worker died holding the port; the second answers.
        if (calls === 2) transfer[0].postMessage({ ok: true, id: data.id, accessExpiresAt: 1, refreshAt: 1, generation: 3 });
      },
    } as unknown as ServiceWorker;
    await expect(sendToWorker(worker, 'getToken', {}, { timeoutMs: 1000, resendAfterMs: 30 })).resolves.toMatchObject({ generation: 3 });
    expect(calls).toBe(2);
  });

  it('never re-sends a login', async () => {
    const { worker, received } = fakeWorker('never');
    await expect(sendToWorker(worker, 'login', { credentials: {} }, { timeoutMs: 120, resendAfterMs: 20 })).rejects.toMatchObject({ code: 'broker-timeout' });
    expect(received).toHaveLength(1);
  });
});
