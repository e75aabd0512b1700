/** The DANE check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const DANE_FINDINGS = {
  'dane.valid': {
    severity: 'info',
    description: 'A usable TLSA record matched the chain the server sent: a DANE sender delivers (the message names the record and the depth).',
  },
  'dane.mismatch': {
    severity: 'warn',
    resultType: 'tlsa-invalid',
    description: 'The host has usable, DNSSEC-secure TLSA records and none matched the chain the server sent: a DANE sender does not deliver (fail with honorDane).',
  },
  'dane.unusable-records': {
    severity: 'warn',
    resultType: 'tlsa-invalid',
    description: 'The TLSA RRset is secure but holds no usable record (PKIX usages 0/1, unknown values, wrong digest sizes): DANE senders still insist on TLS, unauthenticated (RFC 7672 §2.2).',
  },
  'dane.records-ignored': {
    severity: 'info',
    description: 'Unusable TLSA records stand beside usable ones and are ignored.',
  },
  'dane.dnssec-bogus': {
    severity: 'warn',
    resultType: 'dnssec-invalid',
    description: 'The TLSA lookup failed validation or failed outright: DANE senders defer the mail (fail with honorDane).',
  },
  'dane.insecure-tlsa-ignored': {
    severity: 'info',
    description: 'TLSA records exist but are not DNSSEC-secure (or the host\'s addresses are not): senders ignore them.',
  },
  'dane.rollover.single-record': {
    severity: 'warn',
    description: 'One DANE-EE record and no DANE-TA: the next key change breaks mail unless the new record is published first (RFC 7672 §8.1).',
  },
} as const satisfies Record<string, FindingKind>;
