/**
 * The address guard: addresses that come from DNS and fall in ranges a public
 * mail server never uses are not connected to (unless --allow-private). A DNS
 * answer must not be able to point the scanner at the scanning host, its LAN or
 * a cloud metadata service. Explicit relay targets are always allowed.
 */
import { BlockList, isIP } from 'node:net';

interface Range {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
  readonly label: string;
}

/** The ranges refused, with the name the finding gives them. */
export const GUARDED_RANGES: readonly Range[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', label: '"this network" (0.0.0.0/8)' },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', label: 'private (10.0.0.0/8)' },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', label: 'carrier-grade NAT (100.64.0.0/10)' },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', label: 'loopback (127.0.0.0/8)' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', label: 'link-local / cloud metadata (169.254.0.0/16)' },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', label: 'private (172.16.0.0/12)' },
  { network: '192.0.0.0', prefix: 24, family: 'ipv4', label: 'IETF protocol assignments (192.0.0.0/24)' },
  { network: '192.0.2.0', prefix: 24, family: 'ipv4', label: 'documentation (192.0.2.0/24)' },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', label: 'private (192.168.0.0/16)' },
  { network: '198.18.0.0', prefix: 15, family: 'ipv4', label: 'benchmarking (198.18.0.0/15)' },
  { network: '198.51.100.0', prefix: 24, family: 'ipv4', label: 'documentation (198.51.100.0/24)' },
  { network: '203.0.113.0', prefix: 24, family: 'ipv4', label: 'documentation (203.0.113.0/24)' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', label: 'multicast (224.0.0.0/4)' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', label: 'reserved (240.0.0.0/4)' },
  { network: '::', prefix: 128, family: 'ipv6', label: 'unspecified (::)' },
  { network: '::1', prefix: 128, family: 'ipv6', label: 'loopback (::1)' },
  { network: '64:ff9b:1::', prefix: 48, family: 'ipv6', label: 'local-use NAT64 (64:ff9b:1::/48)' },
  { network: '100::', prefix: 64, family: 'ipv6', label: 'discard-only (100::/64)' },
  { network: '2001:db8::', prefix: 32, family: 'ipv6', label: 'documentation (2001:db8::/32)' },
  { network: 'fc00::', prefix: 7, family: 'ipv6', label: 'unique local (fc00::/7)' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', label: 'link-local (fe80::/10)' },
  { network: 'fec0::', prefix: 10, family: 'ipv6', label: 'site-local (fec0::/10)' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', label: 'multicast (ff00::/8)' },
];

function blockListOf(range: Range): BlockList {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return list;
}

const LISTS = GUARDED_RANGES.map((range) => ({ range, list: blockListOf(range) }));

/** The eight 16-bit groups of an IPv6 literal (any spelling: "::", a trailing dotted quad), or null. */
export function ipv6Groups(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  let text = ip.toLowerCase();
  const quad = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

/**
 * The IPv4 address an IPv6 address carries and would reach: IPv4-mapped
 * (::ffff:0:0/96), IPv4-compatible (::/96, deprecated but dialable) and the
 * NAT64 well-known prefix (64:ff9b::/96). Null for any other address.
 */
function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const zeroHead = g.slice(0, 5).every((x) => x === 0);
  const mapped = zeroHead && g[5] === 0xffff;
  const compatible = zeroHead && g[5] === 0 && ((g[6] ?? 0) !== 0 || (g[7] ?? 0) > 1);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !compatible && !nat64) return null;
  const high = g[6] ?? 0;
  const low = g[7] ?? 0;
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Why an address is refused, or null when it may be dialled. IPv6 addresses
 * that carry an IPv4 address (mapped, compatible, NAT64) are judged by it.
 */
export function guardedRange(ip: string): string | null {
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const v4 = family === 6 ? embeddedIpv4(ip) : ip;
  const subject = v4 ?? ip;
  const subjectFamily = v4 ? 'ipv4' : 'ipv6';
  for (const { range, list } of LISTS) {
    if (range.family === subjectFamily && list.check(subject, subjectFamily)) return range.label;
  }
  return null;
}
