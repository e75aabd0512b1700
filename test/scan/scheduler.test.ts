/** The scheduler holds its limits: at most `concurrency` jobs at once, at most `perHost` per address. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
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
