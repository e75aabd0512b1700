/**
 * Assembles one target's facts from its plan and the checks' results (shared
 * between every target that reaches the same IP:port or MX host), ready to be
 * judged. Pure.
 */
import { STARTTLS_CHECK_ID, type Check } from '../checks/registry.js';
import type { CheckResult } from '../model/check.js';
import { describeBug, type ErrorCode } from '../model/errors.js';
import { capCheckResult, capProbe, capText, LIMITS, recordText, targetRecordBudget, textSize, type Truncated } from '../model/limits.js';
import type { ProbeError, ProbeResult } from '../model/probe.js';
import type { AddressReport, ErrorInfo, MxReport, TargetReport } from '../model/report.js';
import { matchesHostname } from '../tls/certificate.js';
import { mxKey, type Results } from './gather.js';
import type { PlannedAddress, PlannedMx, PlannedTarget } from './plan.js';

/** Assessment placeholders until the target is judged (src/policy/evaluate.ts). */
const UNJUDGED: AddressReport['assessment'] = { outcome: 'unassessed', protocol: null, cipher: null, certificate: null };

/** What a guarded address becomes: a record with no connection made. */
export function refusedPrivateResult(range: string): ProbeResult {
  return unreachedProbe('refused-private', { phase: 'guard', code: 'private-address', message: `address in a ${range} range` });
}

/** A record for an address no session reached: refused by the guard, never started, or lost to a bug. */
export function unreachedProbe(status: ProbeResult['status'], error: ProbeError): ProbeResult {
  return { status, banner: null, extensions: [], starttls: false, error, timings: { connectMs: null, greetingMs: null, tlsMs: null, totalMs: 0 } };
}

/**
 * A check's entry in `checks` when its facts are kept at a fixed place of the
 * record (`at`, a path from that record): status, error and reason, and where
 * the facts went (`factsAt`, only when there were facts to put there).
 */
function statusOnly(result: CheckResult, at: string): CheckResult {
  const { facts, ...rest } = result;
  return facts === undefined ? rest : { ...rest, factsAt: at };
}

/**
 * The connection record of one address from its checks' results: the STARTTLS
 * check's facts, with those of a check that keeps them in the record (its
 * `inProbe` key, as schemaVersion 1 had them). Every check's result is in
 * `checks`: whole, or for those whose facts went into the record, its status
 * (with why it did not run or failed) and `factsAt`.
 */
function connectionRecord(results: Results, checks: readonly Check[]): { probe: ProbeResult; checks: Record<string, CheckResult> } {
  const { [STARTTLS_CHECK_ID]: starttls, ...others } = results;
  const message = starttls?.error?.message ?? 'mxready bug: the STARTTLS check left no result';
  let probe: ProbeResult = (starttls?.facts as ProbeResult | undefined) ?? unreachedProbe('internal-error', { phase: 'internal', code: 'internal-error', message });
  const all: Record<string, CheckResult> = {
    [STARTTLS_CHECK_ID]: starttls ? statusOnly(starttls, 'probe') : { status: 'error', error: { code: 'internal-error', message, phase: 'internal' } },
  };
  for (const [id, result] of Object.entries(others)) {
    const check = checks.find((c) => c.id === id);
    const key = check?.scope === 'address' ? check.inProbe : undefined;
    if (key === undefined) {
      all[id] = result;
      continue;
    }
    if (result.facts !== undefined) probe = { ...probe, [key]: result.facts } as ProbeResult;
    all[id] = statusOnly(result, `probe.${key}`);
  }
  return { probe, checks: all };
}

/**
 * The connection record and other results of one address, capped to the
 * report's limits once per address (src/model/limits.ts) however many targets
 * share it. The full certificate stays beside it, so that each MX name is
 * matched against every name the certificate holds, not only those kept.
 */
export interface CappedAddress {
  readonly probe: ProbeResult;
  readonly full: ProbeResult;
  readonly checks: Record<string, CheckResult>;
}

function cappedAddress(key: string, results: GatheredResults): CappedAddress {
  const cached = results.capped.get(key);
  if (cached) return cached;
  const found = results.addresses.get(key);
  if (!found) throw new Error(`no check results for ${key}`);
  const { probe, checks } = connectionRecord(found, results.checks);
  const capped: CappedAddress = {
    probe: capProbe(probe),
    full: probe,
    checks: Object.fromEntries(Object.entries(checks).map(([id, result]) => [id, capCheckResult(result)])),
  };
  results.capped.set(key, capped);
  return capped;
}

/** The capped record as seen through one MX entry: its name matched against the full certificate. */
function throughHost(address: CappedAddress, host: string): ProbeResult {
  const cert = address.probe.certificate;
  if (!cert || !address.full.certificate) return address.probe;
  const hostnameMatch = matchesHostname(address.full.certificate, host);
  return hostnameMatch === cert.hostnameMatch ? address.probe : { ...address.probe, certificate: { ...cert, hostnameMatch } };
}

function addressReport(address: PlannedAddress, host: string, results: GatheredResults): AddressReport {
  if (address.probeKey === null) {
    return { ip: address.ip, port: address.port, probe: refusedPrivateResult(address.refusedRange ?? 'private'), assessment: UNJUDGED };
  }
  const capped = cappedAddress(address.probeKey, results);
  return {
    ip: address.ip,
    port: address.port,
    probe: throughHost(capped, host),
    ...(Object.keys(capped.checks).length > 0 ? { checks: capped.checks } : {}),
    assessment: UNJUDGED,
  };
}

/** An error from DNS with its message within the text limit. */
function capError(error: ErrorInfo, path: string, cuts: Truncated): ErrorInfo {
  return { ...error, message: capText(error.message, LIMITS.text, path, cuts) };
}

function cappedChecks(checks: Results | undefined): { checks?: Record<string, CheckResult> } {
  if (!checks || Object.keys(checks).length === 0) return {};
  return { checks: Object.fromEntries(Object.entries(checks).map(([id, r]) => [id, capCheckResult(r)])) };
}

/**
 * An MX host's check results: the facts an MX check keeps on the entry (its
 * `inMx` key, as `tlsa`) go there and its status stays in `checks`; every other
 * result is in `checks` whole.
 */
function mxResults(results: Results | undefined, checks: readonly Check[]): { tlsa?: MxReport['tlsa']; checks?: Record<string, CheckResult> } {
  if (!results) return {};
  const all: Record<string, CheckResult> = {};
  const onEntry: { tlsa?: MxReport['tlsa'] } = {};
  for (const [id, result] of Object.entries(results)) {
    const check = checks.find((c) => c.id === id);
    const key = check?.scope === 'mx' ? check.inMx : undefined;
    if (key === undefined) {
      all[id] = result;
      continue;
    }
    if (result.facts !== undefined) onEntry[key] = result.facts as MxReport['tlsa'];
    all[id] = statusOnly(result, key);
  }
  return { ...onEntry, ...cappedChecks(all) };
}

/**
 * A target's domain check results: the facts a domain check keeps on the target
 * (its `inTarget` key: `mtaSts`, `tlsRpt`) go there and its status stays in
 * `checks`; every other result is in `checks` whole.
 */
function domainResults(results: Results | undefined, checks: readonly Check[]): { mtaSts?: TargetReport['mtaSts']; tlsRpt?: TargetReport['tlsRpt']; checks?: Record<string, CheckResult> } {
  if (!results) return {};
  const all: Record<string, CheckResult> = {};
  const onTarget: { mtaSts?: TargetReport['mtaSts']; tlsRpt?: TargetReport['tlsRpt'] } = {};
  for (const [id, result] of Object.entries(results)) {
    const check = checks.find((c) => c.id === id);
    const key = check?.scope === 'domain' ? check.inTarget : undefined;
    if (key === undefined) {
      all[id] = result;
      continue;
    }
    if (result.facts !== undefined) Object.assign(onTarget, { [key]: result.facts });
    all[id] = statusOnly(result, key);
  }
  return { ...onTarget, ...cappedChecks(all) };
}

function mxReport(mx: PlannedMx, results: GatheredResults): MxReport {
  const cuts: Truncated = {};
  return {
    host: capText(mx.host, LIMITS.text, 'host', cuts),
    preference: mx.preference,
    ...(mx.cname ? { cname: mx.cname.map((name, i) => capText(name, LIMITS.text, `cname[${i}]`, cuts)) } : {}),
    ...(mx.error ? { error: capError(mx.error, 'error.message', cuts) } : {}),
    ...(mx.partialError ? { partialError: capError(mx.partialError, 'partialError.message', cuts) } : {}),
    ...(mx.ipLiteral ? { ipLiteral: true } : {}),
    ...(mx.dnssec ? { dnssec: mx.dnssec } : {}),
    ...(mx.addressesSkipped > 0 ? { addressesSkipped: mx.addressesSkipped } : {}),
    ...(mx.addressesOmitted > 0 ? { addressesOmitted: mx.addressesOmitted } : {}),
    ...(mx.addressesExcluded.length > 0 ? { addressesExcluded: mx.addressesExcluded } : {}),
    addresses: mx.addresses.map((address) => addressReport(address, mx.host, results)),
    ...mxResults(results.mxHosts.get(mxKey(mx.host, mx.port)), results.checks),
    ...(Object.keys(cuts).length > 0 ? { truncated: cuts } : {}),
  };
}

export interface GatheredResults {
  /** The checks that gathered them. */
  readonly checks: readonly Check[];
  readonly addresses: ReadonlyMap<string, Results>;
  /** Each address's record capped to the report's limits, made once (assembly fills it). */
  readonly capped: Map<string, CappedAddress>;
  readonly mxHosts: ReadonlyMap<string, Results>;
  readonly domains: ReadonlyMap<string, Results>;
}

/** One target's facts, with verdicts still to be judged. */
export function assembleTarget(target: PlannedTarget, results: GatheredResults): TargetReport {
  const cuts: Truncated = {};
  return {
    input: target.input,
    domain: target.domain,
    kind: target.kind,
    status: 'error',
    deliverable: null,
    dns: {
      mxSource: target.mxSource,
      ...(target.dnssec ? { dnssec: target.dnssec } : {}),
      ...(target.dnsError ? { error: capError(target.dnsError, 'error.message', cuts) } : {}),
      ...(target.nullMxMixed ? { nullMxMixed: true } : {}),
      ...(target.mxSkipped > 0 ? { mxSkipped: target.mxSkipped } : {}),
      ...(Object.keys(cuts).length > 0 ? { truncated: cuts } : {}),
    },
    mx: withinTargetBudget(target.mx.map((entry) => mxReport(entry, results))),
    ...domainResults(results.domains.get(target.input), results.checks),
    findings: [],
  };
}

/**
 * The target's probe records, each within its share of the target's budget
 * (limits.ts targetRecordBudget); and its MX hosts' CNAME chains within
 * LIMITS.facts together: past it, each chain keeps its last name (the one whose
 * addresses were used), `truncated.cname` saying how long it was.
 */
function withinTargetBudget(mx: MxReport[]): MxReport[] {
  const chains = mx.reduce((n, m) => n + textSize(m.cname ?? []), 0);
  const short = chains <= LIMITS.facts ? mx : mx.map((m) => (m.cname === undefined || m.cname.length <= 1 ? m : { ...m, cname: m.cname.slice(-1), truncated: { ...m.truncated, cname: m.cname.length } }));
  const records = short.reduce((n, m) => n + m.addresses.length, 0);
  if (records <= 1) return short;
  const budget = targetRecordBudget(records);
  // Each record was capped when it was gathered: only one over its share here is cut again.
  return short.map((m) => ({ ...m, addresses: m.addresses.map((a) => (recordText(a.probe) <= budget ? a : { ...a, probe: capProbe(a.probe, budget) })) }));
}

/** A target the scan never reached (interrupted): status error, code not-scanned. */
export function notScannedTarget(input: string, domain: string, kind: 'domain' | 'host'): TargetReport {
  return unassessedTarget(input, domain, kind, { code: 'not-scanned' satisfies ErrorCode, message: 'the scan stopped before this target was assessed' });
}

/** A target lost to a bug: status error, code internal-error. */
export function internalErrorTarget(input: string, domain: string, kind: 'domain' | 'host', bug: unknown): TargetReport {
  return unassessedTarget(input, domain, kind, { code: 'internal-error' satisfies ErrorCode, message: describeBug(bug) });
}

/** A target with nothing assessed: status error, with why. */
function unassessedTarget(input: string, domain: string, kind: 'domain' | 'host', error: ErrorInfo): TargetReport {
  return { input, domain, kind, status: 'error', error, deliverable: null, dns: { mxSource: 'none' }, mx: [], findings: [] };
}
