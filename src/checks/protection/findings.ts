/** The protection check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const PROTECTION_FINDINGS = {
  'dane.partial': {
    severity: 'warn',
    description: 'Some MX hosts are DANE-protected and others are not: an attacker who can block the DANE hosts steers mail to the others.',
  },
  'protection.stuck': {
    severity: 'warn',
    description: "The destination's level is DANE or MTA-STS enforce and no host is deliverable under it: senders that apply the domain's own policy cannot deliver.",
  },
  'dane.missing': {
    severity: 'fail',
    resultType: 'dane-required',
    description: 'With requireDane: an MX host is not DANE-protected with authentication (usable, DNSSEC-secure TLSA records).',
  },
  'mta-sts.missing': {
    severity: 'fail',
    description: 'With requireMtaSts: no valid MTA-STS policy in enforce mode, or an MX host it does not accept.',
  },
  'protection.missing': {
    severity: 'fail',
    description: 'With requireDaneOrMtaSts: the destination\'s level is below MTA-STS enforce, or not authenticated.',
  },
  'tls-rpt.missing': {
    severity: 'fail',
    description: 'With requireTlsRpt: no valid TLS-RPT record.',
  },
} as const satisfies Record<string, FindingKind>;
