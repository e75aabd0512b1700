/** Checks for scan tests: the default registry with a check's gather replaced (its rules and catalogue kept). */
import { DEFAULT_CHECKS, STARTTLS_CHECK_ID, type AddressCheck, type Check } from '../../src/checks/registry.js';
import type { AddressGather } from '../../src/checks/types.js';
import type { CheckResult, Depth } from '../../src/model/check.js';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { judgeTarget } from '../../src/policy/evaluate.js';
import { depthFor, type Policy } from '../../src/policy/presets.js';
import { assembleTarget } from '../../src/scan/assemble.js';
import type { Plan } from '../../src/scan/plan.js';
import { summarize } from '../../src/scan/summary.js';

function replacing(id: string, gather: (context: AddressGather) => Promise<CheckResult>): Check[] {
  return DEFAULT_CHECKS.map((check) => (check.id === id ? ({ ...(check as AddressCheck), gather } satisfies AddressCheck) : check));
}

/** The default checks, with the STARTTLS probe replaced by `probe`. */
export function fakeProbe(probe: (target: AddressGather['target'], context: AddressGather) => Promise<ProbeResult>): Check[] {
  return replacing(STARTTLS_CHECK_ID, async (context) => ({ status: 'completed', facts: await probe(context.target, context) }));
}

/** A judged report from a plan and a probe result per probe key, as the scan would make it. */
export function reportFrom(plan: Plan, probes: ReadonlyMap<string, ProbeResult>, policy: Policy, depth: Depth = depthFor(policy)): Report {
  const addresses = new Map([...probes].map(([key, probe]) => [key, { [STARTTLS_CHECK_ID]: { status: 'completed' as const, facts: probe } }]));
  const targets: TargetReport[] = plan.targets.map((t) =>
    judgeTarget(assembleTarget(t, { checks: DEFAULT_CHECKS, addresses, capped: new Map(), mxHosts: new Map(), domains: new Map() }), policy, { checks: DEFAULT_CHECKS, depth }),
  );
  return {
    schemaVersion: 2,
    tool: { name: 'mxready', version: '0.0.0-test' },
    startedAt: '2026-06-01T00:00:00.000Z',
    finishedAt: '2026-06-01T00:00:01.000Z',
    policy,
    depth,
    targets,
    summary: summarize(targets),
  };
}
