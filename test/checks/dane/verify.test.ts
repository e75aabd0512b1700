/**
 * DANE verification (RFC 7672 §3) over chains made at test time: an ECDSA root,
 * an RSA issuing CA under it, ECDSA and RSA leaves under that. Every usage ×
 * selector × matching combination SMTP DANE uses (2 and 3 × 0 and 1 × 0, 1
 * and 2), then DANE-TA's names, order and dates, records that cannot be used,
 * and when DANE does not apply.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { daneVerdict, describeRecord, usability } from '../../../src/checks/dane/rules/verify.js';
import { createCa, type LabCa, type LabCertificate } from '../../../src/lab/certs.js';
import type { TlsaFacts, TlsaRecord } from '../../../src/model/dane.js';
import type { ProbeResult } from '../../../src/model/probe.js';
import { summarizeLeaf } from '../../../src/tls/certificate.js';
import { okProbe } from '../../helpers/factories.js';

const HOST = 'mx.dane.test';
const OWNER = `_25._tcp.${HOST}`;
const NOW = Date.now();
const AT = new Date(NOW).toISOString();
const DAY = 86_400_000;

let root: LabCa;
let issuing: LabCa;
let ecLeaf: LabCertificate;
let rsaLeaf: LabCertificate;
let expiredLeaf: LabCertificate;
let otherLeaf: LabCertificate;

const der = (pem: string): Buffer => new X509Certificate(pem).raw;
const spki = (pem: string): Buffer => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
const digest = (algorithm: 'sha256' | 'sha512', bytes: Buffer): string => createHash(algorithm).update(bytes).digest('hex');

/** The association data of a record for this certificate: its DER or key, whole or hashed. */
function data(pem: string, selector: number, matchingType: number): string {
  const bytes = selector === 0 ? der(pem) : spki(pem);
  return matchingType === 0 ? bytes.toString('hex') : digest(matchingType === 1 ? 'sha256' : 'sha512', bytes);
}

function record(usage: number, selector: number, matchingType: number, hex: string): TlsaRecord {
  const base = { usage, selector, matchingType, data: hex };
  const { usable, reason } = usability(base);
  return { ...base, usable, ...(reason !== undefined ? { reason } : {}) };
}

function secure(...records: TlsaRecord[]): TlsaFacts {
  return { name: OWNER, status: 'secure', records };
}

/** The probe of a server that sent these certificates, in this order, read as sent (or not). */
function probeOf(pems: readonly string[], options: { chainAsSent?: boolean } = {}): ProbeResult {
  const summary = summarizeLeaf(pems.map(der), { trusted: true, validationError: null, hostname: HOST, nowMs: NOW });
  return okProbe({ certificate: { ...summary, chainAsSent: options.chainAsSent ?? true } });
}

const pemsOf = (chainPem: string): string[] => chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];

before(async () => {
  root = await createCa({ commonName: 'DANE test root', keyType: 'ec-p256' });
  issuing = await root.intermediate({ commonName: 'DANE test issuing CA', keyType: 'rsa-2048' });
  ecLeaf = await issuing.issue({ commonName: HOST, dnsNames: [HOST], keyType: 'ec-p256' });
  rsaLeaf = await issuing.issue({ commonName: HOST, dnsNames: [HOST], keyType: 'rsa-2048' });
  expiredLeaf = await issuing.issue({ commonName: HOST, dnsNames: [HOST], notBefore: new Date(NOW - 100 * DAY), notAfter: new Date(NOW - DAY) });
  otherLeaf = await issuing.issue({ commonName: 'other.dane.test', dnsNames: ['other.dane.test'] });
});

describe('DANE verification: every usage × selector × matching type', () => {
  for (const usage of [2, 3]) {
    for (const selector of [0, 1]) {
      for (const matchingType of [0, 1, 2]) {
        for (const leafKind of ['ECDSA', 'RSA'] as const) {
          it(`Given ${usage} ${selector} ${matchingType} on the ${usage === 3 ? 'leaf' : 'issuing CA'} (${leafKind} leaf) Then valid at depth ${usage === 3 ? 0 : 1}, and a record for another certificate is a mismatch`, () => {
            const leaf = leafKind === 'ECDSA' ? ecLeaf : rsaLeaf;
            const chain = pemsOf(leaf.chainPem); // leaf, then the issuing CA: as a server sends it
            assert.equal(chain.length, 2);
            const target = usage === 3 ? chain[0] ?? '' : chain[1] ?? '';
            const verdict = daneVerdict(secure(record(usage, selector, matchingType, data(target, selector, matchingType))), probeOf(chain), HOST, AT);
            assert.deepEqual(verdict, { status: 'valid', matched: { usage, selector, matchingType, depth: usage === 3 ? 0 : 1 } });
            const wrong = usage === 3 ? pemsOf(otherLeaf.chainPem)[0] ?? '' : root.certPem;
            assert.deepEqual(daneVerdict(secure(record(usage, selector, matchingType, data(wrong, selector, matchingType))), probeOf(chain), HOST, AT), { status: 'mismatch' });
          });
        }
      }
    }
  }
});

describe('DANE-TA', () => {
  it('Given the root sent after the issuing CA and a 2 0 1 on the root Then valid at depth 2, through the issuer links', () => {
    const chain = [...pemsOf(ecLeaf.chainPem), root.certPem];
    const verdict = daneVerdict(secure(record(2, 0, 1, data(root.certPem, 0, 1))), probeOf(chain), HOST, AT);
    assert.deepEqual(verdict?.matched, { usage: 2, selector: 0, matchingType: 1, depth: 2 });
  });

  it('Given the chain sent out of order (issuing CA first) Then the leaf still reaches its anchor by issuerIndex', () => {
    const [leaf = '', ca = ''] = pemsOf(ecLeaf.chainPem);
    const probe = probeOf([leaf, root.certPem, ca]);
    assert.deepEqual(probe.certificate?.chain.map((c) => c.issuerIndex), [2, null, 1]);
    assert.equal(daneVerdict(secure(record(2, 1, 1, data(ca, 1, 1))), probe, HOST, AT)?.status, 'valid');
  });

  it('Given a TA record on a certificate the server did not send Then a mismatch (documented: a 2 1 0 naming a key not sent does not match)', () => {
    const chain = pemsOf(ecLeaf.chainPem);
    assert.equal(daneVerdict(secure(record(2, 1, 0, data(root.certPem, 1, 0))), probeOf(chain), HOST, AT)?.status, 'mismatch');
  });

  it('Given a leaf that names neither the MX host nor the TLSA base domain Then the TA record does not match; an EE record ignores names', () => {
    const chain = pemsOf(otherLeaf.chainPem);
    const ta = record(2, 0, 1, data(chain[1] ?? '', 0, 1));
    assert.equal(daneVerdict(secure(ta), probeOf(chain), HOST, AT)?.status, 'mismatch');
    const ee = record(3, 1, 1, data(chain[0] ?? '', 1, 1));
    assert.equal(daneVerdict(secure(ee), probeOf(chain), HOST, AT)?.status, 'valid');
  });

  it('Given a leaf that names the TLSA base domain but not the MX host Then the TA record matches (RFC 7672 §3.2.2)', () => {
    const chain = pemsOf(otherLeaf.chainPem);
    const ta = record(2, 0, 1, data(chain[1] ?? '', 0, 1));
    const tlsa: TlsaFacts = { name: '_25._tcp.other.dane.test', status: 'secure', records: [ta] };
    assert.equal(daneVerdict(tlsa, probeOf(chain), HOST, AT)?.status, 'valid');
  });

  it('Given an expired leaf Then a TA record does not match at the scan time; an EE record ignores dates', () => {
    const chain = pemsOf(expiredLeaf.chainPem);
    assert.equal(daneVerdict(secure(record(2, 0, 1, data(chain[1] ?? '', 0, 1))), probeOf(chain), HOST, AT)?.status, 'mismatch');
    assert.equal(daneVerdict(secure(record(3, 0, 1, data(chain[0] ?? '', 0, 1))), probeOf(chain), HOST, AT)?.status, 'valid');
  });

  it("Given a chain not read as sent (Node's rebuilt chain) Then TA records are indeterminate; EE records are still matched", () => {
    const chain = pemsOf(ecLeaf.chainPem);
    const probe = probeOf(chain, { chainAsSent: false });
    const ta = record(2, 0, 1, data(chain[1] ?? '', 0, 1));
    assert.deepEqual(daneVerdict(secure(ta), probe, HOST, AT), { status: 'indeterminate' });
    const ee = record(3, 1, 1, data(chain[0] ?? '', 1, 1));
    assert.equal(daneVerdict(secure(ta, ee), probe, HOST, AT)?.status, 'valid');
    assert.deepEqual(daneVerdict(secure(ta, record(3, 1, 1, '00'.repeat(32))), probe, HOST, AT), { status: 'mismatch' });
  });
});

describe('when DANE does not apply, and records that cannot be used', () => {
  it('Given TLSA that is not secure, or none, Then no verdict', () => {
    const chain = pemsOf(ecLeaf.chainPem);
    const good = record(3, 1, 1, data(chain[0] ?? '', 1, 1));
    for (const status of ['insecure', 'none', 'bogus', 'lookup-failed', 'not-looked-up'] as const) {
      assert.equal(daneVerdict({ name: OWNER, status, records: [good] }, probeOf(chain), HOST, AT), undefined, status);
    }
    assert.equal(daneVerdict(undefined, probeOf(chain), HOST, AT), undefined);
  });

  it('Given a secure RRset with only unusable records Then no verdict (the rules report them)', () => {
    const chain = pemsOf(ecLeaf.chainPem);
    assert.equal(daneVerdict(secure(record(1, 1, 1, data(chain[0] ?? '', 1, 1))), probeOf(chain), HOST, AT), undefined);
  });

  it('Given no completed handshake Then no-tls', () => {
    const chain = pemsOf(ecLeaf.chainPem);
    const probe: ProbeResult = { ...probeOf(chain), status: 'no-starttls' };
    delete (probe as { tls?: unknown }).tls;
    assert.deepEqual(daneVerdict(secure(record(3, 1, 1, data(chain[0] ?? '', 1, 1))), probe, HOST, AT), { status: 'no-tls' });
  });

  const unusable: [string, Pick<TlsaRecord, 'usage' | 'selector' | 'matchingType' | 'data'>, RegExp][] = [
    ['PKIX-TA (0)', { usage: 0, selector: 0, matchingType: 1, data: 'ab'.repeat(32) }, /usage 0 \(PKIX-TA\) is not used by SMTP DANE/],
    ['PKIX-EE (1)', { usage: 1, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }, /usage 1 \(PKIX-EE\)/],
    ['an unknown usage', { usage: 4, selector: 1, matchingType: 1, data: 'ab'.repeat(32) }, /unknown usage 4/],
    ['an unknown selector', { usage: 3, selector: 2, matchingType: 1, data: 'ab'.repeat(32) }, /unknown selector 2/],
    ['an unknown matching type', { usage: 3, selector: 1, matchingType: 3, data: 'ab'.repeat(32) }, /unknown matching type 3/],
    ['a short SHA-256', { usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(20) }, /SHA-256 digest of 20 bytes/],
    ['a short SHA-512', { usage: 3, selector: 1, matchingType: 2, data: 'ab'.repeat(32) }, /SHA-512 digest of 32 bytes/],
    ['empty data', { usage: 3, selector: 1, matchingType: 0, data: '' }, /empty association data/],
  ];
  for (const [name, r, reason] of unusable) {
    it(`Given ${name} Then the record is unusable, and says why`, () => {
      const result = usability(r);
      assert.equal(result.usable, false);
      assert.match(result.reason ?? '', reason);
    });
  }

  it('writes records as "U S M"', () => {
    assert.equal(describeRecord({ usage: 3, selector: 1, matchingType: 1 }), '3 1 1');
  });
});
