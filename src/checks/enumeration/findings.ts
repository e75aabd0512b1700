/** The enumeration check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const ENUMERATION_FINDINGS = {
  'tls.cipher.weak-accepted': {
    severity: 'warn',
    description: 'With --enumerate: the server still accepts cipher suites NCSC-NL rates phase-out or insufficient.',
  },
} as const satisfies Record<string, FindingKind>;
