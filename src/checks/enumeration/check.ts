/**
 * The enumeration check (address scope, --enumerate): which versions, suites
 * and groups an address accepts and whether it keeps its own order, one
 * handshake per session, after the STARTTLS check and from what it found. Its
 * facts go with the connection record, as `probe.enumeration`.
 */
import type { CheckResult } from '../../model/check.js';
import type { ProbeResult } from '../../model/probe.js';
import type { AddressCheck } from '../types.js';
import { enumerate } from './enumerate.js';
import { ENUMERATION_FINDINGS } from './findings.js';
import { enumerationMarks, weakSuitesRule } from './rules.js';

export const ENUMERATION_CHECK_ID = 'enumeration';

/** A handshake was attempted: TLS facts, or a failure in the handshake itself (not a refused STARTTLS). */
function reachedHandshake(probe: ProbeResult): boolean {
  return probe.tls !== undefined || probe.error?.phase === 'tls';
}

export const enumerationCheck: AddressCheck = {
  id: ENUMERATION_CHECK_ID,
  scope: 'address',
  inProbe: 'enumeration',
  description: 'every protocol version, cipher suite and key-exchange group the address accepts, and whether it enforces its own order (--enumerate)',
  findings: ENUMERATION_FINDINGS,
  rules: { address: [weakSuitesRule], marks: enumerationMarks },
  runsAt: (depth) => depth.enumerate,
  gather: async ({ target, options, io, prior, trace, signal, secondLane }): Promise<CheckResult> => {
    const probe = prior['starttls']?.facts as ProbeResult | undefined;
    if (probe === undefined || !reachedHandshake(probe)) return { status: 'not-run', reason: 'no TLS handshake was reached' };
    if (signal.aborted) return { status: 'not-run', reason: 'the scan was interrupted' };
    const sessionsBefore = probe.legacyCheck === undefined ? 1 : 2;
    const facts = await enumerate(target, { ...options, signal, known: probe.tls ?? null, sessionsBefore, trace, ...(secondLane !== undefined ? { secondLane } : {}) }, io);
    return facts.error === undefined ? { status: 'completed', facts } : { status: 'error', facts, error: facts.error };
  },
};
