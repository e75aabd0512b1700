/**
 * IP addresses in one spelling: IPv4 dotted quad, IPv4-mapped IPv6
 * (::ffff:a.b.c.d, in any spelling) as the IPv4 it is, and every other IPv6
 * address as RFC 5952 writes it (lower case, no leading zeros, the longest run
 * of two or more zero groups as "::", the first when two are as long). Every
 * address is canonical before the guard judges it and before probes are
 * de-duplicated, so one IP:port is one probe whatever spelling reached it.
 */
import { isIP } from 'node:net';

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

function dottedQuad(high: number, low: number): string {
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** RFC 5952 §4: the text form of eight groups. */
function rfc5952(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = (gs: readonly number[]) => gs.map((g) => g.toString(16)).join(':');
  if (bestLength < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** The canonical spelling of an IP address (see the module comment), or null when it is not one. */
export function canonicalIp(ip: string): string | null {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').map((octet) => String(Number(octet))).join('.');
  if (family !== 6) return null;
  const g = ipv6Groups(ip);
  if (g === null) return null;
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  return mapped ? dottedQuad(g[6] ?? 0, g[7] ?? 0) : rfc5952(g);
}

/**
 * The IPv4 address an IPv6 address carries and would reach: IPv4-compatible
 * (::/96, deprecated but dialable) and the NAT64 well-known prefix
 * (64:ff9b::/96). (IPv4-mapped addresses are IPv4 once canonical.) Null for any
 * other address.
 */
export function embeddedIpv4(ip: string): string | null {
  const g = ipv6Groups(ip);
  if (!g) return null;
  const zeroHead = g.slice(0, 5).every((x) => x === 0);
  const mapped = zeroHead && g[5] === 0xffff;
  const compatible = zeroHead && g[5] === 0 && ((g[6] ?? 0) !== 0 || (g[7] ?? 0) > 1);
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (!mapped && !compatible && !nat64) return null;
  return dottedQuad(g[6] ?? 0, g[7] ?? 0);
}
