/**
 * Rule 15's watch of the worker: when the broker's worker turns redundant, its successor is
 * judged (gone, foreign, or the broker) even when the first look finds nothing to judge yet.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BrokerError, BrokerTimeoutError, ErrorCode, ForeignWorkerError } from '../../../protocol/index.js';
import { WorkerPresence } from '../../../src/worker-presence.js';

const SCRIPT = 'https://app.test/sw.js';

/** A stand-in for a ServiceWorker: its script, its state, and its `statechange`. */
class FakeWorker extends EventTarget {
  state: ServiceWorkerState = 'activated';
  constructor(readonly scriptURL: string) {
    super();
  }
  turnRedundant() {
    this.state = 'redundant';
    this.dispatchEvent(new Event('statechange'));
  }
}

type FakeRegistration = { scope: string; active: FakeWorker | null; waiting: FakeWorker | null; installing: FakeWorker | null };

let registration: FakeRegistration;
beforeEach(() => {
  vi.useFakeTimers();
  // A foreign worker is reported on the console (a broken app); not in the test's output.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  registration = { scope: 'https://app.test/', active: new FakeWorker(SCRIPT), waiting: null, installing: null };
  vi.stubGlobal('navigator', { serviceWorker: { getRegistration: async () => registration } });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A presence whose probe answers as `answer` says, one call after another (the last repeats). */
function watch(answers: Array<'broker' | 'silent' | 'fails'>) {
  const probed: string[] = [];
  const presence = new WorkerPresence(registration as unknown as ServiceWorkerRegistration, {
    scriptUrl: SCRIPT,
    probe: (worker) => {
      probed.push(worker.scriptURL);
      const answer = answers[Math.min(probed.length, answers.length) - 1];
      if (answer === 'broker') return Promise.resolve();
      // A port that closed, a worker that threw: not a timeout, so no verdict on the worker.
      if (answer === 'fails') return Promise.reject(new BrokerError(ErrorCode.ServiceWorkerUnavailable, 'the port closed'));
      return new Promise((_resolve, reject) => setTimeout(() => reject(new BrokerTimeoutError('no answer')), 4_000));
    },
  });
  return { presence, probed };
}

describe('WorkerPresence, after the worker turned redundant', () => {
  it('names a foreign successor that was still installing at the first look (every tab within seconds)', async () => {
    const { presence, probed } = watch(['silent']);
    const old = registration.active!;
    const foreign = new FakeWorker('https://app.test/ngsw-worker.js');
    Object.assign(registration, { active: null, installing: foreign });
    old.turnRedundant();
    await vi.advanceTimersByTimeAsync(700);
    Object.assign(registration, { active: foreign, installing: null });
    await vi.advanceTimersByTimeAsync(6_000);
    expect(probed).toEqual([foreign.scriptURL]);
    expect(presence.gone).toBeInstanceOf(ForeignWorkerError);
  });

  it('looks again when the probe failed without timing out', async () => {
    const { presence, probed } = watch(['fails', 'silent']);
    const foreign = new FakeWorker('https://app.test/other-sw.js');
    const old = registration.active!;
    registration.active = foreign;
    old.turnRedundant();
    await vi.advanceTimersByTimeAsync(6_000);
    expect(probed).toEqual([foreign.scriptURL, foreign.scriptURL]);
    expect(presence.gone).toBeInstanceOf(ForeignWorkerError);
  });

  it('keeps a successor that answers as the broker, and an update of its own script, without more looks', async () => {
    const { presence, probed } = watch(['broker']);
    const renamed = new FakeWorker('https://app.test/sw-v2.js');
    const old = registration.active!;
    registration.active = renamed;
    old.turnRedundant();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(probed).toEqual([renamed.scriptURL]);
    const update = new FakeWorker(SCRIPT);
    registration.active = update;
    renamed.turnRedundant();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(probed).toEqual([renamed.scriptURL]);
    expect(presence.gone).toBeUndefined();
  });

  it('marks the broker gone when the registration is left without any worker', async () => {
    const { presence } = watch(['broker']);
    const old = registration.active!;
    vi.stubGlobal('navigator', { serviceWorker: { getRegistration: async () => undefined } });
    registration.active = null;
    old.turnRedundant();
    await vi.advanceTimersByTimeAsync(600);
    expect(presence.gone?.code).toBe(ErrorCode.ServiceWorkerGone);
  });
});
