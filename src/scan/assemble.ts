/**
 * Assembles the report of one target from its plan and the shared probe
 * results, and judges it. Pure.
 */
import { isLookupFailure } from '../dns/resolver.js';
import type { ProbeError, ProbeResult } from '../model/probe.js';
import type { AddressReport, ErrorInfo, Finding, MxReport, TargetReport } from '../model/report.js';
import { evaluateAddress, targetVerdict, type AddressOutcome } from '../policy/evaluate.js';
import { applyOverrides, finding, isFindingId } from '../policy/findings.js';
import type { Policy } from '../policy/presets.js';
import { matchesHostname } from '../tls/certificate.js';
import type { PlannedAddress, PlannedMx, PlannedTarget } from './plan.js';

/** The probe result as seen through one MX entry: the name match is recomputed for its host. */
export function viewThroughHost(probe: ProbeResult, host: string): ProbeResult {
  if (!probe.certificate) return probe;
  const hostnameMatch = matchesHostname(probe.certificate, host);
  if (hostnameMatch === probe.certificate.hostnameMatch) return probe;
  return { ...probe, certificate: { ...probe.certificate, hostnameMatch } };
}

/** What a guarded address becomes: a record with no connection made. */
export function refusedPrivateResult(range: string): ProbeResult {
  return unreachedProbe('refused-private', { phase: 'guard', code: 'private-address', message: `address in a ${range} range` });
}

/** A record for an address no session reached: refused by the guard, never started, or lost to a bug. */
export function unreachedProbe(status: ProbeResult['status'], error: ProbeError): ProbeResult {
  return { status, banner: null, extensions: [], starttls: false, error, timings: { connectMs: null, greetingMs: null, tlsMs: null, totalMs: 0 } };
}

function addressProbe(address: PlannedAddress, results: ReadonlyMap<string, ProbeResult>): ProbeResult {
  if (address.probeKey === null) return refusedPrivateResult(address.refusedRange ?? 'private');
  const result = results.get(address.probeKey);
  if (!result) throw new Error(`no probe result for ${address.probeKey}`);
  return result;
}

function dnsFindings(target: PlannedTarget): Finding[] {
  const out: Finding[] = [];
  const error = target.dnsError;
  if (error) {
    // Resolver messages usually name the domain already.
    const text = error.message.includes(target.domain) ? error.message : `${target.domain}: ${error.message}`;
    if (error.code === 'nxdomain') out.push(finding('dns.nxdomain', text));
    else if (error.code === 'no-address' || error.code === 'no-mx-address') out.push(finding('dns.no-address', text));
    // An MX host's failed lookup is reported per host below; the domain-level error only repeats it.
    else if (!target.mx.some((mx) => mx.error && isLookupFailure(mx.error))) out.push(finding('dns.lookup-failed', `${text} (${error.code})`));
  }
  if (target.mxSource === 'null') out.push(finding('dns.null-mx', `${target.domain} publishes a null MX: it accepts no mail`));
  if (target.mxSource === 'implicit') out.push(finding('dns.implicit-mx', `${target.domain} has no MX record; its own address is used`));
  for (const note of target.notes) {
    const id = isFindingId(note.id) ? note.id : 'dns.lookup-failed';
    out.push(finding(id, note.message, note.host !== undefined ? { host: note.host } : {}));
  }
  for (const mx of target.mx) {
    if (mx.error && !target.notes.some((n) => n.id === 'dns.mx.no-address' && n.host === mx.host)) {
      out.push(finding('dns.mx.no-address', `${mx.host}: ${mx.error.message}`, { host: mx.host }));
    }
    if (mx.error && isLookupFailure(mx.error)) {
      out.push(finding('dns.lookup-failed', `${mx.host}: ${mx.error.message} (${mx.error.code}); its addresses are not assessed`, { host: mx.host }));
    }
    if (mx.partialError) {
      out.push(finding('dns.lookup-failed', `${mx.host}: ${mx.partialError.message}; only the other family's addresses were probed`, { host: mx.host }));
    }
    if (mx.addressesSkipped > 0) {
      out.push(finding('dns.addresses.truncated', `${mx.host}: ${mx.addressesSkipped} more addresses not probed`, { host: mx.host }));
    }
  }
  return out;
}

interface Outcome {
  readonly outcome: AddressOutcome;
  readonly error?: ErrorInfo;
}

function assembleMx(mx: PlannedMx, results: ReadonlyMap<string, ProbeResult>, policy: Policy, outcomes: Outcome[], findings: Finding[]): MxReport {
  const addresses = mx.addresses.map((address): AddressReport => {
    const probe = viewThroughHost(addressProbe(address, results), mx.host);
    const evaluation = evaluateAddress({ host: mx.host, ip: address.ip, port: address.port, probe }, policy);
    findings.push(...evaluation.findings);
    outcomes.push({
      outcome: evaluation.outcome,
      ...(probe.error ? { error: { code: probe.error.code, message: `${mx.host} [${address.ip}]: ${probe.error.message}` } } : {}),
    });
    return { ip: address.ip, port: address.port, probe };
  });
  return {
    host: mx.host,
    preference: mx.preference,
    ...(mx.cname ? { cname: mx.cname } : {}),
    ...(mx.error ? { error: mx.error } : {}),
    ...(mx.addressesSkipped > 0 ? { addressesSkipped: mx.addressesSkipped } : {}),
    addresses,
  };
}

export function assembleTarget(target: PlannedTarget, results: ReadonlyMap<string, ProbeResult>, policy: Policy): TargetReport {
  const findings = applyOverrides(dnsFindings(target), policy.findings);
  const outcomes: Outcome[] = [];
  const mx = target.mx.map((entry) => assembleMx(entry, results, policy, outcomes, findings));
  // An MX host whose lookup failed (not "has no address", but "could not be asked") leaves the target not assessed.
  for (const entry of target.mx) {
    if (entry.error && isLookupFailure(entry.error)) {
      outcomes.push({ outcome: 'unassessed', error: { code: entry.error.code, message: `${entry.host}: ${entry.error.message}` } });
    }
  }
  const hasAddress = target.mx.some((entry) => entry.addresses.length > 0);
  const error: ErrorInfo | undefined =
    target.dnsError ??
    (!hasAddress && target.mxSource !== 'null'
      ? { code: 'no-mx-address', message: 'no MX host has a usable address' }
      : undefined);
  const verdict = targetVerdict({ nullMx: target.mxSource === 'null', outcomes, ...(error ? { error } : {}) });
  return {
    input: target.input,
    domain: target.domain,
    kind: target.kind,
    status: verdict.status,
    ...(verdict.error ? { error: verdict.error } : {}),
    deliverable: verdict.deliverable,
    dns: { mxSource: target.mxSource, ...(target.dnsError ? { error: target.dnsError } : {}) },
    mx,
    findings,
  };
}

/** A target the scan never reached (interrupted): status error, code not-scanned. */
export function notScannedTarget(input: string, domain: string, kind: 'domain' | 'host'): TargetReport {
  return unassessedTarget(input, domain, kind, { code: 'not-scanned', message: 'the scan stopped before this target was assessed' });
}

/** A target with nothing assessed: status error, with why. */
export function unassessedTarget(input: string, domain: string, kind: 'domain' | 'host', error: ErrorInfo): TargetReport {
  return { input, domain, kind, status: 'error', error, deliverable: false, dns: { mxSource: 'none' }, mx: [], findings: [] };
}
