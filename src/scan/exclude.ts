/**
 * The opt-out list (--exclude): domains and address ranges the scan must never
 * touch. Pure once parsed.
 *
 *   example.org          the name and every name under it (mx.example.org, a.b.example.org)
 *   192.0.2.7            one address;  2001:db8::1  likewise
 *   198.51.100.0/24      a CIDR prefix; 2001:db8::/32 likewise
 *
 * One entry a line; '#' starts a comment; blank lines are skipped. A target whose
 * domain (or relay host, or relay address) is excluded is not scanned at all; an
 * MX host whose name is excluded, or an address in an excluded range, is never
 * connected to (the planner lists it in `addressesExcluded`).
 */
import { BlockList, isIP } from 'node:net';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { canonicalIp } from '../net/address.js';
import { normalizeHostName, readTargetLines, type Target } from './targets.js';

export class Exclusions {
  readonly #names = new Set<string>();
  readonly #ranges = new BlockList();
  #size = 0;

  /** Entries held (names and ranges). */
  get size(): number {
    return this.#size;
  }

  addName(name: string): void {
    this.#names.add(name);
    this.#size += 1;
  }

  addRange(ip: string, prefix: number): void {
    const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === (family === 'ipv6' ? 128 : 32)) this.#ranges.addAddress(ip, family);
    else this.#ranges.addSubnet(ip, prefix, family);
    this.#size += 1;
  }

  /** Whether the name (A-label form, lower case, no trailing dot) or a name above it is listed. */
  excludesName(name: string): boolean {
    if (this.#names.size === 0) return false;
    let rest = name.toLowerCase().replace(/\.$/, '');
    for (;;) {
      if (this.#names.has(rest)) return true;
      const dot = rest.indexOf('.');
      if (dot === -1) return false;
      rest = rest.slice(dot + 1);
    }
  }

  /** Whether the address lies in a listed range (IPv4-mapped IPv6 addresses are compared as IPv4). */
  excludesAddress(ip: string): boolean {
    const canonical = canonicalIp(ip) ?? ip;
    const family = isIP(canonical);
    if (family === 0) return false;
    return this.#ranges.check(canonical, family === 6 ? 'ipv6' : 'ipv4');
  }

  /** Whether an input target is kept out of the scan: its domain, its relay host or its relay address. */
  excludesTarget(target: Target): boolean {
    if (target.kind === 'domain') return this.excludesName(target.domain);
    return target.isIp ? this.excludesAddress(target.host) : this.excludesName(target.host);
  }
}

/** One entry, or the reason it is none. */
function parseEntry(text: string, into: Exclusions): string | null {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const unbracketed = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(unbracketed);
  if (family !== 0) {
    const ip = canonicalIp(unbracketed) ?? unbracketed;
    const max = isIP(ip) === 6 ? 128 : 32;
    let prefix = max;
    if (slash !== -1) {
      const bits = text.slice(slash + 1);
      if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > (family === 6 ? 128 : 32)) return `${quoted(text)} has an invalid prefix length (0-${family === 6 ? 128 : 32})`;
      // An IPv4-mapped prefix (::ffff:192.0.2.0/120) is the IPv4 prefix it maps.
      prefix = family === 6 && max === 32 ? Math.max(0, Number(bits) - 96) : Number(bits);
    }
    into.addRange(ip, prefix);
    return null;
  }
  if (slash !== -1) return `${quoted(text)} is not a CIDR prefix`;
  const name = normalizeHostName(text);
  if (name === null) return `${quoted(text)} is not a domain name, IP address or CIDR prefix`;
  into.addName(name);
  return null;
}

/** Parses an opt-out list's content; a bad entry is a usage error naming the source and line. */
export function parseExclusions(content: string, source: string): Exclusions {
  const out = new Exclusions();
  for (const { line, text } of readTargetLines(content)) {
    const problem = parseEntry(text, out);
    if (problem !== null) throw new UsageError(`${quoted(source)}:${line}: ${problem}`);
  }
  return out;
}
