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
import { BlockList, isIP } from 'node:net';
import { canonicalIp, embeddedIpv4 } from '../net/address.js';

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
  { network: '2001:db8::', prefix: 32, family: 'ipv6', label: 'documentation (2001:db8::/32)', class: 'special' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', label: 'site-local (fec0::/10)', class: 'special' },
];

function blockListOf(range: Range): BlockList {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return list;
}

const LISTS = GUARDED_RANGES.map((range) => ({ range, list: blockListOf(range) }));

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
  const subject = v4 ?? canonical;
  const subjectFamily = v4 ? 'ipv4' : 'ipv6';
  for (const { range, list } of LISTS) {
    if (range.family === subjectFamily && list.check(subject, subjectFamily)) return { class: range.class, label: range.label };
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
