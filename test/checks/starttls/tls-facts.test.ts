import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ScanError } from '../../../src/model/errors.js';
import {
  connectionOptions,
  describeKeyExchange,
  hasForwardSecrecy,
  isVersionFailure,
  LEGACY_CIPHERS,
  peerChain,
  withWireGroup,
  versionBelow,
} from '../../../src/tls/upgrade.js';

describe('describeKeyExchange', () => {
  const cases: ReadonlyArray<{ name: string; suite: string; info: { type?: string; name?: string; size?: number } | null; expected: object }> = [
    { name: 'X25519', suite: 'TLS_AES_256_GCM_SHA384', info: { type: 'ECDH', name: 'X25519', size: 253 }, expected: { type: 'ECDH', group: 'X25519', bits: 253 } },
    { name: 'P-256 under its OpenSSL name', suite: 'TLS_AES_128_GCM_SHA256', info: { type: 'ECDH', name: 'prime256v1', size: 256 }, expected: { type: 'ECDH', group: 'P-256', bits: 256 } },
    { name: 'P-384', suite: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', info: { type: 'ECDH', name: 'secp384r1', size: 384 }, expected: { type: 'ECDH', group: 'P-384', bits: 384 } },
    { name: 'a hybrid group kept as named', suite: 'TLS_AES_256_GCM_SHA384', info: { type: 'ECDH', name: 'X25519MLKEM768', size: 0 }, expected: { type: 'ECDH', group: 'X25519MLKEM768', bits: 0 } },
    { name: 'finite-field DH', suite: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', info: { type: 'DH', size: 2048 }, expected: { type: 'DH', group: null, bits: 2048 } },
    { name: 'static RSA', suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256', info: {}, expected: { type: 'RSA', group: null, bits: null } },
    { name: 'unknown', suite: 'TLS_PSK_WITH_AES_128_GCM_SHA256', info: null, expected: { type: null, group: null, bits: null } },
  ];
  for (const { name, suite, info, expected } of cases) {
    it(name, () => assert.deepEqual(describeKeyExchange(suite, info), expected));
  }
});

describe('hasForwardSecrecy', () => {
  const cases: ReadonlyArray<[protocol: string, suite: string, fs: boolean]> = [
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384', true],
    ['TLSv1.2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', true],
    ['TLSv1.2', 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', true],
    ['TLSv1', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', true],
    ['TLSv1.2', 'TLS_RSA_WITH_AES_128_GCM_SHA256', false],
    ['TLSv1', 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', false],
    ['TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', true],
    ['TLSv1.2', 'AES128-SHA', false],
  ];
  for (const [protocol, suite, fs] of cases) {
    it(`${protocol} ${suite} → ${fs}`, () => assert.equal(hasForwardSecrecy(protocol, suite), fs));
  }
});

describe('isVersionFailure', () => {
  const openssl = (reason: string) => Object.assign(new Error(`C0:error:0A00042E:SSL routines::${reason}`), { reason });
  const cases: ReadonlyArray<[name: string, error: unknown, expected: boolean]> = [
    ['alert protocol version', openssl('tlsv1 alert protocol version'), true],
    ['unsupported protocol', openssl('unsupported protocol'), true],
    ['no protocols available', openssl('no protocols available'), true],
    // OpenSSL's word for a record that is not TLS at all (plaintext after STARTTLS), not a version mismatch
    ['wrong version number', openssl('wrong version number'), false],
    ['inside a ScanError', new ScanError('tls-handshake-failed', 'TLS handshake failed: x', { cause: openssl('tlsv1 alert protocol version') }), true],
    ['handshake failure alert', openssl('sslv3 alert handshake failure'), false],
    ['a closed socket', new Error('socket hang up'), false],
    ['not an error', 'alert protocol version', false],
  ];
  for (const [name, error, expected] of cases) {
    it(name, () => assert.equal(isVersionFailure(error), expected));
  }
});

describe('connectionOptions', () => {
  const base = { minVersion: 'TLSv1.2' as const, trustAnchors: ['PEM'] };

  it('sends a host name as SNI and rejects nothing on the spot', () => {
    const options = connectionOptions(new Socket(), { ...base, sni: 'mx.example.com' });
    assert.equal(options.servername, 'mx.example.com');
    assert.equal(options.rejectUnauthorized, false);
    assert.equal(options.checkServerIdentity?.('mx.example.com', {} as never), undefined);
    assert.equal(options.maxVersion, 'TLSv1.3');
    assert.ok(options.secureContext, 'trust anchors go in a secure context');
    assert.equal(options.ciphers, undefined);
  });

  it('builds one secure context per trust-anchor list and offer, not one per handshake', () => {
    const first = connectionOptions(new Socket(), { ...base, sni: 'a.example' }).secureContext;
    assert.equal(connectionOptions(new Socket(), { ...base, sni: 'b.example' }).secureContext, first);
    assert.notEqual(connectionOptions(new Socket(), { ...base, sni: null, minVersion: 'TLSv1' }).secureContext, first);
    assert.notEqual(connectionOptions(new Socket(), { ...base, trustAnchors: ['PEM'], sni: null }).secureContext, first);
  });

  for (const sni of [null, '192.0.2.1', '2001:db8::1']) {
    it(`sends no SNI for ${String(sni)}`, () => {
      assert.equal('servername' in connectionOptions(new Socket(), { ...base, sni }), false);
    });
  }

  it('lowers the security level when TLS 1.0/1.1 may be offered', () => {
    assert.equal(connectionOptions(new Socket(), { ...base, sni: null, minVersion: 'TLSv1' }).ciphers, LEGACY_CIPHERS);
    assert.equal(connectionOptions(new Socket(), { ...base, sni: null, minVersion: 'TLSv1.1' }).ciphers, LEGACY_CIPHERS);
  });
});

describe('versionBelow', () => {
  it('steps down one version', () => {
    assert.equal(versionBelow('TLSv1.3'), 'TLSv1.2');
    assert.equal(versionBelow('TLSv1.2'), 'TLSv1.1');
    assert.equal(versionBelow('TLSv1.1'), 'TLSv1');
    assert.equal(versionBelow('TLSv1'), null);
  });
});

describe('peerChain', () => {
  it('walks issuers until a certificate repeats', () => {
    // Given leaf → intermediate → root, the root being its own issuer
    const root: Record<string, unknown> = { raw: Buffer.from('root') };
    root['issuerCertificate'] = root;
    const intermediate = { raw: Buffer.from('int'), issuerCertificate: root };
    const leaf = { raw: Buffer.from('leaf'), issuerCertificate: intermediate };
    // When the chain is read, Then each certificate appears once, leaf first
    const chain = peerChain({ getPeerCertificate: () => leaf as never });
    assert.deepEqual(chain.map(String), ['leaf', 'int', 'root']);
  });

  it('is empty when the server sent no certificate', () => {
    assert.deepEqual(peerChain({ getPeerCertificate: () => ({}) as never }), []);
  });
});

describe('withWireGroup', () => {
  const hello = (group: number | null) => ({ version: 'TLSv1.3', cipherSuite: 0x1302, helloRetryRequest: false, group });
  it('Given TLS 1.3 where Node names no group Then the ServerHello key share names it', () => {
    assert.deepEqual(withWireGroup({ type: null, group: null, bits: null }, 'TLSv1.3', hello(0x11ec)), { type: 'ECDH+MLKEM', group: 'X25519MLKEM768', bits: null });
    assert.deepEqual(withWireGroup({ type: null, group: null, bits: null }, 'TLSv1.3', hello(0x001d)), { type: 'ECDH', group: 'X25519', bits: null });
  });
  it('Given a group Node already named, or TLS 1.2 Then nothing changes', () => {
    const named = { type: 'ECDH', group: 'P-256', bits: 256 };
    assert.equal(withWireGroup(named, 'TLSv1.3', hello(0x11ec)), named);
    const tls12 = { type: null, group: null, bits: null };
    assert.equal(withWireGroup(tls12, 'TLSv1.2', hello(null)), tls12);
  });
});
