/**
 * The resolver: domain → MX list (explicit, implicit per RFC 5321 §5.1, or
 * null per RFC 7505) → addresses (A then AAAA), following CNAMEs with a bound.
 * DNS outcomes are data: "no records" (NXDOMAIN, NODATA, null MX) stays apart
 * from "lookup failed" (SERVFAIL, timeout, malformed answer).
 */
import net from 'node:net';
import { isLookupFailure, type ErrorCode } from '../model/errors.js';
import { canonicalIp } from '../net/address.js';
import type { ErrorInfo } from '../model/report.js';
import { nameProblem, normaliseName } from './client.js';
import type {
  DnsClient,
  DnsRecord,
  DnsResult,
  DnssecState,
  DomainResolution,
  QueryType,
  ResolvedHost,
  ResolvedMx,
  Resolver,
} from './types.js';

const DEFAULT_MAX_CNAME_CHAIN = 8;
/** At most this many MX hosts of one domain are resolved (lowest preferences first). */
export const MAX_MX_HOSTS = 10;


export interface ResolverOptions {
  /** Longest CNAME chain followed before giving up with `cname-loop` (default 8). */
  readonly maxCnameChain?: number;
}

/** Build a resolver over a DNS client. The client's cache makes repeated names cheap. */
export function createResolver(client: DnsClient, options: ResolverOptions = {}): Resolver {
  const maxChain = options.maxCnameChain ?? DEFAULT_MAX_CNAME_CHAIN;
  const follow = (name: string, type: QueryType): Promise<ChainResult> => followChain(client, name, type, maxChain);

  async function resolveHost(input: string): Promise<ResolvedHost> {
    const name = normaliseName(input);
    const [v4, v6] = await Promise.all([follow(name, 'A'), follow(name, 'AAAA')]);
    const addresses = unique([...addressesOf(v4, net.isIPv4), ...addressesOf(v6, net.isIPv6)]);
    const chain = v4.chain.length >= v6.chain.length ? v4.chain : v6.chain;
    const dnssec = leastSecure([v4.dnssec, v6.dnssec]);
    const host: ResolvedHost = { name, ...(dnssec ? { dnssec } : {}), addresses, ...(chain.length > 0 ? { cname: chain } : {}) };
    if (addresses.length > 0) {
      const failed = [v4, v6].find((r): r is Extract<ChainResult, { ok: false }> => !r.ok && r.error.code !== 'nxdomain');
      if (!failed) return host;
      const family = failed === v4 ? 'A' : 'AAAA';
      return { ...host, partialError: { code: failed.error.code, message: `the ${family} lookup of ${name} failed (${failed.error.message})` } };
    }
    return { ...host, error: hostError(name, chain, v4, v6) };
  }

  async function resolveDomain(input: string): Promise<DomainResolution> {
    const domain = normaliseName(input);
    const mx = await follow(domain, 'MX');
    const withState = (resolution: DomainResolution, dnssec: DnssecState | undefined): DomainResolution => (dnssec ? { ...resolution, dnssec } : resolution);
    if (!mx.ok) return withState(noMail(domain, mx.error), mx.dnssec);
    if (mx.records.length === 0) {
      // RFC 5321 §5.1: the domain itself is the host; its A/AAAA answers stand for the MX RRset.
      const host = await resolveHost(domain);
      return withState(implicitMx(domain, host), host.dnssec);
    }
    return withState(await explicitMx(domain, mx.records, resolveHost), mx.dnssec);
  }

  return { resolveDomain, resolveHost };
}

// ---------------------------------------------------------------- CNAME chains

/**
 * Records of the asked type at the end of the alias chain (empty: NODATA), or
 * why there are none; with the DNSSEC state of every answer on the way (absent
 * when a lookup failed other than as bogus).
 */
type ChainResult =
  | { readonly ok: true; readonly records: readonly DnsRecord[]; readonly chain: readonly string[]; readonly dnssec?: DnssecState }
  | { readonly ok: false; readonly error: ErrorInfo; readonly chain: readonly string[]; readonly dnssec?: DnssecState };

const SECURITY_ORDER: readonly DnssecState[] = ['secure', 'insecure', 'bogus'];

/** The least secure of the states given (bogus, then insecure, then secure); undefined when none is. */
export function leastSecure(states: readonly (DnssecState | undefined)[]): DnssecState | undefined {
  let worst: DnssecState | undefined;
  for (const state of states) {
    if (state === undefined) continue;
    if (worst === undefined || SECURITY_ORDER.indexOf(state) > SECURITY_ORDER.indexOf(worst)) worst = state;
  }
  return worst;
}

/** One answer's state: AD for an answer or an NXDOMAIN, bogus for a SERVFAIL a CD query answered, nothing for another failure. */
function stateOf(result: DnsResult): DnssecState | undefined {
  if (result.ok) return result.authenticated ? 'secure' : 'insecure';
  if (result.bogus === true) return 'bogus';
  if (result.error.code === 'nxdomain') return result.authenticated === true ? 'secure' : 'insecure';
  return undefined;
}

/**
 * Ask for `type` at `name`, following CNAMEs in the answer and, when the
 * answer's chain stops at an alias without records, asking again for its
 * target. A name seen twice, or more than `maxChain` aliases, is `cname-loop`;
 * an alias that is no host name (./client.ts nameProblem) ends it with
 * `invalid-name`, even when the same answer carries its records.
 */
async function followChain(client: DnsClient, name: string, type: QueryType, maxChain: number): Promise<ChainResult> {
  const chain: string[] = [];
  const seen = new Set<string>([name]);
  const states: (DnssecState | undefined)[] = [];
  let current = name;
  for (;;) {
    const result = await client.query(current, type);
    const state = stateOf(result);
    // A hop whose state is unknown (its lookup failed) leaves the chain's state unknown too.
    states.push(state ?? (result.ok ? 'insecure' : undefined));
    const dnssec = (): DnssecState | undefined => (states.includes(undefined) && !states.includes('bogus') ? undefined : leastSecure(states));
    if (!result.ok) return withDnssec({ ok: false, error: result.error, chain }, dnssec());
    const walked = walkAnswer(result.answers, current, type);
    for (const alias of walked.aliases) {
      // A target that is no host name is never used, whether the answer carries its records or not.
      const problem = nameProblem(alias);
      if (problem !== undefined) return withDnssec({ ok: false, error: { code: 'invalid-name', message: `cannot look up "${alias}": ${problem}` }, chain: [...chain, alias] }, dnssec());
      if (seen.has(alias)) return withDnssec(loop(chain, `the CNAME chain of ${name} loops back to ${alias}`), dnssec());
      seen.add(alias);
      chain.push(alias);
      if (chain.length > maxChain) return withDnssec(loop(chain, `the CNAME chain of ${name} is longer than ${maxChain}`), dnssec());
    }
    const last = walked.aliases.at(-1);
    if (walked.records.length > 0 || last === undefined) return withDnssec({ ok: true, records: walked.records, chain }, dnssec());
    current = last;
  }
}

function withDnssec(result: ChainResult, dnssec: DnssecState | undefined): ChainResult {
  return dnssec === undefined ? result : { ...result, dnssec };
}

function loop(chain: readonly string[], message: string): ChainResult {
  return { ok: false, error: { code: 'cname-loop', message }, chain };
}

/**
 * Walk one answer section from `start`: the records of `type` owned by the
 * current name, else its CNAME target, and so on. Stops at the first repeated
 * name (the caller reports the loop) or where the section says no more.
 */
export function walkAnswer(
  answers: readonly DnsRecord[],
  start: string,
  type: string,
): { readonly records: readonly DnsRecord[]; readonly aliases: readonly string[] } {
  const aliases: string[] = [];
  const visited = new Set<string>([start]);
  let current = start;
  for (;;) {
    const records = answers.filter((r) => r.name === current && r.type === type);
    if (records.length > 0) return { records, aliases };
    const cname = answers.find((r) => r.name === current && r.type === 'CNAME');
    if (cname === undefined || typeof cname.data !== 'string') return { records: [], aliases };
    const target = normaliseName(cname.data);
    aliases.push(target);
    if (visited.has(target)) return { records: [], aliases };
    visited.add(target);
    current = target;
  }
}

// ---------------------------------------------------------------- hosts

/** The addresses of an A or AAAA answer, canonical (an IPv4-mapped AAAA is the IPv4 it carries). */
function addressesOf(result: ChainResult, isFamily: (ip: string) => boolean): string[] {
  if (!result.ok) return [];
  return result.records
    .map((r) => r.data)
    .filter((d): d is string => typeof d === 'string' && isFamily(d))
    .map((ip) => canonicalIp(ip))
    .filter((ip): ip is string => ip !== null);
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * Why a host has no address. A definite answer (NXDOMAIN, a CNAME loop) comes
 * first, then a failed lookup (we cannot say there is none), then NODATA.
 */
function hostError(name: string, chain: readonly string[], v4: ChainResult, v6: ChainResult): ErrorInfo {
  const errors = [v4, v6].flatMap((r) => (r.ok ? [] : [r.error]));
  const byCode = (code: string): ErrorInfo | undefined => errors.find((e) => e.code === code);
  const first = byCode('nxdomain') ?? byCode('cname-loop') ?? errors[0];
  if (first !== undefined) return first;
  const alias = chain.length > 0 ? ` (an alias of ${chain.at(-1)})` : '';
  return { code: 'no-address' satisfies ErrorCode, message: `${name}${alias} has no A or AAAA record` };
}

// ---------------------------------------------------------------- domains

function noMail(domain: string, error: ErrorInfo): DomainResolution {
  return { domain, mxSource: 'none', mx: [], error, nullMxMixed: false, mxSkipped: 0 };
}

/** RFC 5321 §5.1: no MX record, so the domain itself is the mail host, at preference 0. */
function implicitMx(domain: string, host: ResolvedHost): DomainResolution {
  if (host.addresses.length > 0) {
    return { domain, mxSource: 'implicit', mx: [{ ...host, preference: 0 }], nullMxMixed: false, mxSkipped: 0 };
  }
  const cause = host.error;
  if (cause === undefined || cause.code === 'no-address') {
    const error = {
      code: 'no-address' satisfies ErrorCode,
      message: `${domain} has no MX record and no A or AAAA address to fall back on (RFC 5321 §5.1)`,
    };
    return noMail(domain, error);
  }
  return noMail(domain, { code: cause.code, message: `${domain} has no MX record, and its address lookup failed: ${cause.message}` });
}

interface MxEntry {
  readonly exchange: string;
  readonly preference: number;
}

/** MX records → null MX, or the hosts sorted, de-duplicated, capped and resolved. */
async function explicitMx(
  domain: string,
  records: readonly DnsRecord[],
  resolveHost: (name: string) => Promise<ResolvedHost>,
): Promise<DomainResolution> {
  const entries = records.flatMap(toMxEntry);
  if (entries.length === 0) {
    return noMail(domain, { code: 'dns-malformed' satisfies ErrorCode, message: `the MX records of ${domain} could not be read` });
  }
  const hosts = entries.filter((e) => !isNullExchange(e.exchange));
  if (hosts.length === 0) return { domain, mxSource: 'null', mx: [], nullMxMixed: false, mxSkipped: 0 };

  const nullMxMixed = hosts.length < entries.length;
  const ordered = dedupeByExchange(sortByPreference(hosts));
  const kept = ordered.slice(0, MAX_MX_HOSTS);
  const mxSkipped = ordered.length - kept.length;
  const mx = await Promise.all(kept.map((entry) => resolveMxHost(entry, resolveHost)));
  if (mx.every((host) => host.addresses.length === 0)) {
    // "No MX host has an address" is only true when every lookup answered; a failed one says nothing of the sort.
    const failed = mx.find((host) => host.error !== undefined && isLookupFailure(host.error));
    const error = failed?.error
      ? { code: failed.error.code, message: `the address lookup of MX host ${failed.name} failed: ${failed.error.message}` }
      : { code: 'no-mx-address' satisfies ErrorCode, message: `no MX host of ${domain} has an A or AAAA address` };
    return { domain, mxSource: 'mx', mx, error, nullMxMixed, mxSkipped };
  }
  return { domain, mxSource: 'mx', mx, nullMxMixed, mxSkipped };
}

function toMxEntry(record: DnsRecord): MxEntry[] {
  const data = record.data as { preference?: unknown; exchange?: unknown } | null;
  if (typeof data !== 'object' || data === null || typeof data.exchange !== 'string') return [];
  const preference = typeof data.preference === 'number' ? data.preference : 0;
  return [{ exchange: normaliseName(data.exchange), preference }];
}

/** The RFC 7505 null MX exchange: the root name (decoded as "." or ""). */
function isNullExchange(exchange: string): boolean {
  return exchange === '.' || exchange === '';
}

function sortByPreference(entries: readonly MxEntry[]): MxEntry[] {
  return [...entries].sort((a, b) => a.preference - b.preference); // Array.prototype.sort is stable
}

/** Keep the first (most preferred) entry for each exchange. */
function dedupeByExchange(entries: readonly MxEntry[]): MxEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => (seen.has(e.exchange) ? false : (seen.add(e.exchange), true)));
}

/** Resolve one MX host as a name (always), even one that looks like an IP address. */
async function resolveMxHost(entry: MxEntry, resolveHost: (name: string) => Promise<ResolvedHost>): Promise<ResolvedMx> {
  const host = await resolveHost(entry.exchange);
  return { ...host, preference: entry.preference, ...(net.isIP(entry.exchange) !== 0 ? { ipLiteral: true } : {}) };
}
