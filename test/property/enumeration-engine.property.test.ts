/**
 * The enumeration engine over random simulated servers: whatever a server that
 * keeps one ordering policy accepts, the engine finds exactly that, within the
 * connection budget (accepted suites + accepted groups + 7). RUNS cases each:
 * 1,000 in npm test, PROPERTY_RUNS (100,000) in npm run test:deep, and no more
 * than that under npm run fuzz, which is for the parsers (a simulated
 * enumeration is a hundred handshakes' work, not a parse).
 */
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { runtimeCapabilities, type RuntimeCapabilities } from '../../src/checks/enumeration/runtime.js';
import type { EnumVersion } from '../../src/checks/enumeration/types.js';
import { assertExact, scan, type SimServer } from '../checks/enumeration/sim.js';
import { RUNS as REQUESTED, SEED } from './runs.js';

const RUNS = Math.min(REQUESTED, 100_000);

let caps: RuntimeCapabilities;
before(async () => {
  caps = await runtimeCapabilities();
});

describe('the enumeration engine against random simulated servers', () => {
  const pick = <T>(items: readonly T[]) => fc.subarray([...items]).chain((xs) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }));
  const nonEmpty = <T>(items: readonly T[]) => fc.option(pick(items).filter((x) => x.length > 0), { nil: undefined });
  const names = (v: EnumVersion, n = 99) => caps.suites[v].map((s) => s.iana).slice(0, n);

  it(`stays within + 7 for servers shaped like real ones: one ordering policy, TLS 1.0/1.1 with the TLS 1.2 suites they can (${RUNS} cases)`, async () => {
    const arb = fc.record({
      v13: nonEmpty(names('TLSv1.3')),
      v12: nonEmpty(names('TLSv1.2', 40)),
      legacy: fc.constantFrom('none', 'both', 'TLSv1', 'TLSv1.1'),
      serverOrder: fc.boolean(),
      groups13: pick(caps.groups['TLSv1.3'].map((g) => g.name)),
      ecGroups: pick(caps.groups['TLSv1.2'].map((g) => g.name)),
      dhBits: fc.constantFrom(1024, 2048, 4096),
    });
    const legacyOk = new Set(names('TLSv1.1'));
    await fc.assert(
      fc.asyncProperty(arb, async (s) => {
        const legacy = (s.v12 ?? []).filter((x) => legacyOk.has(x));
        const versions: Partial<Record<EnumVersion, readonly string[]>> = { ...(s.v13 ? { 'TLSv1.3': s.v13 } : {}), ...(s.v12 ? { 'TLSv1.2': s.v12 } : {}) };
        if (legacy.length > 0 && s.legacy !== 'none' && s.legacy !== 'TLSv1') versions['TLSv1.1'] = legacy;
        if (legacy.length > 0 && s.legacy !== 'none' && s.legacy !== 'TLSv1.1') versions.TLSv1 = legacy;
        const server: SimServer = { versions, serverOrder: s.serverOrder, groups13: s.groups13, ecGroups: s.ecGroups, dhBits: s.dhBits };
        const { result, connections, plainPick } = await scan(server, caps);
        assertExact(caps, server, result, connections, 7, plainPick);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`stays exact, within + 7 (an order left undecided where deciding would overspend), for any server that keeps one ordering policy (${RUNS} cases)`, async () => {
    const arb = fc.record({
      v13: nonEmpty(names('TLSv1.3')),
      v12: nonEmpty(names('TLSv1.2', 40)),
      v11: nonEmpty(names('TLSv1.1', 12)),
      v10: nonEmpty(names('TLSv1', 12)),
      serverOrder: fc.boolean(),
      groups13: pick(caps.groups['TLSv1.3'].map((g) => g.name)),
      ecGroups: pick(caps.groups['TLSv1.2'].map((g) => g.name)),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (s) => {
        const server: SimServer = {
          versions: { ...(s.v13 ? { 'TLSv1.3': s.v13 } : {}), ...(s.v12 ? { 'TLSv1.2': s.v12 } : {}), ...(s.v11 ? { 'TLSv1.1': s.v11 } : {}), ...(s.v10 ? { TLSv1: s.v10 } : {}) },
          serverOrder: s.serverOrder,
          groups13: s.groups13,
          ecGroups: s.ecGroups,
        };
        const { result, connections, plainPick } = await scan(server, caps);
        assertExact(caps, server, result, connections, 7, plainPick, true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
