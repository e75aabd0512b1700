/**
 * Pure verdicts: a target's facts → every check's rules → findings → each
 * address's assessment → the target's status. Evaluation stores every verdict a
 * renderer shows, so renderers never judge.
 *
 *   fail   a gap: any finding of severity "fail" (after the policy's overrides)
 *   error  otherwise, anything could not be assessed (DNS failure, unreachable,
 *          timeout, a fact not measured, no usable MX address)
 *   pass   otherwise; a null MX is "pass" with deliverable null
 *
 * deliverable: true when an address meets the policy (with enforcement on, mail
 * still flows); false when every address was assessed and none meets it (the
 * policy would hold the mail: stuck); otherwise null (a null MX, a DNS failure,
 * no usable address, or none meets while some could not be assessed).
 */
import { DEFAULT_CHECKS, type Check } from '../checks/registry.js';
import type { AddressAnnotations, AddressView, CheckResult, Depth, MxAnnotations, MxView, ProtectionView, RuleFinding, TargetView } from '../model/check.js';
import type {
  AddressAssessment,
  AddressReport,
  ErrorInfo,
  Finding,
  MxReport,
  PolicyReport,
  TargetReport,
  TargetStatus,
} from '../model/report.js';
import { capText, LIMITS } from '../model/limits.js';
import { applyOverrides, catalogueOf, toFinding, type Catalogue } from './findings.js';
import { protectionMark } from './marks.js';
import { depthFor } from './presets.js';
import { protect } from './protection.js';

export type AddressOutcome = AddressAssessment['outcome'];

/** Codes of a target the scan itself could not assess (interrupted, a bug): there are no facts to judge. */
const SCAN_LEVEL_ERRORS: ReadonlySet<string> = new Set(['not-scanned', 'internal-error']);

export interface JudgeOptions {
  /** The checks whose rules run (the default registry, or a scan's deps.checks). */
  readonly checks: readonly Check[];
  readonly depth: Depth;
  /** When the scan started (ISO 8601): the time certificates are judged valid at (DANE-TA). */
  readonly at?: string;
}

/** The catalogue of each checks list, made once. */
const CATALOGUES = new WeakMap<readonly Check[], Catalogue>();
function catalogueFor(checks: readonly Check[]): Catalogue {
  let catalogue = CATALOGUES.get(checks);
  if (catalogue === undefined) {
    catalogue = catalogueOf(checks);
    CATALOGUES.set(checks, catalogue);
  }
  return catalogue;
}

/** Rule findings as report findings: catalogue, then overrides; and the reasons some leave things not assessed. */
function judged(rules: readonly RuleFinding[], catalogue: Catalogue, policy: PolicyReport): { findings: Finding[]; unassessed: ErrorInfo[] } {
  return {
    findings: applyOverrides(rules.map((r) => toFinding(r, catalogue)), policy.findings),
    // Taken before the overrides: turning probe.timeout "off" does not make an unreachable address meet the policy.
    unassessed: rules.flatMap((r) => (r.unassessed ? [r.unassessed] : [])),
  };
}

/** Every mark the renderers show for one address: the outcome, then each check's marks (none without the facts). */
export function assess(view: AddressView, findings: readonly Finding[], outcome: AddressOutcome, policy: PolicyReport, checks: readonly Check[]): AddressAssessment {
  const marks = checks.map((check) => check.rules.marks?.(view, findings, policy) ?? {});
  return Object.assign({ outcome, protocol: null, cipher: null, certificate: null }, ...marks) as AddressAssessment;
}

function checksOf(record: { readonly checks?: Readonly<Record<string, CheckResult>> }): Readonly<Record<string, CheckResult>> {
  return record.checks ?? {};
}

function mxView(mx: MxReport): MxView {
  return {
    host: mx.host,
    preference: mx.preference,
    ...(mx.dnssec ? { dnssec: mx.dnssec } : {}),
    ...(mx.tlsa ? { tlsa: mx.tlsa } : {}),
    ...(mx.cname ? { cname: mx.cname } : {}),
    ...(mx.ipLiteral ? { ipLiteral: true } : {}),
    ...(mx.error ? { error: mx.error } : {}),
    ...(mx.partialError ? { partialError: mx.partialError } : {}),
    ...(mx.addressesSkipped ? { addressesSkipped: mx.addressesSkipped } : {}),
    ...(mx.addressesOmitted ? { addressesOmitted: mx.addressesOmitted } : {}),
    ...(mx.addressesExcluded ? { addressesExcluded: mx.addressesExcluded } : {}),
    addresses: mx.addresses.map((a) => ({ ip: a.ip, port: a.port })),
    checks: checksOf(mx),
  };
}

/** What the domain rules see: the target's facts, no verdicts. */
export function targetView(target: TargetReport): TargetView {
  return {
    input: target.input,
    domain: target.domain,
    kind: target.kind,
    dns: target.dns,
    mx: target.mx.map(mxView),
    ...(target.mtaSts ? { mtaSts: target.mtaSts } : {}),
    ...(target.tlsRpt ? { tlsRpt: target.tlsRpt } : {}),
    checks: checksOf(target),
  };
}

interface Verdict {
  readonly outcome: AddressOutcome;
  readonly error?: ErrorInfo;
}

export interface AddressEvaluation {
  readonly outcome: AddressOutcome;
  readonly findings: readonly Finding[];
  readonly assessment: AddressAssessment;
  /** What the checks derive from the facts alone (the DANE verdict). */
  readonly annotations: AddressAnnotations;
  /** Why it could not be assessed, when it could not. */
  readonly error?: ErrorInfo;
}

/**
 * One address as reached through one MX entry, under `policy`: every address
 * rule of the checks, the outcome and the marks. `options` defaults to the
 * default checks at the depth a fresh scan under `policy` makes.
 */
export function evaluateAddress(
  address: Omit<AddressView, 'checks'> & { readonly checks?: AddressView['checks'] },
  policy: PolicyReport,
  options: JudgeOptions = { checks: DEFAULT_CHECKS, depth: depthFor(policy) },
): AddressEvaluation {
  const view: AddressView = { ...address, checks: address.checks ?? {} };
  const rules = options.checks.flatMap((check) => (check.rules.address ?? []).flatMap((rule) => rule(view, policy, options.depth)));
  const { findings, unassessed } = judged(rules, catalogueFor(options.checks), policy);
  const outcome: AddressOutcome = findings.some((f) => f.severity === 'fail') ? 'gap' : unassessed.length > 0 ? 'unassessed' : 'meets';
  const reason = outcome === 'unassessed' ? unassessed[0] : undefined;
  const annotations: AddressAnnotations = Object.assign({}, ...options.checks.map((check) => check.rules.annotate?.(view) ?? {}));
  return { outcome, findings, assessment: assess(view, findings, outcome, policy, options.checks), annotations, ...(reason ? { error: reason } : {}) };
}

export interface TargetVerdictInput {
  /** A DNS reason the target as a whole could not be assessed. */
  readonly error?: ErrorInfo;
  readonly nullMx: boolean;
  /** A finding of severity fail outside any address (a domain or MX rule). */
  readonly gapElsewhere?: boolean;
  readonly outcomes: readonly Verdict[];
}

export interface TargetVerdict {
  readonly status: TargetStatus;
  readonly deliverable: boolean | null;
  readonly error?: ErrorInfo;
}

/** true: an address meets; false: every address was assessed and none meets; null: no way to tell. */
function deliverableOf(input: TargetVerdictInput): boolean | null {
  if (input.outcomes.some((o) => o.outcome === 'meets')) return true;
  if (input.error || input.outcomes.length === 0 || input.outcomes.some((o) => o.outcome === 'unassessed')) return null;
  return false;
}

export function targetVerdict(input: TargetVerdictInput): TargetVerdict {
  if (input.nullMx && input.outcomes.length === 0 && !input.error && input.gapElsewhere !== true) return { status: 'pass', deliverable: null };
  const deliverable = deliverableOf(input);
  if (input.gapElsewhere === true || input.outcomes.some((o) => o.outcome === 'gap')) return { status: 'fail', deliverable };
  if (input.error) return { status: 'error', deliverable, error: input.error };
  const unassessed = input.outcomes.find((o) => o.outcome === 'unassessed');
  if (unassessed) {
    return { status: 'error', deliverable, error: unassessed.error ?? { code: 'not-assessed', message: 'an address could not be assessed' } };
  }
  if (input.outcomes.length === 0) {
    return { status: 'error', deliverable, error: { code: 'no-mx-address', message: 'nothing to probe' } };
  }
  return { status: 'pass', deliverable };
}

/** Whether a target holds no facts to judge: the scan never reached it, or a bug lost them. */
export function isScanLevelError(target: TargetReport): boolean {
  return target.status === 'error' && target.error !== undefined && SCAN_LEVEL_ERRORS.has(target.error.code) && target.mx.length === 0 && target.dns.error === undefined;
}

/**
 * Judges one target from its facts under `policy`: runs every check's rules at
 * every scope and stores the findings, each address's assessment, the status,
 * `deliverable` and why it could not be assessed. The facts are kept as they are,
 * so judging a judged target again under another policy is the same as scanning
 * it under that policy.
 */
export function judgeTarget(target: TargetReport, policy: PolicyReport, options: JudgeOptions): TargetReport {
  if (isScanLevelError(target)) return { ...target, findings: [] };
  const catalogue = catalogueFor(options.checks);
  const view = targetView(target);
  const domainRules = options.checks.flatMap((check) => (check.rules.domain ?? []).flatMap((rule) => rule(view, policy, options.depth)));
  const domain = judged(domainRules, catalogue, policy);
  const findings: Finding[] = [...domain.findings];
  const outsideUnassessed: ErrorInfo[] = [...domain.unassessed];
  let gapElsewhere = domain.findings.some((f) => f.severity === 'fail');
  const outcomes: Verdict[] = [];
  /** Each address's outcome as (MX index, verdict), for the protection rules' gaps. */
  const placed: { readonly mx: number; verdict: Verdict }[] = [];
  const annotated = target.mx.map((entry, index): MxReport => {
    const mxRules = options.checks.flatMap((check) => (check.rules.mx ?? []).flatMap((rule) => rule(view.mx[index] as MxView, view, policy, options.depth)));
    const mxJudged = judged(mxRules, catalogue, policy);
    findings.push(...mxJudged.findings);
    outsideUnassessed.push(...mxJudged.unassessed);
    gapElsewhere ||= mxJudged.findings.some((f) => f.severity === 'fail');
    const views: AddressView[] = [];
    const addresses = entry.addresses.map((address): AddressReport => {
      const view: AddressView = {
        host: entry.host,
        ip: address.ip,
        port: address.port,
        probe: address.probe,
        checks: checksOf(address),
        ...(entry.tlsa ? { tlsa: entry.tlsa } : {}),
        ...(options.at ? { scannedAt: options.at } : {}),
        ...(target.mtaSts ? { mtaSts: target.mtaSts } : {}),
      };
      views.push(view);
      const evaluation = evaluateAddress(view, policy, options);
      findings.push(...evaluation.findings);
      placed.push({ mx: index, verdict: { outcome: evaluation.outcome, ...(evaluation.error ? { error: evaluation.error } : {}) } });
      const { dane: _stale, ...facts } = address;
      return { ...facts, assessment: evaluation.assessment, ...evaluation.annotations };
    });
    const mxAnnotations: MxAnnotations = Object.assign({}, ...options.checks.map((check) => check.rules.annotateMx?.(view.mx[index] as MxView, views, view) ?? {}));
    const { mtaSts: _staleMx, protection: _staleProtection, ...mxFacts } = entry;
    return { ...mxFacts, addresses, ...mxAnnotations };
  });
  // Effective protection, from the annotated facts, then the rules that judge it.
  const { protection: _staleTarget, ...targetFacts } = target;
  const protection = protect({ ...targetFacts, mx: annotated });
  const mx = annotated.map((entry, index): MxReport => {
    const p = protection.mx[index];
    return p ? { ...entry, protection: p } : entry;
  });
  const protectionView: ProtectionView = {
    domain: target.domain,
    kind: target.kind,
    dns: target.dns,
    ...(target.mtaSts ? { mtaSts: target.mtaSts } : {}),
    ...(target.tlsRpt ? { tlsRpt: target.tlsRpt } : {}),
    ...(protection.target ? { protection: protection.target } : {}),
    mx: mx.map((m) => ({ host: m.host, ...(m.protection ? { protection: m.protection } : {}), ...(m.mtaSts ? { mtaSts: m.mtaSts } : {}), addresses: m.addresses.length })),
  };
  const protectionRules = options.checks.flatMap((check) => (check.rules.protection ?? []).flatMap((rule) => rule(protectionView, policy, options.depth)));
  const protectionJudged = judged(protectionRules, catalogue, policy);
  findings.push(...protectionJudged.findings);
  const targetProtection = protection.target ? { ...protection.target, mark: protectionMark(protection.target, protectionJudged.findings) } : undefined;
  outsideUnassessed.push(...protectionJudged.unassessed);
  // A gap of a protection rule: at every address of its host, or of the destination without one.
  const gaps = protectionJudged.findings.filter((f) => f.severity === 'fail');
  const gapAll = gaps.some((f) => f.host === undefined);
  const gapHosts = new Set(gaps.flatMap((f) => (f.host !== undefined ? [f.host] : [])));
  gapElsewhere ||= gaps.some((f) => f.host !== undefined && mx.some((m) => m.host === f.host && m.addresses.length === 0)) || (gapAll && placed.length === 0);
  const gapAt = (index: number): boolean => gapAll || gapHosts.has(mx[index]?.host ?? '');
  for (const p of placed) outcomes.push(gapAt(p.mx) ? { outcome: 'gap' } : p.verdict);
  const judgedMx = gaps.length === 0 ? mx : mx.map((entry, index) => (gapAt(index) ? { ...entry, addresses: entry.addresses.map((a) => ({ ...a, assessment: { ...a.assessment, outcome: 'gap' as const } })) } : entry));
  for (const reason of outsideUnassessed) outcomes.push({ outcome: 'unassessed', error: reason });
  const hasAddress = target.mx.some((entry) => entry.addresses.length > 0);
  const omitted = target.mx.reduce((n, entry) => n + (entry.addressesOmitted ?? 0), 0);
  const noAddress: ErrorInfo =
    omitted > 0
      ? { code: 'no-address-in-family', message: `no address of the family asked for (-4 or -6); ${omitted} of the other family left out` }
      : { code: 'no-mx-address', message: 'no MX host has a usable address' };
  const error: ErrorInfo | undefined = target.dns.error ?? (!hasAddress && target.dns.mxSource !== 'null' ? noAddress : undefined);
  const decided = targetVerdict({ nullMx: target.dns.mxSource === 'null', outcomes, gapElsewhere, ...(error ? { error } : {}) });
  // Why it could not be assessed quotes a server or DNS message: within the text limit too.
  const verdict = decided.error ? { ...decided, error: { ...decided.error, message: capText(decided.error.message, LIMITS.text, 'error.message', {}) } } : decided;
  return {
    input: target.input,
    domain: target.domain,
    kind: target.kind,
    status: verdict.status,
    ...(verdict.error ? { error: verdict.error } : {}),
    deliverable: verdict.deliverable,
    dns: target.dns,
    mx: judgedMx,
    ...(target.mtaSts ? { mtaSts: target.mtaSts } : {}),
    ...(target.tlsRpt ? { tlsRpt: target.tlsRpt } : {}),
    ...(targetProtection ? { protection: targetProtection } : {}),
    ...(target.checks ? { checks: target.checks } : {}),
    findings,
  };
}
