/**
 * The protection check: rules only, over the effective protection evaluation
 * derives from the other checks' facts (src/policy/protection.ts): what senders
 * that implement DANE and MTA-STS meet, and the policy's require* knobs.
 */
import type { DomainCheck } from '../types.js';
import { PROTECTION_FINDINGS } from './findings.js';
import { protectionRule } from './rules.js';

export const protectionCheck: DomainCheck = {
  id: 'protection',
  scope: 'domain',
  description: 'Effective protection: DANE, MTA-STS, opportunistic or none per MX host and destination, and the require* knobs',
  findings: PROTECTION_FINDINGS,
  rules: { protection: [protectionRule] },
};
