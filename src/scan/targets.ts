/**
 * Target parsing: what the user typed → what to scan. Pure.
 *
 *   example.com, Bücher.example     a domain: MX lookup (IDN converted to A-labels)
 *   user@example.com                the domain part
 *   mx.example.com:587              a relay: probed as given, no MX lookup
 *   192.0.2.1, 192.0.2.1:2525       a relay by IPv4 literal
 *   ::1, [2001:db8::1]:25           a relay by IPv6 literal
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { sanitizeText } from '../model/sanitize.js';
import { canonicalIp } from '../net/address.js';
import { guardOf } from './guard.js';

export interface DomainTarget {
  readonly kind: 'domain';
  /** What was typed, trimmed and made inert (src/model/sanitize.ts): reports carry an escape, never a control or format character. */
  readonly input: string;
  /** A-label form, lower case, no trailing dot. */
  readonly domain: string;
}

export interface HostTarget {
  readonly kind: 'host';
  /** As DomainTarget's. */
  readonly input: string;
  /** Host name (A-label form) or IP literal (no brackets). */
  readonly host: string;
  /** The port given, or null for "use --port". */
  readonly port: number | null;
  readonly isIp: boolean;
}

export type Target = DomainTarget | HostTarget;

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Converts a host name to lower-case A-label form, or returns null when it is not a valid name. */
export function normalizeHostName(name: string): string | null {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed.length === 0 || /[\s/\\@[\]]/.test(trimmed)) return null;
  const ascii = domainToASCII(trimmed).toLowerCase();
  if (ascii === '' || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 1 || !labels.every((label) => LABEL.test(label))) return null;
  // An all-numeric last label is an IPv4-looking name, never a domain.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return null;
  return ascii;
}

function parsePort(text: string, input: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new UsageError(`invalid port in target ${quoted(input)}`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`port out of range (1-65535) in target ${quoted(input)}`);
  return port;
}

/**
 * A relay typed as an IP literal, in its canonical spelling (src/net/address.ts);
 * an address in a range that is never dialled is a usage error.
 */
function ipRelay(input: string, ip: string, port: number | null): HostTarget {
  const host = canonicalIp(ip) ?? ip;
  const guarded = guardOf(host);
  if (guarded?.class === 'never') {
    throw new UsageError(`target ${quoted(input)} is in a range mxready never dials: ${guarded.label} (it is this host, or no single host)`);
  }
  return { kind: 'host', input: sanitizeText(input), host, port, isIp: true };
}

/** A target that reads as a URL (a scheme, a path after the host): the hint what to give instead. */
function urlGiven(input: string): UsageError {
  return new UsageError(`target ${quoted(input)} is a URL: give the domain, e.g. example.com (or a relay as host:port)`);
}

/** Parses one target; throws UsageError naming it when it is invalid. */
export function parseTarget(raw: string): Target {
  const input = raw.trim();
  if (input === '') throw new UsageError('empty target');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) throw urlGiven(input);

  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(input);
  if (bracketed) {
    const ip = bracketed[1] ?? '';
    if (isIP(ip) !== 6) throw new UsageError(`invalid IPv6 literal in target ${quoted(input)}`);
    const port = bracketed[2] === undefined ? null : parsePort(bracketed[2], input);
    return ipRelay(input, ip, port);
  }
  if (isIP(input) !== 0) return ipRelay(input, input, null);
  // After the IPv6 literals (fe80::1 starts like a scheme): `mailto:user@example.com`, `example.com/path`.
  if (/^[a-z][a-z0-9+-]*:(?![0-9]*$)/i.test(input)) throw urlGiven(input);
  // A slash in the host part (a mail address's local part may hold one).
  const host = input.slice(input.lastIndexOf('@') + 1);
  const slash = host.indexOf('/');
  if (slash > 0) {
    if (isIP(host.slice(0, slash)) !== 0 && /^[0-9]{1,3}$/.test(host.slice(slash + 1))) throw new UsageError(`target ${quoted(input)} is an address prefix: give one address (a relay), or a domain`);
    throw urlGiven(input);
  }

  if (input.includes('@')) {
    const at = input.lastIndexOf('@');
    const local = input.slice(0, at);
    const domain = normalizeHostName(input.slice(at + 1));
    if (local === '' || domain === null) throw new UsageError(`invalid e-mail address ${quoted(input)}`);
    return { kind: 'domain', input: sanitizeText(input), domain };
  }

  const colon = input.lastIndexOf(':');
  if (colon !== -1) {
    const hostPart = input.slice(0, colon);
    const port = parsePort(input.slice(colon + 1), input);
    if (isIP(hostPart) === 4) return ipRelay(input, hostPart, port);
    if (isIP(hostPart) === 6) throw new UsageError(`put IPv6 literals in brackets to give a port: "[${hostPart}]:${port}"`);
    const host = normalizeHostName(hostPart);
    if (host === null) throw new UsageError(`invalid host name in target ${quoted(input)}`);
    return { kind: 'host', input: sanitizeText(input), host, port, isIp: false };
  }

  const domain = normalizeHostName(input);
  if (domain === null) throw new UsageError(`invalid domain ${quoted(input)}`);
  return { kind: 'domain', input: sanitizeText(input), domain };
}

/** A key under which two inputs are the same scan (case, IDN form, user part and trailing dot ignored). */
export function targetKey(target: Target): string {
  return target.kind === 'domain' ? `domain:${target.domain}` : `host:${target.host}:${target.port ?? ''}`;
}

/** Parses and de-duplicates targets, keeping the first occurrence's order. */
export function parseTargets(inputs: readonly string[]): Target[] {
  const seen = new Set<string>();
  const targets: Target[] = [];
  for (const input of inputs) {
    const target = parseTarget(input);
    const key = targetKey(target);
    if (seen.has(key)) continue;
    seen.add(key);
    targets.push(target);
  }
  return targets;
}

export interface TargetLine {
  readonly line: number;
  readonly text: string;
}

/** Splits a targets file: one a line, '#' starts a comment, blank lines skipped. */
export function readTargetLines(content: string): TargetLine[] {
  const lines: TargetLine[] = [];
  content.split(/\r?\n/).forEach((raw, index) => {
    const hash = raw.indexOf('#');
    const text = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (text !== '') lines.push({ line: index + 1, text });
  });
  return lines;
}

/** Bad lines of a targets file named in one error, before the rest are only counted. */
const MAX_BAD_LINES = 20;

/** The bad lines of one file, collected for one error that names the file and every line (up to 20, then a count). */
export class BadLines {
  readonly #named: string[] = [];
  #count = 0;

  constructor(readonly source: string) {}

  /** Parses one target, noting the line when it is bad; the target, or null. */
  parse(text: string, line: number): Target | null {
    try {
      return parseTarget(text);
    } catch (error) {
      this.#count += 1;
      if (this.#named.length < MAX_BAD_LINES) this.#named.push(`${quoted(this.source)}:${line}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  }

  /** The usage error for the lines noted, if any. */
  throwIfAny(): void {
    if (this.#count === 0) return;
    const more = this.#count > this.#named.length ? `; and ${this.#count - this.#named.length} more bad lines` : '';
    throw new UsageError(`${this.#count === 1 ? '' : `${this.#count} bad lines: `}${this.#named.join('; ')}${more}`);
  }
}

/** Parses a targets file's content, each line with its target; the error names the file and every bad line (up to 20, then a count). */
export function parseTargetFile(content: string, source: string): (TargetLine & { readonly target: Target })[] {
  const out: (TargetLine & { readonly target: Target })[] = [];
  const bad = new BadLines(source);
  for (const { line, text } of readTargetLines(content)) {
    const target = bad.parse(text, line);
    if (target !== null) out.push({ line, text, target });
  }
  bad.throwIfAny();
  return out;
}

