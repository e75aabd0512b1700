/** The TLS-RPT check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const TLS_RPT_FINDINGS = {
  'tls-rpt.valid': {
    severity: 'info',
    description: 'A TLS-RPT record (RFC 8460): senders report TLS failures to its rua addresses.',
  },
  'tls-rpt.invalid': {
    severity: 'warn',
    description: 'The _smtp._tls TXT records are duplicated or malformed: senders send no reports.',
  },
  'tls-rpt.lookup-failed': {
    severity: 'warn',
    description: 'The _smtp._tls TXT lookup failed (SERVFAIL, timeout): whether the domain asks for reports is unknown.',
  },
} as const satisfies Record<string, FindingKind>;
