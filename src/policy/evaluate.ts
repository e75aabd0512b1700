/**
 * Pure verdicts: facts → findings → address outcomes → target status.
 *
 *   fail   any MX address has a gap (a finding of severity "fail")
 *   error  otherwise, anything could not be assessed (DNS failure, unreachable, timeout,
 *          no usable MX address)
 *   pass   otherwise; a null MX is "pass" with deliverable null
 *
 * deliverable: at least one MX address meets the policy (with enforcement on, mail
 * still flows).
 */
import type { ProbeResult } from '../model/probe.js';
import type { ErrorInfo, Finding, TargetStatus } from '../model/report.js';
import { applyOverrides } from './findings.js';
import { refusedAfterTls } from './after-tls.js';
import type { Policy } from './presets.js';
import { certificateRule } from './rules/certificate.js';
import { chainRule } from './rules/chain.js';
import { cipherRule } from './rules/cipher.js';
import { legacyProtocolRule } from './rules/legacy-protocols.js';
import { sessionRule } from './rules/session.js';
import { tlsVersionRule } from './rules/tls-version.js';
import type { AddressFacts, AddressRule } from './rules/types.js';

export const ADDRESS_RULES: readonly AddressRule[] = [sessionRule, tlsVersionRule, legacyProtocolRule, cipherRule, certificateRule, chainRule];

/** meets: no gap; gap: a fail finding; unassessed: the session ended before the question could be answered. */
export type AddressOutcome = 'meets' | 'gap' | 'unassessed';

export interface AddressEvaluation {
  readonly outcome: AddressOutcome;
  readonly findings: readonly Finding[];
}

/** True when the probe ended before STARTTLS support could be judged. */
export function isUnassessed(probe: ProbeResult): boolean {
  switch (probe.status) {
    case 'ok':
    case 'no-starttls':
    case 'starttls-rejected':
    case 'tls-failed':
      return false;
    case 'smtp-rejected':
    case 'connection-closed':
      return !refusedAfterTls(probe);
    case 'refused-private':
    case 'connection-refused':
    case 'connection-timeout':
    case 'timeout':
    case 'protocol-error':
    case 'internal-error':
      return true;
  }
}

export function evaluateAddress(facts: AddressFacts, policy: Policy): AddressEvaluation {
  const findings = applyOverrides(
    ADDRESS_RULES.flatMap((rule) => rule(facts, policy)),
    policy.findings,
  );
  if (findings.some((f) => f.severity === 'fail')) return { outcome: 'gap', findings };
  if (isUnassessed(facts.probe)) return { outcome: 'unassessed', findings };
  // Every gap is a fail finding; a policy that lowers one (findings: {id: "warn"}) says it is no gap for it.
  return { outcome: 'meets', findings };
}

export interface TargetVerdictInput {
  /** A DNS (or other) reason the target as a whole could not be assessed. */
  readonly error?: ErrorInfo;
  readonly nullMx: boolean;
  readonly outcomes: readonly { readonly outcome: AddressOutcome; readonly error?: ErrorInfo }[];
}

export interface TargetVerdict {
  readonly status: TargetStatus;
  readonly deliverable: boolean | null;
  readonly error?: ErrorInfo;
}

export function targetVerdict(input: TargetVerdictInput): TargetVerdict {
  if (input.nullMx && input.outcomes.length === 0 && !input.error) return { status: 'pass', deliverable: null };
  const deliverable = input.outcomes.some((o) => o.outcome === 'meets');
  if (input.outcomes.some((o) => o.outcome === 'gap')) return { status: 'fail', deliverable };
  if (input.error) return { status: 'error', deliverable, error: input.error };
  const unassessed = input.outcomes.find((o) => o.outcome === 'unassessed');
  if (unassessed) {
    return {
      status: 'error',
      deliverable,
      error: unassessed.error ?? { code: 'not-assessed', message: 'an address could not be assessed' },
    };
  }
  if (input.outcomes.length === 0) {
    return { status: 'error', deliverable: false, error: { code: 'no-mx-address', message: 'nothing to probe' } };
  }
  return { status: 'pass', deliverable };
}
