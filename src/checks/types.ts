/**
 * The contract every check follows (src/checks/README.md): a scope, a
 * catalogue of the findings its rules emit, the rules (which import only the
 * model), and, for most, a gather step that collects facts through injected IO
 * and never throws. The scan walks a registry of checks; nothing in the
 * pipeline or the evaluator names one.
 */
import type { CheckResult, CheckRules, CheckScope, Depth, FindingKind } from '../model/check.js';
import type { DnsClient, DnssecState } from '../dns/types.js';
import type { SessionIo, SessionOptions, SessionTarget } from '../smtp/session.js';

/** The IO a check may use: TCP and clocks (as the SMTP session takes them) and the scan's DNS client. */
export interface CheckIo extends SessionIo {
  /** The scan's DNS client (cached, with retries); a test may inject its own. */
  readonly dns?: DnsClient;
  /**
   * Why an address from DNS may not be contacted (the scan's address guard, with
   * its --allow-private), or null when it may. Absent: every address may.
   */
  readonly refuse?: (ip: string) => string | null;
}

/** What every gather step gets. */
export interface GatherBase {
  /** How the scanner introduces itself and how long it waits: the same for every check. */
  readonly options: SessionOptions;
  readonly io: CheckIo;
  readonly depth: Depth;
  /** Record each session's dialogue (--trace). */
  readonly trace: boolean;
  /** Aborts when the scan is cut (after an interrupt's grace period). */
  readonly signal: AbortSignal;
}

/** One IP:port, gathered once however many MX entries reach it. */
export interface AddressGather extends GatherBase {
  readonly target: SessionTarget;
  /** Results of the address checks that ran before this one (registry order), by check id. */
  readonly prior: Readonly<Record<string, CheckResult>>;
  /**
   * A second connection to this address at once, when the per-address limit
   * (--per-host) has a slot free now: its release, else null. Absent: one at a time.
   */
  readonly secondLane?: () => (() => void) | null;
}

/** One MX host name (or relay named by the user) at one port, gathered once per scan. */
export interface MxGather extends GatherBase {
  readonly host: string;
  /** The port its addresses are probed on. */
  readonly port: number;
  /** The host is an IP literal (a relay typed as one): there is no name to look up. */
  readonly hostIsIp: boolean;
  /** The DNSSEC state of its A/AAAA answers and CNAME hops (absent when they failed). */
  readonly dnssec?: DnssecState;
  /** The CNAME targets its name led through, in order. */
  readonly cname?: readonly string[];
}

/** One target (a domain, or a relay given as host:port / IP). */
export interface DomainGather extends GatherBase {
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  /** The port MTA-STS policies are fetched from (443; --mta-sts-port for test labs). */
  readonly mtaStsPort: number;
}

interface CheckBase {
  /** Stable id: the key of its result in `checks` (kebab-case). */
  readonly id: string;
  readonly description: string;
  /** Catalogue entries for every finding id its rules emit. */
  readonly findings: Readonly<Record<string, FindingKind>>;
  readonly rules: CheckRules;
  /** Whether the check gathers at this depth (default: always). */
  readonly runsAt?: (depth: Depth) => boolean;
}

export interface AddressCheck extends CheckBase {
  readonly scope: 'address';
  /**
   * Where its facts go when they belong with the connection record (the STARTTLS
   * check's `probe`) rather than in `checks`: the key in `probe`. Only for the
   * facts the JSON contract has always kept there.
   */
  readonly inProbe?: 'enumeration';
  /** Never throws for anything a server does (a throw is turned into status error, as a bug). */
  readonly gather?: (context: AddressGather) => Promise<CheckResult>;
}

export interface MxCheck extends CheckBase {
  readonly scope: 'mx';
  /** Where its facts go when the JSON contract keeps them on the MX entry (the DANE check's `tlsa`) rather than in `checks`. */
  readonly inMx?: 'tlsa';
  readonly gather?: (context: MxGather) => Promise<CheckResult>;
}

export interface DomainCheck extends CheckBase {
  readonly scope: 'domain';
  /** Where its facts go when the JSON contract keeps them on the target (MTA-STS's `mtaSts`, TLS-RPT's `tlsRpt`) rather than in `checks`. */
  readonly inTarget?: 'mtaSts' | 'tlsRpt';
  /** Absent for a rules-only check over facts the pipeline gathers itself (the resolution). */
  readonly gather?: (context: DomainGather) => Promise<CheckResult>;
}

export type Check = AddressCheck | MxCheck | DomainCheck;

/** Scopes in the order the scan gathers them. */
export const SCOPES: readonly CheckScope[] = ['address', 'mx', 'domain'];
