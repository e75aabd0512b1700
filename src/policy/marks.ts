/**
 * The marks evaluation stores beyond an address's assessment, so that renderers
 * paint without judging: an inventory row's protocol against the minimum, and a
 * destination's protection level under the policy. Pure.
 */
import { worseMark } from '../model/check.js';
import type { TargetProtection } from '../model/protection.js';
import type { Finding, Mark } from '../model/report.js';

/**
 * One connection record's part in its inventory row's protocol mark: the mark
 * evaluation gave its negotiated version (`assessment.protocol`), or gap for a
 * record without TLS (no version meets any minimum). Undefined for a record not
 * judged yet.
 */
export function recordProtocolMark(protocol: string, assessed: Mark | null | undefined): Mark | undefined {
  if (protocol === 'none') return 'gap';
  return assessed ?? undefined;
}

/** A row's protocol mark once one more of its records is counted: the worst of them. */
export function rowProtocolMark(row: Mark | undefined, record: Mark | undefined): Mark | undefined {
  if (row === undefined) return record;
  return record === undefined ? row : worseMark(row, record);
}

const SEVERITY_MARK = { fail: 'gap', warn: 'warn' } as const;

/**
 * The mark of a destination's protection level under the policy, from the
 * findings the protection rules returned for it (after the policy's overrides):
 * gap when no host is deliverable under the level, else the worst of a protection
 * gap or warning, else ok for DANE and MTA-STS enforce, warn for none, and null
 * (neither) for opportunistic TLS and MTA-STS testing.
 */
export function protectionMark(protection: TargetProtection, findings: readonly Finding[]): Mark | null {
  if (protection.deliverable === false) return 'gap';
  let found: Mark | null = null;
  for (const f of findings) {
    if (f.severity === 'info') continue;
    const mark = SEVERITY_MARK[f.severity];
    found = found === null ? mark : worseMark(found, mark);
  }
  if (found !== null) return found;
  if (protection.level === 'dane' || protection.level === 'mta-sts-enforce') return 'ok';
  return protection.level === 'none' ? 'warn' : null;
}
