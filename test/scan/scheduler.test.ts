/** The scheduler holds its limits: at most `concurrency` jobs at once, at most `perHost` per address. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionRate } from '../../src/scan/rate.js';
import { createScheduler } from '../../src/scan/scheduler.js';

function instrumented(addresses: string[], concurrency: number, perHost: number) {
  let running = 0;
  let peak = 0;
  const perAddress = new Map<string, number>();
  const peakPerAddress = new Map<string, number>();
  const jobs = addresses.map((address, i) => ({
    key: `job${i}`,
    address,
    run: async () => {
      running += 1;
      peak = Math.max(peak, running);
      const now = (perAddress.get(address) ?? 0) + 1;
      perAddress.set(address, now);
      peakPerAddress.set(address, Math.max(peakPerAddress.get(address) ?? 0, now));
      await sleep(5 + (i % 3));
      running -= 1;
      perAddress.set(address, now - 1);
      return i;
    },
  }));
  return { jobs, peak: () => peak, peakPerAddress, scheduler: createScheduler({ concurrency, perHost }) };
}

describe('createScheduler', () => {
  const cases: [string, number, number, string[]][] = [
    ['many addresses, global limit binds', 4, 2, Array.from({ length: 40 }, (_, i) => `10.0.0.${i % 20}`)],
    ['one busy address, per-address limit binds', 16, 2, Array.from({ length: 30 }, () => '10.0.0.1')],
    ['per-host 1', 8, 1, Array.from({ length: 24 }, (_, i) => `10.0.0.${i % 3}`)],
  ];
  for (const [name, concurrency, perHost, addresses] of cases) {
    it(`Given ${name} (concurrency ${concurrency}, per-host ${perHost}) Then neither limit is exceeded and every job runs once`, async () => {
      const t = instrumented(addresses, concurrency, perHost);
      const results = await t.scheduler.runAll(t.jobs);
      assert.equal(results.size, addresses.length);
      assert.deepEqual([...results.keys()].sort(), t.jobs.map((j) => j.key).sort());
      assert.ok(t.peak() <= concurrency, `peak ${t.peak()} > ${concurrency}`);
      for (const [address, peak] of t.peakPerAddress) assert.ok(peak <= perHost, `${address}: ${peak} > ${perHost}`);
      // The limits are reached, not merely respected by running one at a time.
      assert.equal(t.peak(), Math.min(concurrency, new Set(addresses).size * perHost));
    });
  }
});

/** A job that runs until the test releases it: started and finished are events, not timers. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('createScheduler: providers, retries, back-off', () => {
  it('Given one busy provider and three others (concurrency 4, per-provider 1) Then the others start at once: the busy one holds no global slot idle', async () => {
    const scheduler = createScheduler({ concurrency: 4, perHost: 2, perProvider: 1 });
    const release = gate();
    const started: string[] = [];
    let busyAtOnce = 0;
    let busyPeak = 0;
    const jobs = [
      ...Array.from({ length: 6 }, (_, i) => ({ key: `big${i}`, address: `10.0.0.${i}`, provider: 'big.example' })),
      ...['a.example', 'b.example', 'c.example'].map((provider, i) => ({ key: provider, address: `10.1.0.${i}`, provider })),
    ].map((job) => ({
      ...job,
      run: async () => {
        started.push(job.key);
        if (job.provider === 'big.example') {
          busyAtOnce += 1;
          busyPeak = Math.max(busyPeak, busyAtOnce);
          await release.opened;
          busyAtOnce -= 1;
        }
        return job.key;
      },
    }));
    const all = scheduler.runAll(jobs);
    // The three small providers' jobs ran to the end while the big provider's first job still holds its only slot.
    for (let i = 0; i < 100 && started.filter((k) => !k.startsWith('big')).length < 3; i += 1) await new Promise((r) => setImmediate(r));
    assert.deepEqual(started.filter((k) => !k.startsWith('big')).sort(), ['a.example', 'b.example', 'c.example']);
    assert.deepEqual(started.filter((k) => k.startsWith('big')), ['big0']);
    release.open();
    const results = await all;
    assert.equal(results.size, 9);
    assert.equal(busyPeak, 1);
  });

  it('Given a job that fails once in a retryable way Then it runs again after the delay, attempts 2, counted as retried and ok', async () => {
    const scheduler = createScheduler({ concurrency: 2, perHost: 1, retries: 2, retryDelayMs: 40, random: () => 0 });
    const times: number[] = [];
    const outcome = await scheduler.runJob({
      key: 'a',
      address: '10.0.0.1',
      run: async () => {
        times.push(performance.now());
        return times.length === 1 ? 'busy' : 'ok';
      },
      retryable: (v) => v === 'busy',
      ok: (v) => v === 'ok',
    });
    assert.deepEqual(outcome, { value: 'ok', attempts: 2 });
    assert.ok((times[1] as number) - (times[0] as number) >= 40 * 0.8 - 1, `gap ${(times[1] as number) - (times[0] as number)} ms`);
    assert.equal(scheduler.counters.retries, 1);
    assert.equal(scheduler.counters.retriedOk, 1);
    assert.ok(scheduler.counters.waitedMs >= 30);
  });

  it('Given a job that always asks again Then it ends after 1 + retries attempts with its last value; with retries 0, after one', async () => {
    for (const retries of [0, 1, 3]) {
      const scheduler = createScheduler({ concurrency: 2, perHost: 1, retries, retryDelayMs: 1 });
      let runs = 0;
      const outcome = await scheduler.runJob({ key: 'a', address: '10.0.0.1', run: async () => `busy${(runs += 1)}`, retryable: () => true, ok: () => false });
      assert.deepEqual(outcome, { value: `busy${1 + retries}`, attempts: 1 + retries });
      assert.equal(scheduler.counters.retries, retries);
      assert.equal(scheduler.counters.retriedOk, 0);
    }
  });

  it('Given an address in back-off Then another job to it (per-host 2) does not start until the back-off ends', async () => {
    const scheduler = createScheduler({ concurrency: 4, perHost: 2, retries: 1, retryDelayMs: 60, random: () => 0.5 });
    const events: string[] = [];
    let first = true;
    const retrying = scheduler.runJob({
      key: 'a',
      address: '10.0.0.1',
      run: async () => {
        events.push(first ? 'a1' : 'a2');
        const busy = first;
        first = false;
        return busy ? 'busy' : 'ok';
      },
      retryable: (v) => v === 'busy',
    });
    // Wait until the first attempt is in back-off, then queue a second job for the same address.
    for (let i = 0; i < 100 && scheduler.waiting === 0; i += 1) await new Promise((r) => setImmediate(r));
    assert.equal(scheduler.waiting, 1);
    const other = scheduler.runJob({ key: 'b', address: '10.0.0.1', run: async () => void events.push('b') });
    const elsewhere = scheduler.runJob({ key: 'c', address: '10.0.0.2', run: async () => void events.push('c') });
    await elsewhere;
    assert.deepEqual(events, ['a1', 'c'], 'another address is not held up; this one is');
    await Promise.all([retrying, other]);
    assert.deepEqual(events.slice(2).sort(), ['a2', 'b']);
    assert.equal(scheduler.waiting, 0);
  });

  it('Given the scan stops while a job waits to retry Then it ends at once with its interrupted value', async () => {
    const stop = new AbortController();
    const scheduler = createScheduler({ concurrency: 1, perHost: 1, retries: 1, retryDelayMs: 3_600_000, stop: stop.signal });
    const outcome = scheduler.runJob({ key: 'a', address: '10.0.0.1', run: async () => 'busy', retryable: () => true, interrupted: () => 'interrupted' });
    for (let i = 0; i < 100 && scheduler.waiting === 0; i += 1) await new Promise((r) => setImmediate(r));
    stop.abort();
    assert.deepEqual(await outcome, { value: 'interrupted', attempts: 1 });
  });
});

describe('ConnectionRate', () => {
  it('Given a rate of 3 Then three takers go at once and each next one a window after the one three before it was let go', async () => {
    const rate = new ConnectionRate(3, { returnMs: 60 });
    const started = performance.now();
    const at: number[] = [];
    await Promise.all(Array.from({ length: 7 }, () => rate.take().then(() => at.push(performance.now() - started))));
    assert.equal(at.length, 7);
    assert.ok((at[2] as number) < 30, `the first three went at once: ${at.map((t) => t.toFixed(0)).join(' ')}`);
    // Measured where each taker resumes, a few ms after the rate let it go when the machine is busy: 5 ms of slack.
    for (let i = 3; i < at.length; i += 1) assert.ok((at[i] as number) - (at[i - 3] as number) >= 55, `taker ${i} went ${((at[i] as number) - (at[i - 3] as number)).toFixed(1)} ms after taker ${i - 3}`);
    assert.ok((at[6] as number) >= 2 * 55);
  });

  it('Given takers waiting when the scan stops Then they are let go at once', async () => {
    const rate = new ConnectionRate(1, { returnMs: 3_600_000 });
    await rate.take();
    const stop = new AbortController();
    const waiting = Promise.all([rate.take(stop.signal), rate.take(stop.signal)]);
    stop.abort();
    await waiting;
    assert.ok(true, 'both were let go without their tokens');
  });
});

describe('createScheduler: a second slot held by a running job', () => {
  it('Given per-host 2 and a job running Then tryHold takes the free slot, a second job to the address waits until it is released, and per-host 1 has none to give', async () => {
    const scheduler = createScheduler({ concurrency: 8, perHost: 2 });
    const first = gate();
    const entered = gate();
    let held: (() => void) | null = null;
    let secondStarted = false;
    const one = scheduler.runJob({
      key: 'a',
      address: '10.9.0.1',
      run: async () => {
        held = scheduler.tryHold('10.9.0.1');
        entered.open();
        await first.opened;
        return 1;
      },
    });
    await entered.opened;
    assert.ok(held !== null, 'the second slot was free');
    assert.equal(scheduler.tryHold('10.9.0.1'), null, 'no third slot at per-host 2');
    const two = scheduler.runJob({ key: 'b', address: '10.9.0.1', run: async () => ((secondStarted = true), 2) });
    const other = await scheduler.runJob({ key: 'c', address: '10.9.0.2', run: async () => 3 });
    assert.equal(other.value, 3, 'another address is not held up');
    assert.equal(secondStarted, false, 'the first job and the held slot fill per-host 2');
    (held as unknown as () => void)();
    assert.equal((await two).value, 2, 'released: the second job runs while the first still does');
    first.open();
    assert.equal((await one).value, 1);

    const single = createScheduler({ concurrency: 8, perHost: 1 });
    const inside = await single.runJob({ key: 'd', address: '10.9.0.3', run: async () => single.tryHold('10.9.0.3') });
    assert.equal(inside.value, null);
  });
});
