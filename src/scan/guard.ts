/**
 * The address guard, judged on the canonical address (src/net/address.ts).
 * Three classes of ranges:
 *
 *   never     never dialled, whatever the flags, not even as a relay typed on
 *             the command line (that is a usage error): "this network" and the
 *             unspecified address (0.0.0.0/8, ::) reach this very host;
 *             multicast (224.0.0.0/4, ff00::/8), reserved and broadcast
 *             (240.0.0.0/4) are no one host.
 *   private   unicast ranges of a private network: RFC 1918, CGNAT, loopback,
 *             link-local (the cloud metadata address among them), unique-local.
 *             A DNS answer there is dialled only with --allow-private, so a
 *             hostile answer cannot point the scanner at its LAN or itself.
 *   special   documentation, benchmarking, IETF protocol assignments,
 *             discard-only, site-local, local-use NAT64: never dialled from a
 *             DNS answer, dialled when typed as a relay.
 *
 * An IPv6 address that carries an IPv4 address (compatible, NAT64) is judged by it.
 */
import { isIP } from 'node:net';
import { canonicalIp, embeddedIpv4, ipv6Groups } from '../net/address.js';

export type GuardClass = 'never' | 'private' | 'special';

interface Range {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly label: string;
  readonly class: GuardClass;
}

/** The guarded ranges, with the name the finding gives them and their class. */
export const GUARDED_RANGES: readonly Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', label: '"this network" (0.0.0.0/8)', class: 'never' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', label: 'multicast (224.0.0.0/4)', class: 'never' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', label: 'reserved and broadcast (240.0.0.0/4)', class: 'never' },
  { network: '::', prefix: 128, family: 'ipv6', label: 'unspecified (::)', class: 'never' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', label: 'multicast (ff00::/8)', class: 'never' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', label: 'private (10.0.0.0/8)', class: 'private' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', label: 'carrier-grade NAT (100.64.0.0/10)', class: 'private' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', label: 'loopback (127.0.0.0/8)', class: 'private' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', label: 'link-local / cloud metadata (169.254.0.0/16)', class: 'private' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', label: 'private (172.16.0.0/12)', class: 'private' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', label: 'private (192.168.0.0/16)', class: 'private' },
  { network: '::1', prefix: 128, family: 'ipv6', label: 'loopback (::1)', class: 'private' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', label: 'unique local (fc00::/7)', class: 'private' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', label: 'link-local (fe80::/10)', class: 'private' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', label: 'IETF protocol assignments (192.0.0.0/24)', class: 'special' },
  { network: '192.0.2.0', prefix: 24, family: 'ipv4', label: 'documentation (192.0.2.0/24)', class: 'special' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', label: 'benchmarking (198.18.0.0/15)', class: 'special' },
  { network: '198.51.100.0', prefix: 24, family: 'ipv4', label: 'documentation (198.51.100.0/24)', class: 'special' },
  { network: '203.0.113.0', prefix: 24, family: 'ipv4', label: 'documentation (203.0.113.0/24)', class: 'special' },
  { network: '64:ff9b:1::', prefix: 48, family: 'ipv6', label: 'local-use NAT64 (64:ff9b:1::/48)', class: 'special' },
  { network: '100::', prefix: 64, family: 'ipv6', label: 'discard-only (100::/64)', class: 'special' },
  // Benchmarking lies inside the IETF block and the first match wins: the more specific comes first.
  { network: '2001:2::', prefix: 48, family: 'ipv6', label: 'benchmarking (2001:2::/48)', class: 'special' },
  { network: '2001::', prefix: 23, family: 'ipv6', label: 'IETF protocol assignments (2001::/23)', class: 'special' },
  { network: '2001:db8::', prefix: 32, family: 'ipv6', label: 'documentation (2001:db8::/32)', class: 'special' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', label: 'site-local (fec0::/10)', class: 'special' },
];

/** An IPv4 dotted quad as a 32-bit number. */
function ipv4Number(ip: string): number {
  const [a = 0, b = 0, c = 0, d = 0] = ip.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** A range as a test on an address's bits: a mask compare (IPv4), group by group (IPv6). Cheaper than net.BlockList, which builds a SocketAddress per check. */
function matcherOf(range: Range): (v4: number | null, v6: readonly number[] | null) => boolean {
  if (range.family === 'ipv4') {
    const mask = range.prefix === 0 ? 0 : (~0 << (32 - range.prefix)) >>> 0;
    const network = (ipv4Number(range.network) & mask) >>> 0;
    return (v4) => v4 !== null && ((v4 & mask) >>> 0) === network;
  }
  const network = ipv6Groups(range.network) ?? [];
  return (_v4, v6) => {
    if (v6 === null) return false;
    for (let bit = 0, group = 0; bit < range.prefix; bit += 16, group += 1) {
      const bits = Math.min(16, range.prefix - bit);
      const mask = (0xffff << (16 - bits)) & 0xffff;
      if (((v6[group] ?? 0) & mask) !== ((network[group] ?? 0) & mask)) return false;
    }
    return true;
  };
}

const MATCHERS = GUARDED_RANGES.map((range) => ({ range, matches: matcherOf(range) }));

export interface Guarded {
  readonly class: GuardClass;
  readonly label: string;
}

/** The guarded range an address falls in, or null when it is none. */
export function guardOf(ip: string): Guarded | null {
  const canonical = canonicalIp(ip);
  if (canonical === null) return { class: 'never', label: 'not an IP address' };
  const family = isIP(canonical);
  const v4 = family === 6 ? embeddedIpv4(canonical) : canonical;
  const v4Number = v4 !== null ? ipv4Number(v4) : null;
  const v6Groups = v4 === null ? ipv6Groups(canonical) : null;
  for (const { range, matches } of MATCHERS) {
    if (matches(v4Number, v6Groups)) return { class: range.class, label: range.label };
  }
  return null;
}

/**
 * Why an address may not be dialled, or null when it may: a DNS answer (`fromDns`)
 * in any guarded range unless it is private and `allowPrivate`; a relay the user
 * typed only in a "never" range.
 */
export function refusal(ip: string, options: { readonly fromDns: boolean; readonly allowPrivate: boolean }): string | null {
  const guarded = guardOf(ip);
  if (guarded === null) return null;
  if (guarded.class === 'never') return guarded.label;
  if (!options.fromDns) return null;
  if (guarded.class === 'private' && options.allowPrivate) return null;
  return guarded.label;
}

/** The range a DNS answer falls in that keeps it from being dialled without --allow-private, or null (the guard's old question). */
export function guardedRange(ip: string): string | null {
  return guardOf(ip)?.label ?? null;
}
