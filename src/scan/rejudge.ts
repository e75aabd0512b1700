/**
 * Judging a saved report again, offline (`mxready report --policy`). Facts in a
 * schemaVersion 2 report are policy-free, so judging them under another policy
 * gives what a fresh scan under that policy at the same depth gives; a fact the
 * depth did not gather is "not measured". Expiry is judged as of the scan
 * (`daysRemaining`). A schemaVersion 1 report is reshaped to version 2 and keeps
 * the verdicts it holds (its facts depended on its own policy).
 */
import { DEFAULT_CHECKS, type Check } from '../checks/registry.js';
import type { Depth } from '../model/check.js';
import type { EnumerationFacts, ProbeResult } from '../model/probe.js';
import { SCHEMA_VERSION, type AddressReport, type MxReport, type PolicyReport, type Report, type TargetReport } from '../model/report.js';
import { judgeTarget } from '../policy/evaluate.js';
import type { Policy } from '../policy/presets.js';
import { summarize, sumPoliteness } from './summary.js';

/** `report` judged again under `policy`: every finding, assessment, status, `deliverable` and the summary. */
export function rejudge(report: Report, policy: Policy, checks: readonly Check[] = DEFAULT_CHECKS): Report {
  const targets = report.targets.map((target) => judgeTarget(target, policy, { checks, depth: report.depth, at: report.startedAt }));
  return { ...report, policy, targets, summary: { ...summarize(targets), ...sumPoliteness([report.summary]) } };
}

type Json = Record<string, unknown>;

/** deliverable in version 2's meaning, from the outcomes stored in each address's assessment. */
function deliverableOfMarks(target: TargetReport): boolean | null {
  const outcomes = target.mx.flatMap((m) => m.addresses.map((a) => a.assessment.outcome));
  if (outcomes.includes('meets')) return true;
  if (target.dns.error || outcomes.length === 0 || outcomes.includes('unassessed') || target.status === 'error') return null;
  return false;
}
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A schemaVersion 1 probe in the version 2 shape: legacyProtocol goes, the enumeration's cipher classes go. */
function upgradeProbe(v1: Json): ProbeResult {
  const { legacyProtocol, enumeration, ...rest } = v1;
  const probe = rest as unknown as ProbeResult;
  const upgraded: ProbeResult = {
    ...probe,
    // legacyProtocol null: the second session's handshake failed too. A string: it negotiated that version, but
    // version 1 kept none of that session's facts, so the probe stays tls-failed and its message names the version.
    ...(legacyProtocol === null ? { legacyCheck: 'refused' as const } : {}),
  };
  if (!isObject(enumeration)) return upgraded;
  const ciphers = isObject(enumeration['ciphers']) ? enumeration['ciphers'] : {};
  const stripped = Object.fromEntries(
    Object.entries(ciphers).map(([version, suites]) => [
      version,
      (Array.isArray(suites) ? suites : []).filter(isObject).map((s) => ({ name: String(s['name']), standardName: String(s['standardName']) })),
    ]),
  );
  return { ...upgraded, enumeration: { ...(enumeration as unknown as EnumerationFacts), ciphers: stripped } };
}

function upgradePolicy(v1: Json): PolicyReport {
  const { requireStartTls: _gone, ...rest } = v1;
  return { ...(rest as unknown as PolicyReport), honorDane: false, honorMtaSts: false, requireDane: false, requireMtaSts: false, requireDaneOrMtaSts: false, requireTlsRpt: false };
}

/**
 * A schemaVersion 1 report (already validated against its schema) as version 2:
 * the facts reshaped, the depth read from what it holds, each address's marks
 * judged under its own saved policy, its statuses and findings kept, and
 * `deliverable` and the summary in version 2's meaning.
 */
export function upgradeV1(data: Json, checks: readonly Check[] = DEFAULT_CHECKS): Report {
  const policy = upgradePolicy(data['policy'] as Json);
  const v1Targets = (data['targets'] as Json[]) ?? [];
  const probes = v1Targets.flatMap((t) => (t['mx'] as Json[]).flatMap((mx) => (mx['addresses'] as Json[]).map((a) => a['probe'] as Json)));
  const depth: Depth = {
    legacyCheck: true,
    legacyAcceptance: probes.some((p) => p['legacyAccepted'] !== undefined),
    enumerate: probes.some((p) => p['enumeration'] !== undefined),
  };
  const targets = v1Targets.map((t): TargetReport => {
    const mx = (t['mx'] as Json[]).map(
      (m): MxReport => ({
        ...(m as unknown as MxReport),
        addresses: (m['addresses'] as Json[]).map(
          (a): AddressReport => ({
            ip: String(a['ip']),
            port: Number(a['port']),
            probe: upgradeProbe(a['probe'] as Json),
            assessment: { outcome: 'unassessed', protocol: null, cipher: null, certificate: null },
          }),
        ),
      }),
    );
    const v1Target = t as unknown as TargetReport;
    const facts: TargetReport = { ...v1Target, mx };
    const marked = judgeTarget(facts, policy, { checks, depth });
    // The marks are version 2's and so is the meaning of deliverable (true / false: stuck / null: unknown,
    // from the outcomes the marks hold); the status and findings stay those the report holds.
    const { error: _judged, ...rest } = marked;
    const deliverable = v1Target.deliverable === null && v1Target.status === 'pass' ? null : deliverableOfMarks(marked);
    return { ...rest, status: v1Target.status, ...(v1Target.error ? { error: v1Target.error } : {}), deliverable, findings: v1Target.findings };
  });
  return { ...(data as unknown as Report), schemaVersion: SCHEMA_VERSION, policy, depth, targets, summary: summarize(targets) };
}
