/**
 * The finding catalogue: every check's entries (src/checks/<check>/findings.ts)
 * plus the evaluator's own, and how a rule's finding becomes a report finding:
 * the catalogue's severity and TLS-RPT result type, then the policy's overrides.
 */
import type { Check } from '../checks/registry.js';
import { DEFAULT_CHECKS } from '../checks/registry.js';
import { NOT_MEASURED, type FindingKind, type RuleFinding } from '../model/check.js';
import { capText, LIMITS, type Truncated } from '../model/limits.js';
import type { Finding, Severity } from '../model/report.js';

/** Findings of the evaluator itself, whatever the checks. */
const CORE_FINDINGS: Readonly<Record<string, FindingKind>> = {
  [NOT_MEASURED]: {
    severity: 'warn',
    description:
      'A fact the policy needs was not gathered at this depth (e.g. legacy acceptance without --legacy-acceptance): the address is not assessed; the message names the fact and the flag that gathers it.',
  },
};

export type Catalogue = Readonly<Record<string, FindingKind>>;

/** The catalogue of a set of checks. */
export function catalogueOf(checks: readonly Check[]): Catalogue {
  return Object.assign({}, ...checks.map((c) => c.findings), CORE_FINDINGS) as Catalogue;
}

/** Every finding id the default checks emit, with its severity, result type and meaning. */
export const FINDINGS: Catalogue = catalogueOf(DEFAULT_CHECKS);

export type FindingId = string;

/** Whether an id is in the default catalogue (policy files name ids from it). */
export function isFindingId(id: string): boolean {
  return Object.hasOwn(FINDINGS, id);
}

/** A rule's finding with the catalogue's severity and result type. An id the catalogue lacks is a bug in its check. */
export function toFinding(rule: RuleFinding, catalogue: Catalogue): Finding {
  const kind = catalogue[rule.id];
  if (kind === undefined) throw new Error(`finding "${rule.id}" is not in the catalogue of the checks that ran`);
  // A message may quote server text: at most 1 KiB, like every text the report keeps.
  const cuts: Truncated = {};
  const message = capText(rule.message, LIMITS.text, 'message', cuts);
  return {
    id: rule.id,
    severity: rule.severity ?? kind.severity,
    message,
    ...(rule.host !== undefined ? { host: rule.host } : {}),
    ...(rule.ip !== undefined ? { ip: rule.ip } : {}),
    ...(rule.port !== undefined ? { port: rule.port } : {}),
    ...((rule.resultType ?? kind.resultType) !== undefined ? { resultType: rule.resultType ?? kind.resultType } : {}),
    ...(cuts['message'] !== undefined ? { truncated: { message: cuts['message'] } } : {}),
  };
}

/** Applies a policy's severity overrides: another severity, or "off" to drop the finding. */
export function applyOverrides(findings: readonly Finding[], overrides: Readonly<Record<string, Severity | 'off'>>): Finding[] {
  const out: Finding[] = [];
  for (const f of findings) {
    const override = overrides[f.id];
    if (override === 'off') continue;
    out.push(override === undefined || override === f.severity ? f : { ...f, severity: override });
  }
  return out;
}
