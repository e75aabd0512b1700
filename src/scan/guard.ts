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

/** IPv4 embedded in an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible IPv6 address, if any. */
function embeddedIpv4(ip: string): string | null {
  const mapped = /^(?:0{0,4}:){0,5}(?:ffff:)?((?:\d{1,3}\.){3}\d{1,3})$/i.exec(ip.replace(/^::/, '0:'));
  if (mapped && mapped[1] && isIP(mapped[1]) === 4) return mapped[1];
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(ip);
  if (hexMapped) {
    const high = parseInt(hexMapped[1] ?? '0', 16);
    const low = parseInt(hexMapped[2] ?? '0', 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return null;
}

/**
 * Why an address is refused, or null when it may be dialled. IPv4-mapped IPv6
 * addresses are judged by the IPv4 address they carry.
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
