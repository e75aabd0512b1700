import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createCa, createSelfSigned, type IssueOptions, type LabCa, type LabCertificate } from '../../src/lab/certs.js';
import {
  CertificateParseError,
  formatRfc4514,
  summarizeCertificate,
  summarizeLeaf,
} from '../../src/tls/certificate.js';
import { DerError } from '../../src/tls/der.js';
import {
  atv,
  ctx,
  gn,
  int,
  name,
  OIDS,
  rdn,
  seq,
  str,
  subjectAltName,
  syntheticCertificate,
  tlv,
} from './der-builder.js';

const DAY_MS = 86_400_000;
const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

/** The DER of the first certificate in a PEM string. */
const derOf = (pem: string): Buffer => Buffer.from(new X509Certificate(pem).raw);

/** All certificates of a PEM bundle, as DER. */
const chainDer = (bundle: string): Buffer[] =>
  (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(derOf);

/** `openssl x509 -noout -<field> -nameopt RFC2253,-esc_msb` for a DER certificate, without the "subject=" prefix. */
function opensslName(der: Buffer, field: 'subject' | 'issuer'): string {
  const result = spawnSync('openssl', ['x509', '-inform', 'DER', '-noout', `-${field}`, '-nameopt', 'RFC2253,-esc_msb'], {
    input: der,
  });
  assert.equal(result.status, 0, result.stderr.toString());
  return result.stdout.toString('utf8').replace(/\r?\n$/, '').replace(new RegExp(`^${field}=`), '');
}

/** Seconds precision, as certificates store times. */
const iso = (date: Date): string => new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString();

/** Asserts `fn` throws a CertificateParseError with the stable code, and nothing else. */
function assertParseError(fn: () => unknown, label: string): void {
  assert.throws(
    fn,
    (error: unknown) =>
      error instanceof CertificateParseError && error.name === 'CertificateParseError' && error.code === 'certificate-malformed',
    label,
  );
}

describe('summarizeCertificate on factory certificates', () => {
  let root: LabCa;
  let rsaRoot: LabCa;
  let intermediate: LabCa;
  const notBefore = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  const notAfter = new Date(Date.UTC(2049, 11, 31, 23, 59, 59));

  before(async () => {
    root = await createCa({ commonName: 'mxready Lab Root Ünïcode' });
    rsaRoot = await createCa({ commonName: 'mxready RSA Root', keyType: 'rsa-2048' });
    intermediate = await root.intermediate({ commonName: 'mxready Lab Intermediate', keyType: 'ec-p384' });
  });

  interface Row {
    readonly given: string;
    readonly make: () => Promise<LabCertificate>;
    readonly subject: string;
    readonly issuer: () => string;
    readonly keyType: string;
    readonly keyBits: number;
    readonly signatureAlgorithm: string;
    readonly selfSigned: boolean;
    readonly dates?: { notBefore: Date; notAfter: Date };
  }

  const issueFrom = (ca: () => LabCa, opts: IssueOptions) => () => ca().issue(opts);
  const rows: Row[] = [
    {
      given: 'a CA-issued EC P-256 leaf with fixed dates',
      make: issueFrom(() => root, { commonName: 'mx.example.test', dnsNames: ['mx.example.test'], notBefore, notAfter }),
      subject: 'CN=mx.example.test',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
      dates: { notBefore, notAfter },
    },
    {
      given: 'a leaf issued by an EC P-384 intermediate',
      make: issueFrom(() => intermediate, { commonName: 'mx2.example.test', hash: 'SHA-384' }),
      subject: 'CN=mx2.example.test',
      issuer: () => 'CN=mxready Lab Intermediate',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA384',
      selfSigned: false,
    },
    {
      given: 'a self-signed leaf',
      make: () => createSelfSigned({ commonName: 'self.example.test', organization: 'Self' }),
      subject: 'CN=self.example.test,O=Self',
      issuer: () => 'CN=self.example.test,O=Self',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: true,
    },
    {
      given: 'an expired leaf (GeneralizedTime-free, 2019–2020)',
      make: issueFrom(() => root, {
        commonName: 'old.example.test',
        notBefore: new Date(Date.UTC(2019, 0, 1)),
        notAfter: new Date(Date.UTC(2020, 0, 1)),
      }),
      subject: 'CN=old.example.test',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
      dates: { notBefore: new Date(Date.UTC(2019, 0, 1)), notAfter: new Date(Date.UTC(2020, 0, 1)) },
    },
    {
      given: 'a leaf valid past 2050 (GeneralizedTime)',
      make: issueFrom(() => root, { commonName: 'long.example.test', notBefore, notAfter: new Date(Date.UTC(2051, 5, 1)) }),
      subject: 'CN=long.example.test',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
      dates: { notBefore, notAfter: new Date(Date.UTC(2051, 5, 1)) },
    },
    {
      given: 'an RSA-1024 leaf from an RSA CA',
      make: issueFrom(() => rsaRoot, { commonName: 'rsa1024.example.test', keyType: 'rsa-1024' }),
      subject: 'CN=rsa1024.example.test',
      issuer: () => 'CN=mxready RSA Root',
      keyType: 'rsa',
      keyBits: 1024,
      signatureAlgorithm: 'sha256WithRSAEncryption',
      selfSigned: false,
    },
    {
      given: 'an RSA-2048 leaf signed with SHA-384',
      make: issueFrom(() => rsaRoot, { commonName: 'rsa2048.example.test', keyType: 'rsa-2048', hash: 'SHA-384' }),
      subject: 'CN=rsa2048.example.test',
      issuer: () => 'CN=mxready RSA Root',
      keyType: 'rsa',
      keyBits: 2048,
      signatureAlgorithm: 'sha384WithRSAEncryption',
      selfSigned: false,
    },
    {
      given: 'an EC P-384 leaf',
      make: issueFrom(() => root, { commonName: 'p384.example.test', keyType: 'ec-p384' }),
      subject: 'CN=p384.example.test',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 384,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
    },
    {
      given: 'a SHA-1 RSA signature',
      make: issueFrom(() => rsaRoot, { commonName: 'sha1.example.test', hash: 'SHA-1' }),
      subject: 'CN=sha1.example.test',
      issuer: () => 'CN=mxready RSA Root',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'sha1WithRSAEncryption',
      selfSigned: false,
    },
    {
      given: 'a SHA-1 ECDSA signature',
      make: issueFrom(() => root, { commonName: 'sha1ec.example.test', hash: 'SHA-1' }),
      subject: 'CN=sha1ec.example.test',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA1',
      selfSigned: false,
    },
    {
      given: 'a non-ASCII UTF-8 organisation and an A-label CN',
      make: issueFrom(() => root, { commonName: 'xn--mnchen-3ya.example', organization: 'Müller Straße' }),
      subject: 'CN=xn--mnchen-3ya.example,O=Müller Straße',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
    },
    {
      given: 'a CN needing escapes (leading #, comma, plus)',
      make: issueFrom(() => root, { commonName: '#lead, with+plus', organization: 'A;B<C>D"E\\F' }),
      subject: 'CN=\\#lead\\, with\\+plus,O=A\\;B\\<C\\>D\\"E\\\\F',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
    },
    {
      given: 'a CN with leading and trailing spaces',
      make: issueFrom(() => root, { commonName: ' padded ' }),
      subject: 'CN=\\ padded\\ ',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: false,
    },
    {
      given: 'a CA certificate itself',
      make: async () => root,
      subject: 'CN=mxready Lab Root Ünïcode',
      issuer: () => 'CN=mxready Lab Root Ünïcode',
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      selfSigned: true,
    },
  ];

  for (const row of rows) {
    describe(`given ${row.given}`, () => {
      let der: Buffer;
      before(async () => {
        der = derOf((await row.make()).certPem);
      });

      it('when summarised, then every field is as issued', () => {
        const summary = summarizeCertificate(der);
        assert.equal(summary.subject, row.subject);
        assert.equal(summary.issuer, row.issuer());
        assert.equal(summary.keyType, row.keyType);
        assert.equal(summary.keyBits, row.keyBits);
        assert.equal(summary.signatureAlgorithm, row.signatureAlgorithm);
        assert.equal(summary.selfSigned, row.selfSigned);
        assert.match(summary.fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        if (row.dates) {
          assert.equal(summary.notBefore, iso(row.dates.notBefore));
          assert.equal(summary.notAfter, iso(row.dates.notAfter));
        }
      });

      it("when summarised, then it agrees with Node's X509Certificate", () => {
        const summary = summarizeCertificate(der);
        const node = new X509Certificate(der);
        assert.equal(summary.notBefore, new Date(node.validFrom).toISOString());
        assert.equal(summary.notAfter, new Date(node.validTo).toISOString());
        assert.equal(summary.fingerprintSha256, node.fingerprint256);
        const details = node.publicKey.asymmetricKeyDetails ?? {};
        const nodeBits =
          node.publicKey.asymmetricKeyType === 'rsa'
            ? details.modulusLength
            : ({ prime256v1: 256, secp384r1: 384, secp521r1: 521 } as Record<string, number>)[details.namedCurve ?? ''];
        assert.equal(summary.keyBits, nodeBits);
        assert.equal(summary.keyType, node.publicKey.asymmetricKeyType);
      });

      it('when summarised, then subject and issuer match openssl -nameopt RFC2253', { skip: !HAS_OPENSSL && 'no openssl on PATH' }, () => {
        const summary = summarizeCertificate(der);
        assert.equal(summary.subject, opensslName(der, 'subject'));
        assert.equal(summary.issuer, opensslName(der, 'issuer'));
      });
    });
  }
});

describe('summarizeCertificate on synthetic certificates (key types the factory does not make)', () => {
  const ed25519 = generateKeyPairSync('ed25519');
  const pair = (make: () => { publicKey: KeyObject; privateKey: KeyObject }) => make();
  const subject = name(rdn(OIDS.CN, 'synthetic.example.test'));

  const rows: Array<{
    given: string;
    keys: () => { publicKey: KeyObject; privateKey: KeyObject };
    digest?: 'sha256' | 'sha384' | 'sha512';
    keyType: string;
    keyBits: number | null;
    signatureAlgorithm: string;
  }> = [
    { given: 'Ed25519', keys: () => ed25519, keyType: 'ed25519', keyBits: 256, signatureAlgorithm: 'ED25519' },
    { given: 'Ed448', keys: () => pair(() => generateKeyPairSync('ed448')), keyType: 'ed448', keyBits: 456, signatureAlgorithm: 'ED448' },
    {
      given: 'EC P-521 with SHA-512',
      keys: () => pair(() => generateKeyPairSync('ec', { namedCurve: 'P-521' })),
      digest: 'sha512',
      keyType: 'ec',
      keyBits: 521,
      signatureAlgorithm: 'ecdsa-with-SHA512',
    },
    {
      given: 'secp256k1',
      keys: () => pair(() => generateKeyPairSync('ec', { namedCurve: 'secp256k1' })),
      keyType: 'ec',
      keyBits: 256,
      signatureAlgorithm: 'ecdsa-with-SHA256',
    },
    {
      given: 'DSA 1024',
      keys: () => pair(() => generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 })),
      keyType: 'dsa',
      keyBits: 1024,
      signatureAlgorithm: 'dsa_with_SHA256',
    },
    {
      given: 'RSA 3072 with SHA-512',
      keys: () => pair(() => generateKeyPairSync('rsa', { modulusLength: 3072 })),
      digest: 'sha512',
      keyType: 'rsa',
      keyBits: 3072,
      signatureAlgorithm: 'sha512WithRSAEncryption',
    },
  ];

  for (const row of rows) {
    it(`given a self-signed ${row.given} certificate, when summarised, then key and signature are named`, () => {
      const keys = row.keys();
      const der = syntheticCertificate({ subject, publicKey: keys.publicKey, signingKey: keys.privateKey, digest: row.digest ?? 'sha256' });
      const summary = summarizeCertificate(der);
      assert.equal(summary.keyType, row.keyType);
      assert.equal(summary.keyBits, row.keyBits);
      assert.equal(summary.signatureAlgorithm, row.signatureAlgorithm);
      assert.equal(summary.selfSigned, true);
      assert.equal(summary.fingerprintSha256, new X509Certificate(der).fingerprint256);
    });
  }

  it('given an RSA-PSS subject key, when summarised, then it is an RSA key with its modulus size', () => {
    const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 });
    const der = syntheticCertificate({ subject, issuer: name(rdn(OIDS.CN, 'Issuer')), publicKey: pss.publicKey, signingKey: ed25519.privateKey });
    assert.deepEqual([summarizeCertificate(der).keyType, summarizeCertificate(der).keyBits], ['rsa', 2048]);
  });

  it('given an X25519 subject key, when summarised, then keyType is the OID and keyBits null', () => {
    const x25519 = generateKeyPairSync('x25519');
    const der = syntheticCertificate({ subject, issuer: name(rdn(OIDS.CN, 'Issuer')), publicKey: x25519.publicKey, signingKey: ed25519.privateKey });
    assert.deepEqual([summarizeCertificate(der).keyType, summarizeCertificate(der).keyBits], ['1.3.101.110', null]);
  });

  it('given subject equal to issuer but signed by another key, when summarised, then not self-signed', () => {
    const other = generateKeyPairSync('ed25519');
    const der = syntheticCertificate({ subject, publicKey: other.publicKey, signingKey: ed25519.privateKey });
    assert.equal(summarizeCertificate(der).selfSigned, false);
  });

  it('given every GeneralName form, when summarised as a leaf, then SANs keep certificate order and their spelling', () => {
    const san = subjectAltName(
      gn.dns('mx.example.test'),
      gn.ip([192, 0, 2, 1]),
      gn.ip([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]),
      gn.ip([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
      gn.ip([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
      gn.ip([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      gn.ip([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      gn.ip([0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7]),
      gn.email('postmaster@example.test'),
      gn.uri('https://example.test/'),
      gn.dirName(name(rdn(OIDS.O, 'Dir'), rdn(OIDS.CN, 'Name'))),
      gn.rid('1.2.3.4'),
      gn.other('1.3.6.1.4.1.311.20.2.3'),
      ctx(3, seq()), // x400Address: skipped
    );
    const der = syntheticCertificate({
      subject: name(rdn(OIDS.CN, 'first.example.test'), rdn(OIDS.CN, 'second.example.test')),
      publicKey: ed25519.publicKey,
      signingKey: ed25519.privateKey,
      extensions: [san],
    });
    const facts = summarizeLeaf([der], { trusted: false, validationError: 'X', hostname: '2001:db8::1:0:0:1', nowMs: Date.now() });
    assert.deepEqual(facts.subjectAltNames, [
      'DNS:mx.example.test',
      'IP:192.0.2.1',
      'IP:2001:db8::1:0:0:1',
      'IP:2001:db8::1',
      'IP:::1',
      'IP:::',
      'IP:fe80::',
      'IP:0:1:2:3:4:5:6:7',
      'email:postmaster@example.test',
      'URI:https://example.test/',
      'DirName:CN=Name,O=Dir',
      'RID:1.2.3.4',
      'othername:1.3.6.1.4.1.311.20.2.3',
    ]);
    assert.deepEqual(facts.commonNames, ['first.example.test', 'second.example.test']);
    assert.equal(facts.hostnameMatch, true);
    const node = new X509Certificate(der).subjectAltName ?? '';
    assert.ok(node.includes('DNS:mx.example.test') && node.includes('IP Address:192.0.2.1'), node);
  });
});

describe('formatRfc4514', () => {
  const rows: Array<{ given: string; der: Buffer; expected: string; openssl?: boolean }> = [
    { given: 'an empty name', der: name(), expected: '', openssl: false },
    {
      given: 'the usual order C, O, CN',
      der: name([atv(OIDS.C, str.printable('DE'))], rdn(OIDS.O, 'Example'), rdn(OIDS.CN, 'mx')),
      expected: 'CN=mx,O=Example,C=DE',
    },
    {
      given: 'every RFC 4514 short name',
      der: name(
        [atv(OIDS.DC, str.ia5('test'))],
        [atv(OIDS.DC, str.ia5('example'))],
        rdn(OIDS.C, 'DE'),
        rdn(OIDS.ST, 'Bayern'),
        rdn(OIDS.L, 'München'),
        rdn(OIDS.STREET, 'Hauptstraße 1'),
        rdn(OIDS.O, 'O'),
        rdn(OIDS.OU, 'OU'),
        rdn(OIDS.UID, 'jdoe'),
        rdn(OIDS.CN, 'CN'),
      ),
      expected: 'CN=CN,UID=jdoe,OU=OU,O=O,STREET=Hauptstraße 1,L=München,ST=Bayern,C=DE,DC=example,DC=test',
      openssl: false, // OpenSSL spells STREET "street"
    },
    {
      given: 'the short names OpenSSL spells as RFC 4514 does',
      der: name(
        [atv(OIDS.DC, str.ia5('test'))],
        rdn(OIDS.C, 'DE'),
        rdn(OIDS.ST, 'Bayern'),
        rdn(OIDS.L, 'München'),
        rdn(OIDS.O, 'O'),
        rdn(OIDS.OU, 'OU'),
        rdn(OIDS.UID, 'jdoe'),
        rdn(OIDS.CN, 'CN'),
      ),
      expected: 'CN=CN,UID=jdoe,OU=OU,O=O,L=München,ST=Bayern,C=DE,DC=test',
    },
    {
      given: 'a multi-valued RDN (members reversed too, as OpenSSL prints them)',
      der: name(rdn(OIDS.O, 'Example'), [atv(OIDS.OU, str.utf8('Mail')), atv(OIDS.CN, str.utf8('mx'))]),
      expected: 'OU=Mail+CN=mx,O=Example',
    },
    {
      given: 'a three-valued RDN',
      der: name([atv(OIDS.C, str.printable('DE')), atv(OIDS.O, str.utf8('Example')), atv(OIDS.CN, str.utf8('mx'))]),
      expected: 'O=Example+C=DE+CN=mx', // DER sorts the SET: CN, C, O
    },
    {
      given: 'PrintableString, TeletexString (Latin-1) and IA5String values',
      der: name([atv(OIDS.C, str.printable('FR'))], [atv(OIDS.O, str.teletex('Café Crème'))], [atv(OIDS.CN, str.ia5('mx.example'))]),
      expected: 'CN=mx.example,O=Café Crème,C=FR',
    },
    {
      given: 'a BMPString value',
      der: name([atv(OIDS.O, str.bmp('Ωmega Straße'))]),
      expected: 'O=Ωmega Straße',
    },
    {
      given: 'a UniversalString value outside the BMP',
      der: name([atv(OIDS.O, str.universal('Clef 𝄞'))]),
      expected: 'O=Clef 𝄞',
    },
    {
      given: 'values needing every §2.4 escape',
      der: name(rdn(OIDS.O, '"quoted"; <a>\\b'), rdn(OIDS.CN, '#x, y+z ')),
      expected: 'CN=\\#x\\, y\\+z\\ ,O=\\"quoted\\"\\; \\<a\\>\\\\b',
    },
    {
      given: 'a NUL and a newline in a value',
      der: name(rdn(OIDS.CN, 'a\u0000b\nc')),
      expected: 'CN=a\\00b\\0Ac',
      openssl: false,
    },
    {
      given: 'a # that is not leading and a space that is not trailing',
      der: name(rdn(OIDS.CN, 'a#b c')),
      expected: 'CN=a#b c',
    },
    {
      given: 'emailAddress and serialNumber, by the names OpenSSL prints',
      der: name([atv(OIDS.serialNumber, str.printable('42'))], [atv(OIDS.emailAddress, str.ia5('a@b'))]),
      expected: 'emailAddress=a@b,serialNumber=42',
    },
    {
      given: 'a CN whose value is not a string type',
      der: name([atv(OIDS.CN, int(7))]),
      expected: 'CN=#020107',
      openssl: false,
    },
    {
      given: 'a UTF8String with invalid UTF-8',
      der: name([atv(OIDS.CN, tlv(0x0c, Buffer.from([0x61, 0xff])))]),
      expected: 'CN=#0c0261ff',
      openssl: false,
    },
    {
      given: 'a BMPString with an unpaired surrogate',
      der: name([atv(OIDS.CN, tlv(0x1e, Buffer.from([0xd8, 0x00, 0x00, 0x41])))]),
      expected: 'CN=#1e04d8000041',
      openssl: false,
    },
  ];

  const ed25519 = generateKeyPairSync('ed25519');
  for (const row of rows) {
    it(`given ${row.given}, when formatted, then ${JSON.stringify(row.expected)}`, () => {
      assert.equal(formatRfc4514(row.der), row.expected);
    });
    if (row.openssl !== false) {
      it(`given ${row.given} in a certificate, then openssl agrees`, { skip: !HAS_OPENSSL && 'no openssl on PATH' }, () => {
        const der = syntheticCertificate({ subject: row.der, publicKey: ed25519.publicKey, signingKey: ed25519.privateKey });
        assert.equal(summarizeCertificate(der).subject, opensslName(der, 'subject'));
      });
    }
  }

  it('given bytes that are not a Name, when formatted, then CertificateParseError', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from([0x31, 0x00]), Buffer.from([0x30, 0x02, 0x30, 0x00]), Buffer.from([0x30, 0x05])]) {
      assertParseError(() => formatRfc4514(bad), bad.toString('hex'));
    }
  });
});

describe('summarizeLeaf', () => {
  let chain: Buffer[];
  let notAfterMs: number;

  before(async () => {
    const root = await createCa({ commonName: 'Leaf Root' });
    const inter = await root.intermediate({ commonName: 'Leaf Intermediate' });
    const issued = await inter.issue({
      commonName: 'mx.example.test',
      dnsNames: ['mx.example.test', '*.mail.example.test'],
      ipAddresses: ['192.0.2.25'],
      notAfter: new Date(Date.UTC(2030, 0, 1, 12)),
    });
    chain = [...chainDer(issued.chainPem), derOf(root.certPem)];
    notAfterMs = Date.UTC(2030, 0, 1, 12);
  });

  it('given a three-certificate chain, when summarised, then every element is kept in order, leaf first', () => {
    const facts = summarizeLeaf(chain, { trusted: true, validationError: null, hostname: 'mx.example.test', nowMs: notAfterMs - 10 * DAY_MS });
    assert.deepEqual(
      facts.chain.map((c) => c.subject),
      ['CN=mx.example.test', 'CN=Leaf Intermediate', 'CN=Leaf Root'],
    );
    assert.deepEqual(facts.chain.map((c) => c.selfSigned), [false, false, true]);
    const { subjectAltNames, commonNames, daysRemaining, trusted, validationError, hostnameMatch, chain: _chain, ...leaf } = facts;
    assert.deepEqual(leaf, facts.chain[0]);
    assert.deepEqual(subjectAltNames, ['DNS:mx.example.test', 'DNS:*.mail.example.test', 'IP:192.0.2.25']);
    assert.deepEqual(commonNames, ['mx.example.test']);
    assert.deepEqual([daysRemaining, trusted, validationError, hostnameMatch], [10, true, null, true]);
    assert.deepEqual(JSON.parse(JSON.stringify(facts)), facts, 'JSON-safe');
  });

  const days: Array<[label: string, offsetMs: number, expected: number]> = [
    ['exactly 10 days before notAfter', -10 * DAY_MS, 10],
    ['one millisecond short of a day', -DAY_MS + 1, 0],
    ['at notAfter', 0, 0],
    ['one millisecond after notAfter', 1, -1],
    ['3.5 days after notAfter', 3.5 * DAY_MS, -4],
  ];
  for (const [label, offset, expected] of days) {
    it(`given now ${label}, when summarised, then daysRemaining is ${expected}`, () => {
      const facts = summarizeLeaf(chain, { trusted: false, validationError: 'CERT_HAS_EXPIRED', hostname: null, nowMs: notAfterMs + offset });
      assert.equal(facts.daysRemaining, expected);
    });
  }

  const hosts: Array<[hostname: string | null, match: boolean]> = [
    [null, false],
    ['mx.example.test', true],
    ['a.mail.example.test', true],
    ['192.0.2.25', true],
    ['other.example.test', false],
  ];
  for (const [hostname, match] of hosts) {
    it(`given hostname ${String(hostname)}, when summarised, then hostnameMatch is ${match}`, () => {
      const facts = summarizeLeaf(chain, { trusted: false, validationError: 'X', hostname, nowMs: Date.now() });
      assert.equal(facts.hostnameMatch, match);
      assert.deepEqual([facts.trusted, facts.validationError], [false, 'X']);
    });
  }

  it('given an empty chain, when summarised, then CertificateParseError', () => {
    assertParseError(() => summarizeLeaf([], { trusted: false, validationError: null, hostname: null, nowMs: 0 }), 'empty');
  });

  it('given a malformed intermediate, when summarised, then CertificateParseError', () => {
    const [leaf = Buffer.alloc(0)] = chain;
    assertParseError(
      () => summarizeLeaf([leaf, Buffer.from([0x30, 0x00])], { trusted: false, validationError: null, hostname: null, nowMs: 0 }),
      'bad intermediate',
    );
  });
});

describe('malformed certificates', () => {
  let der: Buffer;
  before(async () => {
    const ca = await createCa({ commonName: 'Fuzz Root' });
    der = derOf((await ca.issue({ commonName: 'fuzz.example.test', dnsNames: ['fuzz.example.test'], organization: 'Ö' })).certPem);
  });

  it('given every truncation of a valid certificate, when summarised, then CertificateParseError', () => {
    for (let length = 0; length < der.length; length++) {
      assertParseError(() => summarizeCertificate(der.subarray(0, length)), `truncated to ${length}`);
    }
  });

  it('given trailing bytes, a wrong outer tag, or an empty sequence, when summarised, then CertificateParseError', () => {
    const cases: Array<[string, Buffer]> = [
      ['trailing byte', Buffer.concat([der, Buffer.from([0])])],
      ['outer SET', Buffer.concat([Buffer.from([0x31]), der.subarray(1)])],
      ['empty SEQUENCE', Buffer.from([0x30, 0x00])],
      ['indefinite length', Buffer.concat([Buffer.from([0x30, 0x80]), der.subarray(4), Buffer.from([0, 0])])],
      ['nested too deep', [...Array<number>(40)].reduce<Buffer>((inner) => seq(inner), seq())],
      ['not DER at all', Buffer.from('-----BEGIN CERTIFICATE-----')],
    ];
    for (const [label, input] of cases) assertParseError(() => summarizeCertificate(input), label);
  });

  it('given a parse error, then its cause is the DerError', () => {
    try {
      summarizeCertificate(der.subarray(0, 10));
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof CertificateParseError);
      assert.ok(error.cause instanceof DerError);
    }
  });
});
