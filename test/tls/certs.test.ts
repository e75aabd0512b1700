import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import * as tls from 'node:tls';
import * as x509 from '@peculiar/x509';
import { createCa, createSelfSigned, type LabCa, type LabCertificate } from '../../src/lab/certs.js';

const DAY_MS = 86_400_000;

/** Splits a PEM bundle into its certificates. */
function pemCertificates(bundle: string): X509Certificate[] {
  return (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? []).map(
    (pem) => new X509Certificate(pem),
  );
}

function peculiar(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

/**
 * One TLS handshake on 127.0.0.1: the server presents `server.chainPem`, the
 * client trusts `ca` and judges nothing itself (as the prober does).
 */
async function handshake(
  server: LabCertificate,
  ca: string[],
): Promise<{ authorized: boolean; authorizationError: string | null }> {
  const listener = tls.createServer({ key: server.keyPem, cert: server.chainPem }, (socket) => socket.end());
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  try {
    const { port } = listener.address() as AddressInfo;
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'mx.example.test',
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    });
    await once(socket, 'secureConnect');
    const error = socket.authorizationError as unknown;
    const result = { authorized: socket.authorized, authorizationError: error ? String(error) : null };
    socket.destroy();
    return result;
  } finally {
    listener.close();
  }
}

describe('lab certificate factory', () => {
  let root: LabCa;
  let intermediate: LabCa;
  let leaf: LabCertificate;

  before(async () => {
    root = await createCa({ commonName: 'mxready Lab Root' });
    intermediate = await root.intermediate({ commonName: 'mxready Lab Intermediate' });
    leaf = await root.issue({ commonName: 'mx.example.test', dnsNames: ['mx.example.test'], ipAddresses: ['127.0.0.1'] });
  });

  describe('trust, as OpenSSL judges it through node:tls', () => {
    const rows: Array<{
      given: string;
      make: () => Promise<LabCertificate>;
      ca: () => string[];
      authorized: boolean;
      error: string | null;
    }> = [
      { given: 'a CA-issued EC leaf', make: async () => leaf, ca: () => [root.certPem], authorized: true, error: null },
      {
        given: 'a leaf served with its intermediate',
        make: () => intermediate.issue({ commonName: 'mx2.example.test', dnsNames: ['mx2.example.test'] }),
        ca: () => [root.certPem],
        authorized: true,
        error: null,
      },
      {
        given: 'a leaf two intermediates deep',
        make: async () => (await intermediate.intermediate({ commonName: 'Second', keyType: 'ec-p384' })).issue({ commonName: 'mx3' }),
        ca: () => [root.certPem],
        authorized: true,
        error: null,
      },
      {
        given: 'a leaf served without its intermediate',
        make: async () => {
          const issued = await intermediate.issue({ commonName: 'mx4.example.test' });
          return { ...issued, chainPem: issued.certPem };
        },
        ca: () => [root.certPem],
        authorized: false,
        error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      },
      {
        given: 'a leaf from a CA the client does not trust',
        make: async () => (await createCa({ commonName: 'Other Root' })).issue({ commonName: 'other.example.test' }),
        ca: () => [root.certPem],
        authorized: false,
        error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      },
      {
        given: 'a self-signed leaf',
        make: () => createSelfSigned({ commonName: 'self.example.test', dnsNames: ['self.example.test'] }),
        ca: () => [root.certPem],
        authorized: false,
        error: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      },
      {
        given: 'an expired leaf',
        make: () =>
          root.issue({ commonName: 'old.example.test', notBefore: new Date(Date.now() - 400 * DAY_MS), notAfter: new Date(Date.now() - 30 * DAY_MS) }),
        ca: () => [root.certPem],
        authorized: false,
        error: 'CERT_HAS_EXPIRED',
      },
      {
        given: 'a leaf not yet valid',
        make: () => root.issue({ commonName: 'future.example.test', notBefore: new Date(Date.now() + 10 * DAY_MS) }),
        ca: () => [root.certPem],
        authorized: false,
        error: 'CERT_NOT_YET_VALID',
      },
    ];
    for (const row of rows) {
      it(`given ${row.given}, when a client handshakes, then authorized=${row.authorized}${row.error ? ` (${row.error})` : ''}`, async () => {
        const result = await handshake(await row.make(), row.ca());
        assert.deepEqual(result, { authorized: row.authorized, authorizationError: row.error });
      });
    }

    it('given an RSA-2048 CA and leaf, when the client trusts that CA, then authorized', async () => {
      const rsaRoot = await createCa({ commonName: 'RSA Root', keyType: 'rsa-2048' });
      const rsaLeaf = await rsaRoot.issue({ commonName: 'rsa', keyType: 'rsa-2048' });
      assert.deepEqual(await handshake(rsaLeaf, [rsaRoot.certPem]), { authorized: true, authorizationError: null });
    });
  });

  describe('PEM and profile', () => {
    it('given an issued leaf, when parsed, then key is PKCS#8 and matches the certificate', () => {
      assert.match(leaf.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      const key = createPrivateKey(leaf.keyPem);
      assert.equal(key.asymmetricKeyType, 'ec');
      assert.equal(new X509Certificate(leaf.certPem).checkPrivateKey(key), true);
      assert.equal(leaf.chainPem, leaf.certPem, 'a root-issued leaf chain is the leaf alone');
    });

    it('given an issued leaf, when inspected, then it has the server profile', () => {
      const cert = peculiar(leaf.certPem);
      const basic = cert.getExtension(x509.BasicConstraintsExtension);
      assert.equal(basic?.ca, false);
      const usage = cert.getExtension(x509.KeyUsagesExtension);
      assert.equal(usage?.usages, x509.KeyUsageFlags.digitalSignature);
      assert.equal(usage?.critical, true);
      assert.deepEqual([...(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [])], [x509.ExtendedKeyUsage.serverAuth]);
      const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
      assert.deepEqual(san?.names.toJSON(), [
        { type: 'dns', value: 'mx.example.test' },
        { type: 'ip', value: '127.0.0.1' },
      ]);
      const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
      const rootSki = peculiar(root.certPem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
      assert.ok(aki !== undefined && aki === rootSki, 'AKI names the issuer key');
      assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    });

    it('given an RSA leaf, when inspected, then keyUsage adds keyEncipherment', async () => {
      const rsa = await root.issue({ commonName: 'rsa.example.test', keyType: 'rsa-2048' });
      const usage = peculiar(rsa.certPem).getExtension(x509.KeyUsagesExtension)?.usages;
      assert.equal(usage, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
      assert.equal(createPrivateKey(rsa.keyPem).asymmetricKeyDetails?.modulusLength, 2048);
    });

    it('given a CA, when inspected, then basicConstraints CA:true is critical and it may sign certificates and CRLs', () => {
      for (const ca of [root, intermediate]) {
        const cert = peculiar(ca.certPem);
        const basic = cert.getExtension(x509.BasicConstraintsExtension);
        assert.equal(basic?.ca, true);
        assert.equal(basic?.critical, true);
        assert.equal(cert.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
      }
      assert.equal(new X509Certificate(intermediate.certPem).checkIssued(new X509Certificate(root.certPem)), true);
      assert.equal(pemCertificates(root.chainPem).length, 1);
      assert.equal(pemCertificates(intermediate.chainPem).length, 1);
    });

    it('given an intermediate, when it issues, then chainPem is leaf then intermediate', async () => {
      const issued = await intermediate.issue({ commonName: 'chain.example.test' });
      const [first, second, ...rest] = pemCertificates(issued.chainPem);
      assert.equal(rest.length, 0);
      assert.equal(first?.subject, 'CN=chain.example.test');
      assert.equal(second?.subject, 'CN=mxready Lab Intermediate');
      assert.equal(first?.checkIssued(second as X509Certificate), true);
    });

    it('given default options, when issued, then valid from a day ago for 90 days with a positive 16-byte serial', async () => {
      const start = Date.now();
      const issued = await root.issue({ commonName: 'defaults.example.test' });
      const cert = new X509Certificate(issued.certPem);
      const from = Date.parse(cert.validFrom);
      const to = Date.parse(cert.validTo);
      assert.ok(Math.abs(from - (start - DAY_MS)) < 5000, cert.validFrom);
      assert.ok(Math.abs(to - (start + 90 * DAY_MS)) < 5000, cert.validTo);
      assert.match(cert.serialNumber, /^[0-7][0-9A-F]{31}$/);
      const other = new X509Certificate((await root.issue({ commonName: 'defaults.example.test' })).certPem);
      assert.notEqual(other.serialNumber, cert.serialNumber);
    });

    it('given each key type, when generated, then the private key has that type and size', async () => {
      const rows: Array<[keyType: 'ec-p256' | 'ec-p384' | 'rsa-1024' | 'rsa-2048', type: string, detail: string | number]> = [
        ['ec-p256', 'ec', 'prime256v1'],
        ['ec-p384', 'ec', 'secp384r1'],
        ['rsa-1024', 'rsa', 1024],
        ['rsa-2048', 'rsa', 2048],
      ];
      for (const [keyType, type, detail] of rows) {
        const issued = await createSelfSigned({ commonName: keyType, keyType });
        const key = createPrivateKey(issued.keyPem);
        assert.equal(key.asymmetricKeyType, type, keyType);
        const details = key.asymmetricKeyDetails;
        assert.equal(type === 'ec' ? details?.namedCurve : details?.modulusLength, detail, keyType);
      }
    });

    it('given a subject with a leading #, a comma and a plus, when issued, then the CN is stored verbatim', async () => {
      const issued = await root.issue({ commonName: '#1, a+b "q"', organization: 'Müller Straße' });
      assert.deepEqual(peculiar(issued.certPem).subjectName.getField('CN'), ['#1, a+b "q"']);
      assert.deepEqual(peculiar(issued.certPem).subjectName.getField('O'), ['Müller Straße']);
    });
  });
});
