import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScanError } from '../../src/model/errors.js';
import { abortable, ProbeDeadline } from '../../src/net/deadline.js';

const now = () => performance.now();
const timeout = (code: 'greeting-timeout' | 'command-timeout') => () => new ScanError(code, code);

describe('ProbeDeadline', () => {
  it('aborts a phase with its own reason when its limit comes first', async () => {
    // Given a probe deadline of 2 s and a phase of 50 ms
    const deadline = new ProbeDeadline({ totalMs: 2000, now });
    const phase = deadline.phase(50, timeout('greeting-timeout'));
    // When the phase is waited for
    const error = await abortable(phase.signal, () => () => undefined).catch((e: unknown) => e);
    // Then it ends with the phase's reason
    assert.equal((error as ScanError).code, 'greeting-timeout');
    phase.dispose();
    deadline.dispose();
  });

  it('aborts a phase with probe-timeout when the probe deadline comes first', async () => {
    const deadline = new ProbeDeadline({ totalMs: 50, now });
    const phase = deadline.phase(5000, timeout('command-timeout'));
    const error = await abortable(phase.signal, () => () => undefined).catch((e: unknown) => e);
    assert.equal((error as ScanError).code, 'probe-timeout');
    assert.equal(deadline.interrupted, false);
    phase.dispose();
    deadline.dispose();
  });

  it('ends as "scan interrupted" when the caller aborts', () => {
    const controller = new AbortController();
    const deadline = new ProbeDeadline({ totalMs: 5000, now, signal: controller.signal });
    controller.abort();
    assert.equal(deadline.signal.aborted, true);
    assert.equal((deadline.signal.reason as ScanError).message, 'scan interrupted');
    assert.equal((deadline.signal.reason as ScanError).code, 'interrupted');
    assert.equal(deadline.interrupted, true);
    deadline.dispose();
  });

  it('is aborted from the start when the caller already aborted', () => {
    const deadline = new ProbeDeadline({ totalMs: 5000, now, signal: AbortSignal.abort() });
    assert.equal(deadline.signal.aborted, true);
    assert.equal(deadline.phase(10, timeout('command-timeout')).signal.aborted, true);
    deadline.dispose();
  });

  it('reports the remaining budget on the injected clock', () => {
    let t = 1000;
    const deadline = new ProbeDeadline({ totalMs: 500, now: () => t });
    t = 1200;
    assert.equal(deadline.remainingMs(), 300);
    t = 2000;
    assert.equal(deadline.remainingMs(), 0);
    deadline.dispose();
  });
});

describe('abortable', () => {
  it('runs the cleanup once when the outcome comes first', async () => {
    let cleanups = 0;
    const value = await abortable<number>(new AbortController().signal, (resolve) => {
      setImmediate(() => resolve(42));
      return () => {
        cleanups += 1;
      };
    });
    assert.equal(value, 42);
    assert.equal(cleanups, 1);
  });

  it('runs the cleanup when the outcome is synchronous', async () => {
    let cleanups = 0;
    await abortable<void>(new AbortController().signal, (resolve) => {
      resolve();
      return () => {
        cleanups += 1;
      };
    });
    assert.equal(cleanups, 1);
  });

  it('rejects with the reason and runs the cleanup when aborted', async () => {
    const controller = new AbortController();
    let cleanups = 0;
    const pending = abortable<void>(controller.signal, () => () => {
      cleanups += 1;
    });
    controller.abort(new ScanError('probe-timeout', 'late'));
    await assert.rejects(pending, { code: 'probe-timeout' });
    assert.equal(cleanups, 1);
  });
});
