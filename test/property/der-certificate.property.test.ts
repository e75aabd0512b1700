/**
 * Properties of the DER reader and the certificate summary over arbitrary bytes
 * and over real certificates with bytes changed: each returns, or throws its own
 * error type (DerError, CertificateParseError), and nothing else.
 */
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createCa, createSelfSigned } from '../../src/lab/certs.js';
import { CertificateParseError, formatRfc4514, summarizeCertificate, summarizeLeaf } from '../../src/tls/certificate.js';
import { DerError, validateTree } from '../../src/tls/der.js';
import { MAX_SIZE_RUNS, RUNS, SEED } from './runs.js';

const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');

/** Runs fn; its own error types pass, anything else (a TypeError, a RangeError) fails the property. */
function ownErrorsOnly(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof DerError) && !(error instanceof CertificateParseError)) throw error;
  }
}

let certificates: Buffer[] = [];
before(async () => {
  const ca = await createCa({ commonName: 'Property CA — Prüfung' });
  const issued = await Promise.all([
    ca.issue({ commonName: 'mx.example', dnsNames: ['mx.example', '*.example.org'], ipAddresses: ['192.0.2.1', '2001:db8::1'] }),
    ca.issue({ commonName: 'rsa.example', keyType: 'rsa-2048', organization: 'Bücher GmbH' }),
    createSelfSigned({ commonName: 'self.example', dnsNames: ['self.example'] }),
  ]);
  certificates = [derOf(ca.certPem), ...issued.map((c) => derOf(c.certPem))];
});

/** A certificate with some bytes replaced, or cut short. */
const mutated = () =>
  fc.record({
    which: fc.nat(),
    edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  });

function applyEdits(m: { which: number; edits: { at: number; value: number }[]; cut: number | undefined }): Buffer {
  const base = Buffer.from(certificates[m.which % certificates.length] ?? Buffer.alloc(0));
  for (const { at, value } of m.edits) base[at % base.length] = value;
  return m.cut === undefined ? base : base.subarray(0, m.cut % (base.length + 1));
}

describe('DER reader properties', () => {
  it(`Given arbitrary bytes (${RUNS} cases) Then validateTree returns or throws DerError`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => ownErrorsOnly(() => validateTree(Buffer.from(bytes)))), { numRuns: RUNS, seed: SEED });
  });
  it(`Given arbitrary bytes at size max (${MAX_SIZE_RUNS} cases) Then the same holds`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 65536, size: 'max' }), (bytes) => ownErrorsOnly(() => validateTree(Buffer.from(bytes)))), {
      numRuns: MAX_SIZE_RUNS,
      seed: SEED,
    });
  });
  it(`Given real certificates with bytes changed (${RUNS} cases) Then validateTree returns or throws DerError`, () => {
    fc.assert(fc.property(mutated(), (m) => ownErrorsOnly(() => validateTree(applyEdits(m)))), { numRuns: RUNS, seed: SEED });
  });
});

describe('certificate summary properties', () => {
  it(`Given arbitrary bytes (${RUNS} cases) Then summarizeCertificate and formatRfc4514 return or throw CertificateParseError`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        ownErrorsOnly(() => summarizeCertificate(Buffer.from(bytes)));
        ownErrorsOnly(() => formatRfc4514(Buffer.from(bytes)));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
  it(`Given real certificates with bytes changed (${RUNS} cases) Then the leaf summary returns or throws CertificateParseError`, () => {
    fc.assert(
      fc.property(mutated(), fc.boolean(), (m, chain) => {
        const leaf = applyEdits(m);
        ownErrorsOnly(() => summarizeLeaf(chain ? [leaf, certificates[0] ?? leaf] : [leaf], { trusted: false, validationError: 'X', hostname: 'mx.example', nowMs: 0 }));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
