/**
 * The STARTTLS check (address scope): one SMTP session per IP:port with the
 * fixed client profile, the legacy check's second session when the first fails
 * for want of a common version, and, at depth, the legacy-acceptance session.
 * Its facts are the connection record, `probe` in the report.
 */
import type { ProbeResult } from '../../model/probe.js';
import type { AddressCheck } from '../types.js';
import { STARTTLS_FINDINGS } from './findings.js';
import { probe } from './probe.js';
import { certificateRule } from './rules/certificate.js';
import { chainRule } from './rules/chain.js';
import { cipherRule } from './rules/cipher.js';
import { legacyProtocolRule } from './rules/legacy-protocols.js';
import { starttlsMarks } from './rules/marks.js';
import { sessionRule } from './rules/session.js';
import { tlsVersionRules } from './rules/tls-version.js';

export const STARTTLS_CHECK_ID = 'starttls';

export const starttlsCheck: AddressCheck = {
  id: STARTTLS_CHECK_ID,
  scope: 'address',
  description: 'greeting, EHLO, STARTTLS, the TLS handshake and EHLO inside TLS: protocol, cipher, key exchange, certificate',
  findings: STARTTLS_FINDINGS,
  rules: { address: [sessionRule, ...tlsVersionRules, legacyProtocolRule, cipherRule, certificateRule, chainRule], marks: starttlsMarks },
  gather: async ({ target, options, io, depth, trace, signal }) => {
    const facts: ProbeResult = await probe(
      target,
      {
        ...options,
        legacyCheck: depth.legacyCheck,
        // --enumerate tests every version itself: no extra session on top of its budget.
        legacyAcceptance: depth.legacyAcceptance && !depth.enumerate,
        trace,
        signal,
      },
      io,
    );
    return { status: 'completed', facts };
  },
};
