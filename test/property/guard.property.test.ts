/**
 * The address guard matches ranges by their bits (src/scan/guard.ts); node:net's
 * BlockList is the reference it must agree with, for every address, in every
 * range, including the IPv4 carried inside IPv6 (compatible, mapped, NAT64).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import fc from 'fast-check';
import { canonicalIp, embeddedIpv4 } from '../../src/net/address.js';
import { GUARDED_RANGES, guardOf } from '../../src/scan/guard.js';
import { RUNS, SEED } from './runs.js';

/** The reference: the first range whose BlockList holds the address (or the IPv4 it carries). */
function reference(ip: string): string | null {
  const canonical = canonicalIp(ip);
  if (canonical === null) return 'not an IP address';
  const v4 = canonical.includes(':') ? embeddedIpv4(canonical) : canonical;
  const [subject, family] = v4 !== null ? [v4, 'ipv4' as const] : [canonical, 'ipv6' as const];
  for (const range of GUARDED_RANGES) {
    if (range.family !== family) continue;
    const list = new BlockList();
    list.addSubnet(range.network, range.prefix, range.family);
    if (list.check(subject, family)) return range.label;
  }
  return null;
}

/** Addresses near the ranges' edges as well as anywhere. */
const nearRanges = fc.constantFrom(...GUARDED_RANGES.map((r) => r.network)).chain((network) =>
  network.includes(':')
    ? fc.tuple(fc.constant(network), fc.integer({ min: 0, max: 0xffff })).map(([n, x]) => n.replace(/::$/, `::${x.toString(16)}`).replace(/::(?=[0-9a-f])/, '::'))
    : fc.tuple(fc.constant(network.split('.').map(Number)), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 })).map(([octets, x, at]) =>
        octets.map((o, i) => (i === at ? (o + x) % 256 : o)).join('.'),
      ),
);
const carried = fc.ipV4().chain((v4) => fc.constantFrom(`::${v4}`, `::ffff:${v4}`, `64:ff9b::${v4}`, v4));
const anyAddress = fc.oneof(fc.ipV4(), fc.ipV6(), nearRanges, carried);

describe('address guard properties', () => {
  it('guardOf names the same range as node:net BlockList for any address', () => {
    fc.assert(
      fc.property(anyAddress, (ip) => {
        assert.equal(guardOf(ip)?.label ?? null, reference(ip), ip);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
