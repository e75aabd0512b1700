/**
 * Effective protection: what a sender that implements DANE (RFC 7672) and
 * MTA-STS (RFC 8461) applies to each MX host and to the destination as a whole,
 * and whether mail is delivered under it. Derived from the facts alone
 * (src/policy/protection.ts), whatever the scan's policy.
 */
import type { Mark } from './report.js';

/** From weakest to strongest: the order `level` ranks by. */
export const MECHANISMS = ['none', 'opportunistic', 'mta-sts-testing', 'mta-sts-enforce', 'dane'] as const;
export type Mechanism = (typeof MECHANISMS)[number];

export interface MxProtection {
  readonly mechanism: Mechanism;
  /** A sender insists on TLS here (DANE, MTA-STS enforce). */
  readonly mandatory: boolean;
  /** A sender authenticates the server (usable DANE records, MTA-STS enforce). */
  readonly authenticated: boolean;
  /** Whether mail is delivered under the mechanism; null when no address was reached. */
  readonly deliverable: boolean | null;
  /** The deciding fact, in one sentence. */
  readonly reason: string;
}

export interface TargetProtection {
  /** The weakest host mechanism: an attacker who can block the stronger hosts steers mail to the weakest. */
  readonly level: Mechanism;
  /** True only if true for every host with a protection. */
  readonly mandatory: boolean;
  readonly authenticated: boolean;
  /** True if any host's is true; else null if any is null; else false. */
  readonly deliverable: boolean | null;
  /** Hosts per mechanism. */
  readonly hosts: Readonly<Record<Mechanism, number>>;
  /**
   * Evaluation's mark for this level under the scan's policy (the rest of this
   * object is policy-free): gap when nobody can deliver under it or a protection
   * rule found a gap, warn for a warning or no TLS at all, ok for DANE and
   * MTA-STS enforce, null for a level neither good nor bad (opportunistic,
   * testing). Absent from reports judged before it.
   */
  readonly mark?: Mark | null;
}

/** Domain targets by `level`; `unknown`: no host with a protection (nothing reached, no MX, a DNS failure). */
export type ProtectionSummary = Readonly<Record<Mechanism | 'unknown', number>>;
