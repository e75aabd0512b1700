/**
 * The checks contract, as far as the model holds it: what a check's result
 * looks like in the report, the depth a scan was made at, and what a check's
 * rules see and return. Rules import only the model (src/checks/README.md).
 */
import type { DaneVerdict, DnssecState, TlsaFacts } from './dane.js';
import type { MtaStsFacts, MxMtaSts, TlsRptFacts } from './mta-sts.js';
import type { MxProtection, TargetProtection } from './protection.js';
import type { Phase, ProbeResult } from './probe.js';
import type { AddressAssessment, ErrorInfo, Finding, Mark, MxSource, PolicyReport, Severity, TlsRptResultType } from './report.js';

/** Where a check gathers: once per domain target, once per MX host name, or once per IP:port. */
export type CheckScope = 'domain' | 'mx' | 'address';

/** How a check's gathering ended. A closed list. */
export type CheckStatus =
  /** The facts were gathered (they may describe a failure of the server: that is data). */
  | 'completed'
  /** Gathering failed (a bug, or IO that broke): `error` says why; any facts are partial. */
  | 'error'
  /** The check did not apply here (e.g. no TLS handshake to enumerate): `reason` says why. */
  | 'not-run';

export interface CheckError {
  readonly code: string;
  readonly message: string;
  readonly phase?: Phase;
}

/** One check's result at one place of the report. Plain JSON. */
export interface CheckResult<F = unknown> {
  readonly status: CheckStatus;
  readonly facts?: F;
  readonly error?: CheckError;
  /** Why the check did not run, with status "not-run". */
  readonly reason?: string;
  /** Texts cut to the report's limits: path → original length (src/model/limits.ts). */
  readonly truncated?: Readonly<Record<string, number>>;
  /**
   * Set when the facts are kept at a fixed place of the record that holds this
   * `checks` map rather than here (`probe` for the STARTTLS check,
   * `probe.enumeration`, `tlsa`, `mtaSts`, `tlsRpt`): the path to them from that
   * record. This entry then carries the status, error and reason only.
   */
  readonly factsAt?: string;
}

/**
 * How deep a scan looked: the sessions and checks beyond the fixed client
 * profile. Facts a rule needs but the depth did not gather are "not measured".
 */
export interface Depth {
  /** A second, full session offering TLS 1.0-1.1 after the first failed for want of a common version (default on). */
  readonly legacyCheck: boolean;
  /** One more session offering only TLS 1.0-1.1 after a TLS 1.2+ handshake (--legacy-acceptance; a policy that forbids legacy protocols switches it on). */
  readonly legacyAcceptance: boolean;
  /** The enumeration check: versions, suites, groups, order (--enumerate). */
  readonly enumerate: boolean;
  /** TLSA lookups for DANE (on unless --no-dane); absent from reports made before DANE (not looked up). */
  readonly dane?: boolean;
  /** The MTA-STS lookup and policy fetch (on unless --no-mta-sts); absent from reports made before MTA-STS. */
  readonly mtaSts?: boolean;
  /** The TLS-RPT lookup (on unless --no-tls-rpt); absent from reports made before TLS-RPT. */
  readonly tlsRpt?: boolean;
}

/** A catalogue entry: a finding id's default severity, TLS-RPT result type and meaning. */
export interface FindingKind {
  readonly severity: Severity;
  readonly resultType?: TlsRptResultType;
  readonly description: string;
}

/** What a rule returns: the evaluator adds the catalogue's severity and result type, then the policy's overrides. */
export interface RuleFinding {
  readonly id: string;
  readonly message: string;
  /** Replaces the catalogue's default severity (a rule whose severity depends on a policy knob). */
  readonly severity?: Severity;
  readonly host?: string;
  readonly ip?: string;
  readonly port?: number;
  /** Replaces the catalogue's TLS-RPT result type (a finding whose type depends on its cause). */
  readonly resultType?: TlsRptResultType;
  /**
   * Set when this finding means the question could not be answered here (the
   * address was unreachable, a fact was not measured, a lookup failed): the
   * address, or for a domain or MX rule the target, is then not assessed
   * (status error, exit 3) unless a gap is found. The reason becomes the
   * target's `error`.
   */
  readonly unassessed?: ErrorInfo;
}

/** One address as reached through one MX entry: what an address rule sees. */
export interface AddressView {
  /** The MX host (or relay) name this address was reached through. */
  readonly host: string;
  readonly ip: string;
  readonly port: number;
  /** The STARTTLS check's facts: the connection record. */
  readonly probe: ProbeResult;
  /** Every address check's result, by check id (the STARTTLS and enumeration checks' as status only: their facts are `probe`). */
  readonly checks: Readonly<Record<string, CheckResult>>;
  /** The TLSA records of the MX host this address was reached through (the DANE check's facts). */
  readonly tlsa?: TlsaFacts;
  /** When the scan started (ISO 8601): the time certificates are judged valid at. */
  readonly scannedAt?: string;
  /** The MTA-STS facts of the domain this address serves (absent for relays and without the lookup). */
  readonly mtaSts?: MtaStsFacts;
}

/** One MX host: what an MX rule sees. */
export interface MxView {
  readonly host: string;
  readonly preference: number;
  readonly dnssec?: DnssecState;
  readonly tlsa?: TlsaFacts;
  readonly cname?: readonly string[];
  readonly ipLiteral?: boolean;
  readonly error?: ErrorInfo;
  readonly partialError?: ErrorInfo;
  readonly addressesSkipped?: number;
  readonly addressesOmitted?: number;
  /** Addresses the opt-out list kept the scan from (--exclude). */
  readonly addressesExcluded?: readonly { readonly ip: string; readonly port: number; readonly by: 'name' | 'address' }[];
  readonly addresses: readonly { readonly ip: string; readonly port: number }[];
  readonly checks: Readonly<Record<string, CheckResult>>;
}

/** One target: what a domain rule sees (its facts, no verdicts). */
export interface TargetView {
  readonly input: string;
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  readonly dns: {
    readonly mxSource: MxSource;
    readonly dnssec?: DnssecState;
    readonly error?: ErrorInfo;
    readonly nullMxMixed?: boolean;
    readonly mxSkipped?: number;
  };
  readonly mx: readonly MxView[];
  readonly mtaSts?: MtaStsFacts;
  readonly tlsRpt?: TlsRptFacts;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export type AddressRule = (address: AddressView, policy: PolicyReport, depth: Depth) => readonly RuleFinding[];
export type MxRule = (mx: MxView, target: TargetView, policy: PolicyReport, depth: Depth) => readonly RuleFinding[];
export type DomainRule = (target: TargetView, policy: PolicyReport, depth: Depth) => readonly RuleFinding[];

/**
 * The marks a check adds to an address's assessment (what a renderer paints),
 * from the facts and the address's final findings. Pure, like a rule.
 */
export type AddressMarker = (address: AddressView, findings: readonly Finding[], policy: PolicyReport) => Partial<Omit<AddressAssessment, 'outcome'>>;

/** What a check derives for one address from the facts alone, kept beside its record (the DANE verdict). */
export interface AddressAnnotations {
  readonly dane?: DaneVerdict;
}

/** Derives annotations for one address. Pure, like a rule; policy-free. */
export type AddressAnnotator = (address: AddressView) => AddressAnnotations;

/** What a check derives for one MX entry from the facts alone (the MTA-STS verdict). */
export interface MxAnnotations {
  readonly mtaSts?: MxMtaSts;
}

/** Derives annotations for one MX entry from its own facts and its addresses' (as reached through it). Pure; policy-free. */
export type MxAnnotator = (mx: MxView, addresses: readonly AddressView[], target: TargetView) => MxAnnotations;

/** A target once its protection is derived: what a protection rule sees. */
export interface ProtectionView {
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  readonly dns: TargetView['dns'];
  readonly mtaSts?: MtaStsFacts;
  readonly tlsRpt?: TlsRptFacts;
  readonly protection?: TargetProtection;
  readonly mx: readonly {
    readonly host: string;
    readonly protection?: MxProtection;
    readonly mtaSts?: MxMtaSts;
    /** How many addresses the host has (a gap at a host without one is the destination's). */
    readonly addresses: number;
  }[];
}

/**
 * Judges a target's effective protection. A finding of severity fail with a
 * host (and no ip) is a gap at every address of that host; without a host, at
 * every address of the destination.
 */
export type ProtectionRule = (target: ProtectionView, policy: PolicyReport, depth: Depth) => readonly RuleFinding[];

/** A check's rules, by the scope they judge (which may differ from the scope it gathers at), its marks and annotations. */
export interface CheckRules {
  readonly address?: readonly AddressRule[];
  readonly mx?: readonly MxRule[];
  readonly domain?: readonly DomainRule[];
  readonly marks?: AddressMarker;
  readonly annotate?: AddressAnnotator;
  readonly annotateMx?: MxAnnotator;
  /** Run after every other rule, over the protection derived from the annotated facts. */
  readonly protection?: readonly ProtectionRule[];
}

const MARK_OF: Readonly<Record<Severity, Mark>> = { fail: 'gap', warn: 'warn', info: 'ok' };
const MARK_ORDER: readonly Mark[] = ['ok', 'warn', 'gap'];

/** The worse of two marks (gap over warn over ok). */
export function worseMark(a: Mark, b: Mark): Mark {
  return MARK_ORDER.indexOf(b) > MARK_ORDER.indexOf(a) ? b : a;
}

/** The worst mark among the findings with these ids (fail: gap, warn: warn); ok when there is none. */
export function markOf(findings: readonly Finding[], ids: ReadonlySet<string>): Mark {
  let worst: Mark = 'ok';
  for (const f of findings) {
    const mark = MARK_OF[f.severity];
    if (ids.has(f.id) && MARK_ORDER.indexOf(mark) > MARK_ORDER.indexOf(worst)) worst = mark;
  }
  return worst;
}

/** The finding every "not measured" rule emits: one per address, naming the facts and their flags. */
export const NOT_MEASURED = 'policy.not-measured';
