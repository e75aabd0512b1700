/** The MTA-STS check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const MTA_STS_FINDINGS = {
  'mta-sts.valid': {
    severity: 'info',
    description: 'An MTA-STS policy was fetched and parsed (the message names its mode and id).',
  },
  'mta-sts.txt-invalid': {
    severity: 'warn',
    description: 'The _mta-sts TXT records are duplicated or malformed: senders apply no policy.',
  },
  'mta-sts.fetch-error': {
    severity: 'warn',
    resultType: 'sts-policy-fetch-error',
    description: 'A valid _mta-sts TXT record, and no policy could be fetched (DNS, connection, HTTP status, media type, size, deadline) (fail with honorMtaSts).',
  },
  'mta-sts.webpki-invalid': {
    severity: 'warn',
    resultType: 'sts-webpki-invalid',
    description: 'The policy host\'s certificate fails PKIX validation (fail with honorMtaSts).',
  },
  'mta-sts.policy-invalid': {
    severity: 'warn',
    resultType: 'sts-policy-invalid',
    description: 'The fetched policy does not parse (RFC 8461 §3.2) (fail with honorMtaSts).',
  },
  'mta-sts.mx-mismatch': {
    severity: 'warn',
    resultType: 'validation-failure',
    description: 'An MX host matches no mx pattern of the policy: in enforce mode a sender does not deliver there (fail with honorMtaSts); in testing mode it only reports (info).',
  },
  'mta-sts.certificate-rejected': {
    severity: 'warn',
    resultType: 'certificate-not-trusted',
    description: 'A matching MX host\'s certificate is not trusted, has expired or does not name it: in enforce mode a sender does not deliver there (fail with honorMtaSts); in testing mode info. The result type names the cause.',
  },
  'mta-sts.mode-none': {
    severity: 'info',
    description: 'The policy\'s mode is none: senders apply no policy.',
  },
} as const satisfies Record<string, FindingKind>;
