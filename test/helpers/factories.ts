/** Factories for model objects in unit tests. Names carry non-ASCII text to catch encoding bugs. */
import type { CertificateFacts, ProbeResult, TlsFacts } from '../../src/model/probe.js';

export const NOW = Date.parse('2026-06-01T00:00:00Z');

export function certificate(overrides: Partial<CertificateFacts> = {}): CertificateFacts {
  return {
    subject: 'CN=mx.bücher.example,O=Bücher GmbH',
    issuer: 'CN=Test CA',
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2026-12-31T00:00:00.000Z',
    keyType: 'ec',
    keyBits: 256,
    signatureAlgorithm: 'ecdsa-with-SHA256',
    fingerprintSha256: 'AA:BB',
    selfSigned: false,
    subjectAltNames: ['DNS:mx.xn--bcher-kva.example'],
    commonNames: ['mx.bücher.example'],
    daysRemaining: 213,
    trusted: true,
    validationError: null,
    hostnameMatch: true,
    chain: [],
    ...overrides,
  };
}

export function tlsFacts(overrides: Partial<TlsFacts> = {}): TlsFacts {
  return {
    protocol: 'TLSv1.3',
    cipher: { name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384' },
    keyExchange: { type: 'ECDH', group: 'X25519', bits: 253 },
    forwardSecrecy: true,
    ...overrides,
  };
}

export function okProbe(overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    status: 'ok',
    banner: 'mx.xn--bcher-kva.example ESMTP Grüße',
    extensions: ['PIPELINING', 'STARTTLS'],
    starttls: true,
    extensionsAfterTls: ['PIPELINING'],
    tlsMode: 'starttls',
    sni: 'mx.xn--bcher-kva.example',
    tls: tlsFacts(),
    certificate: certificate(),
    timings: { connectMs: 1, greetingMs: 2, tlsMs: 5, totalMs: 8 },
    ...overrides,
  };
}

export function failedProbe(status: ProbeResult['status'], phase: NonNullable<ProbeResult['error']>['phase'], code: string, overrides: Partial<ProbeResult> = {}): ProbeResult {
  return {
    status,
    banner: null,
    extensions: [],
    starttls: false,
    error: { phase, code, message: `${code} happened` },
    timings: { connectMs: null, greetingMs: null, tlsMs: null, totalMs: 3 },
    ...overrides,
  };
}
