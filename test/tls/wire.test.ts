/**
 * The chain as sent: read from the handshake's own bytes (TLS 1.2 in clear,
 * TLS 1.3 decrypted with the keylog secret), so order, strays and a missing
 * intermediate show as the server configured them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { createCa, type LabCa, type LabCertificate } from '../../src/lab/certs.js';
import { probe } from '../../src/checks/starttls/probe.js';
import { hkdfExpandLabel, parseCertificateMessage, serverHandshakeSecret, splitHandshake } from '../../src/tls/wire.js';
import { MX_ASCII, probeOptions, withLab } from '../checks/starttls/helpers.js';

let root: LabCa;
let intermediate: LabCa;
let otherRoot: LabCa;
let leaf: LabCertificate;

before(async () => {
  root = await createCa({ commonName: 'Wire Root' });
  intermediate = await root.intermediate({ commonName: 'Wire Intermediate' });
  otherRoot = await createCa({ commonName: 'Unrelated Root' });
  leaf = await intermediate.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII] });
});

after(() => undefined);

const subjects = (chain: readonly { subject: string }[] | undefined) => (chain ?? []).map((c) => c.subject);
const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

/** Runs a command with input, bounded in time; resolves with its stdout. */
function run(command: string, args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(input);
  });
}

describe('the chain as sent, end to end', () => {
  const suites: [string, string, string][] = [
    ['TLSv1.3', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
    ['TLSv1.3', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
    ['TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  ];
  for (const [version, ciphers, standardName] of suites) {
    it(`Given ${version} with ${standardName} and a leaf + intermediate chain Then the chain is exactly those two, without the root`, async () => {
      await withLab(
        { hostname: MX_ASCII, starttls: true, tls: { key: leaf.keyPem, cert: leaf.chainPem, minVersion: version as 'TLSv1.2', maxVersion: version as 'TLSv1.2', ciphers } },
        async (server) => {
          const result = await probe({ ip: '127.0.0.1', port: server.port, sni: MX_ASCII }, probeOptions({ trustAnchors: [root.certPem] }));
          assert.equal(result.status, 'ok', JSON.stringify(result.error));
          assert.equal(result.tls?.cipher.standardName, standardName);
          assert.equal(result.certificate?.trusted, true);
          assert.equal(result.certificate?.chainAsSent, true);
          assert.deepEqual(subjects(result.certificate?.chain), [`CN=${MX_ASCII}`, 'CN=Wire Intermediate']);
        },
      );
    });
  }

  it('Given a server that sends its chain out of order with a stray certificate Then the chain shows exactly that order', async () => {
    const scrambled = `${leaf.certPem}${otherRoot.certPem}${intermediate.certPem}`;
    await withLab({ hostname: MX_ASCII, starttls: true, tls: { key: leaf.keyPem, cert: scrambled } }, async (server) => {
      const result = await probe({ ip: '127.0.0.1', port: server.port, sni: MX_ASCII }, probeOptions({ trustAnchors: [root.certPem] }));
      assert.equal(result.status, 'ok');
      assert.deepEqual(subjects(result.certificate?.chain), [`CN=${MX_ASCII}`, 'CN=Unrelated Root', 'CN=Wire Intermediate']);
      if (HAS_OPENSSL) {
        // Asynchronously: the lab server runs in this process and must keep answering.
        const shown = await run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${server.port}`, '-servername', MX_ASCII, '-showcerts'], 'QUIT\r\n');
        const sent = [...shown.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).fingerprint256);
        assert.deepEqual(result.certificate?.chain.map((c) => c.fingerprintSha256), sent, 'openssl s_client -showcerts shows the same certificates in the same order');
      }
    });
  });

  it('Given a server that sends 21 certificates Then the first 16 are kept and the length is recorded', async () => {
    const strays = await Promise.all(Array.from({ length: 19 }, (_, i) => createCa({ commonName: `Stray ${i}` })));
    const long = [leaf.certPem, intermediate.certPem, ...strays.map((s) => s.certPem)].join('');
    await withLab({ hostname: MX_ASCII, starttls: true, tls: { key: leaf.keyPem, cert: long } }, async (server) => {
      const result = await probe({ ip: '127.0.0.1', port: server.port, sni: MX_ASCII }, probeOptions({ trustAnchors: [root.certPem] }));
      assert.equal(result.status, 'ok');
      assert.equal(result.certificate?.chain.length, 16);
      assert.equal(result.certificate?.chainLength, 21);
      assert.deepEqual(subjects(result.certificate?.chain).slice(0, 3), [`CN=${MX_ASCII}`, 'CN=Wire Intermediate', 'CN=Stray 0']);
    });
  });

  it('Given a server that leaves its intermediate out Then the chain is the leaf alone and the leaf is not trusted', async () => {
    await withLab({ hostname: MX_ASCII, starttls: true, tls: { key: leaf.keyPem, cert: leaf.certPem } }, async (server) => {
      const result = await probe({ ip: '127.0.0.1', port: server.port, sni: MX_ASCII }, probeOptions({ trustAnchors: [root.certPem] }));
      assert.deepEqual(subjects(result.certificate?.chain), [`CN=${MX_ASCII}`]);
      assert.equal(result.certificate?.trusted, false);
    });
  });
});

describe('wire parsing', () => {
  it('Given RFC 8448\'s server handshake traffic secret Then HKDF-Expand-Label gives its key and IV', () => {
    const secret = Buffer.from('b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38', 'hex');
    assert.equal(hkdfExpandLabel(secret, 'key', 16, 'sha256').toString('hex'), '3fce516009c21727d0f2e4e86ee403bc');
    assert.equal(hkdfExpandLabel(secret, 'iv', 12, 'sha256').toString('hex'), '5d313eb2671276ee13000b30');
  });

  it('Given keylog lines Then only the server handshake secret is taken', () => {
    const lines = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET aa 0102\n', 'SERVER_HANDSHAKE_TRAFFIC_SECRET aa 0a0b\n'];
    assert.equal(serverHandshakeSecret(lines)?.toString('hex'), '0a0b');
    assert.equal(serverHandshakeSecret(['SERVER_TRAFFIC_SECRET_0 aa 0a0b']), null);
  });

  const u24 = (n: number) => Buffer.from([(n >> 16) & 255, (n >> 8) & 255, n & 255]);
  const entry12 = (der: Buffer) => Buffer.concat([u24(der.length), der]);
  const entry13 = (der: Buffer) => Buffer.concat([u24(der.length), der, Buffer.from([0, 0])]);

  it('Given TLS 1.2 and TLS 1.3 Certificate bodies Then the certificates come out in order', () => {
    const a = Buffer.from('3003020101', 'hex');
    const b = Buffer.from('3003020102', 'hex');
    const list12 = Buffer.concat([entry12(a), entry12(b)]);
    assert.deepEqual(parseCertificateMessage(Buffer.concat([u24(list12.length), list12]), false), [a, b]);
    const list13 = Buffer.concat([entry13(a), entry13(b)]);
    assert.deepEqual(parseCertificateMessage(Buffer.concat([Buffer.from([0]), u24(list13.length), list13]), true), [a, b]);
  });

  const broken: [string, Buffer, boolean][] = [
    ['an empty body', Buffer.alloc(0), false],
    ['a list longer than the body', Buffer.concat([u24(10), Buffer.alloc(3)]), false],
    ['an entry longer than the list', Buffer.concat([u24(4), u24(9), Buffer.alloc(1)]), false],
    ['trailing bytes', Buffer.concat([u24(0), Buffer.alloc(2)]), false],
    ['a TLS 1.3 entry without its extensions length', Buffer.concat([Buffer.from([0]), u24(4), u24(1), Buffer.from([0x30])]), true],
  ];
  for (const [name, body, tls13] of broken) {
    it(`Given ${name} Then null, not an exception`, () => {
      assert.equal(parseCertificateMessage(body, tls13), null);
    });
  }

  it('Given a handshake stream cut mid-message Then the complete messages come out', () => {
    const stream = Buffer.concat([Buffer.from([11]), u24(2), Buffer.from([1, 2]), Buffer.from([20]), u24(5), Buffer.from([1])]);
    assert.deepEqual(splitHandshake(stream).map((m) => [m.type, m.body.length]), [[11, 2]]);
  });
});
