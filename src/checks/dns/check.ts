/**
 * The DNS check (domain scope): rules only. Its facts are the resolution the
 * pipeline makes before any check runs (domain → MX hosts → addresses, stored
 * as `dns` and `mx[]` in the target), because every other scope is built from
 * it; it has nothing more to ask.
 */
import type { DomainCheck } from '../types.js';
import { DNS_FINDINGS } from './findings.js';
import { dnsRules } from './rules.js';

export const dnsCheck: DomainCheck = {
  id: 'dns',
  scope: 'domain',
  description: 'what the resolution says: NXDOMAIN, null and implicit MX, aliases, truncation, failed lookups',
  findings: DNS_FINDINGS,
  rules: { domain: dnsRules },
};
