/**
 * The STARTTLS check's finding catalogue: every id its rules emit, the default
 * severity, the TLS-RPT result type (RFC 8460 / IANA) where one applies, and
 * what it means. Ids are stable: never rename one.
 */
import type { FindingKind } from '../../model/check.js';

export const STARTTLS_FINDINGS = {
  'starttls.missing': {
    severity: 'fail',
    resultType: 'starttls-not-supported',
    description: 'The server does not advertise STARTTLS (or refused EHLO, so it could not be negotiated).',
  },
  'starttls.rejected': {
    severity: 'fail',
    resultType: 'starttls-not-supported',
    description: 'STARTTLS is advertised but the server refuses it (e.g. 454 temporarily unavailable).',
  },
  'tls.handshake.failed': {
    severity: 'fail',
    resultType: 'validation-failure',
    description: 'The TLS handshake failed.',
  },
  'tls.version.below-minimum': {
    severity: 'fail',
    resultType: 'validation-failure',
    description: "The server negotiates only a TLS version below the policy's minimum.",
  },
  'tls.legacy-protocol.accepted': {
    severity: 'warn',
    description: 'The server still accepts TLS 1.0 or 1.1 from a client that offers only those (RFC 8996 deprecates them); a gap under a policy that forbids legacy protocols.',
  },
  'tls.cipher.not-allowed': {
    severity: 'fail',
    resultType: 'validation-failure',
    description: "The negotiated cipher suite's class is not among the policy's allowed classes.",
  },
  'tls.no-tls13': {
    severity: 'info',
    description: 'TLS 1.3 was not negotiated (RFC 9325 prefers it; TLS 1.2 is sufficient).',
  },
  'tls.forward-secrecy.missing': {
    severity: 'info',
    description: 'The negotiated key exchange has no forward secrecy (static RSA).',
  },
  'tls.plaintext-injected': {
    severity: 'warn',
    description: 'Plaintext followed the 220 reply to STARTTLS; it was discarded (RFC 3207 §6), a sign of a broken or tampering middlebox.',
  },
  'smtp.rejected-after-tls': {
    severity: 'fail',
    resultType: 'validation-failure',
    description: 'The server completed the TLS handshake but refused the session inside TLS (e.g. it wants a client certificate).',
  },
  'cert.untrusted': {
    severity: 'warn',
    resultType: 'certificate-not-trusted',
    description: 'The certificate chain does not lead to a trusted root (self-signed, unknown CA, incomplete chain).',
  },
  'cert.expired': {
    severity: 'warn',
    resultType: 'certificate-expired',
    description: 'The certificate has expired.',
  },
  'cert.not-yet-valid': {
    severity: 'warn',
    resultType: 'certificate-not-trusted',
    description: 'The certificate is not valid yet.',
  },
  'cert.hostname-mismatch': {
    severity: 'warn',
    resultType: 'certificate-host-mismatch',
    description: 'The certificate does not name the MX host (RFC 6125).',
  },
  'cert.expiring-soon': {
    severity: 'warn',
    description: 'The certificate expires within the policy\'s warning window.',
  },
  'cert.chain.incomplete': {
    severity: 'warn',
    resultType: 'certificate-not-trusted',
    description: 'The server does not send the intermediate certificate(s) needed to reach a trusted root.',
  },
  'cert.chain.order': {
    severity: 'warn',
    description: 'The chain is not sent in order (each certificate followed by its issuer), or carries certificates that belong to no path.',
  },
  'cert.sha1-signature': {
    severity: 'warn',
    description: 'A certificate below the root is signed with SHA-1 or MD5 (RFC 9325 §4.2: SHA-2 signatures).',
  },
  'cert.key.weak': {
    severity: 'warn',
    description: 'A key in the chain below the root is smaller than RSA 2048 / EC 256 bits (a gap when below the policy\'s minRsaBits/minEcBits).',
  },
  'cert.chain-too-long': {
    severity: 'warn',
    description: 'The server sent more certificates than any valid chain needs; the report keeps the first 16.',
  },
  'cert.unreadable': {
    severity: 'warn',
    resultType: 'validation-failure',
    description: 'The server sent no certificate mxready could read.',
  },
  'probe.unreachable': {
    severity: 'warn',
    description: 'The address could not be connected to (refused, unreachable or timed out): not assessed.',
  },
  'probe.timeout': {
    severity: 'warn',
    description: 'The session did not finish within its deadline: not assessed.',
  },
  'probe.connection-closed': {
    severity: 'warn',
    description: 'The server closed the connection before STARTTLS could be assessed.',
  },
  'probe.smtp-rejected': {
    severity: 'warn',
    description: 'The server refused the SMTP session before STARTTLS (greeting or EHLO 4xx/5xx): not assessed.',
  },
  'probe.protocol-error': {
    severity: 'warn',
    description: 'The server did not speak SMTP as RFC 5321 defines it: not assessed.',
  },
  'probe.internal-error': {
    severity: 'warn',
    description: 'mxready hit a bug probing this address; the other targets are unaffected.',
  },
  'address.private': {
    severity: 'warn',
    description: 'DNS pointed at a private, loopback or link-local address; not connected to (use --allow-private to allow).',
  },
} as const satisfies Record<string, FindingKind>;
