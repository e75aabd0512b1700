import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GROUPS, groupByCode, groupOfHandshake } from '../../../src/tls/groups.js';
import { parseClientHello } from '../../../src/checks/enumeration/hello.js';
import { captureFirstFlight, cipherString, runtimeCapabilities } from '../../../src/checks/enumeration/runtime.js';
import { codeHex, ianaName, isTls13Suite, suiteByCode, suiteByIana, suiteByOpenssl, SUITES } from '../../../src/checks/enumeration/suites.js';

describe('the suite table (IANA ↔ OpenSSL)', () => {
  const rows: ReadonlyArray<readonly [number, string, string]> = [
    [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
    [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
    [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
    [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
    [0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'DHE-RSA-AES128-GCM-SHA256'],
    [0x002f, 'TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
    [0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
    [0xc060, 'TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256', 'ECDHE-ARIA128-GCM-SHA256'],
    [0x0034, 'TLS_DH_anon_WITH_AES_128_CBC_SHA', 'ADH-AES128-SHA'],
    [0x0001, 'TLS_RSA_WITH_NULL_MD5', 'NULL-MD5'],
    [0x000a, 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'DES-CBC3-SHA'],
    [0x0005, 'TLS_RSA_WITH_RC4_128_SHA', 'RC4-SHA'],
    [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'EXP-RC4-MD5'],
    [0x0096, 'TLS_RSA_WITH_SEED_CBC_SHA', 'SEED-SHA'],
    [0x0007, 'TLS_RSA_WITH_IDEA_CBC_SHA', 'IDEA-CBC-SHA'],
    [0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
    [0x1305, 'TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_8_SHA256'],
  ];
  for (const [code, iana, openssl] of rows) {
    it(`${codeHex(code)} is ${iana} is ${openssl}`, () => {
      assert.equal(suiteByCode(code)?.iana, iana);
      assert.equal(suiteByIana(iana)?.openssl, openssl);
      assert.equal(suiteByOpenssl(openssl)?.code, code);
      assert.equal(ianaName(openssl), iana);
    });
  }

  it('has unique code points, IANA names and OpenSSL names', () => {
    assert.equal(new Set(SUITES.map((s) => s.code)).size, SUITES.length);
    assert.equal(new Set(SUITES.map((s) => s.iana)).size, SUITES.length);
    const named = SUITES.flatMap((s) => (s.openssl === null ? [] : [s.openssl]));
    assert.equal(new Set(named).size, named.length);
  });

  it('maps nmap and SSL_ spellings to IANA names', () => {
    assert.equal(ianaName('TLS_AKE_WITH_AES_256_GCM_SHA384'), 'TLS_AES_256_GCM_SHA384');
    assert.equal(ianaName('SSL_RSA_WITH_3DES_EDE_CBC_SHA'), 'TLS_RSA_WITH_3DES_EDE_CBC_SHA');
    assert.equal(ianaName('EDH-RSA-DES-CBC3-SHA'), 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA');
    assert.equal(ianaName('TLS_UNKNOWN'), 'TLS_UNKNOWN');
    assert.ok(isTls13Suite('TLS_CHACHA20_POLY1305_SHA256'));
    assert.ok(!isTls13Suite('TLS_RSA_WITH_AES_128_CBC_SHA'));
  });

  it("agrees with this runtime's OpenSSL: each offerable suite's OpenSSL name goes on the wire as the table's code point", async () => {
    // Given every suite the runtime offers, When a ClientHello offers it alone by its OpenSSL name,
    // Then the code point on the wire is the table's
    const caps = await runtimeCapabilities();
    for (const version of ['TLSv1.3', 'TLSv1.2', 'TLSv1'] as const) {
      for (const suite of caps.suites[version]) {
        const bytes = await captureFirstFlight({ minVersion: version, maxVersion: version, ciphers: cipherString([suite], version, version) });
        assert.deepEqual(parseClientHello(bytes)?.cipherSuites, [suite.code], `${version} ${suite.iana}`);
      }
    }
  });
});

describe('runtime capabilities', () => {
  it('offers TLS 1.0-1.3, knows every suite it offers, and lists the rest as not testable', async () => {
    const caps = await runtimeCapabilities();
    assert.deepEqual(caps.unknownOffered, [], 'a suite the runtime offers is missing from the table');
    assert.equal(caps.suites['TLSv1.3'].length, 5);
    assert.ok(caps.suites['TLSv1.2'].length >= 80, String(caps.suites['TLSv1.2'].length));
    assert.ok(caps.suites.TLSv1.length >= 20);
    const offered = new Set(Object.values(caps.suites).flat().map((s) => s.iana));
    for (const name of caps.notTestable) assert.ok(!offered.has(name), name);
    assert.equal(offered.size + caps.notTestable.length, SUITES.length);
    // Node's OpenSSL 3 offers none of these families
    for (const name of ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'TLS_RSA_WITH_RC4_128_SHA', 'TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'TLS_RSA_WITH_DES_CBC_SHA']) {
      assert.ok(caps.notTestable.includes(name), name);
    }
    // … but NULL and anonymous suites it does offer, at security level 0
    assert.ok(offered.has('TLS_RSA_WITH_NULL_SHA'));
    assert.ok(offered.has('TLS_DH_anon_WITH_AES_128_GCM_SHA256'));
  });

  it('offers the classic groups, and the hybrid post-quantum ones exactly when OpenSSL is 3.5 or later', async () => {
    const caps = await runtimeCapabilities();
    const tls13 = caps.groups['TLSv1.3'].map((g) => g.name);
    for (const name of ['X25519', 'P-256', 'P-384', 'P-521', 'X448', 'ffdhe2048']) assert.ok(tls13.includes(name), name);
    assert.ok(!caps.groups['TLSv1.2'].some((g) => g.name.startsWith('ffdhe')), 'TLS 1.2 hellos carry only elliptic curves');
    const [major = 0, minor = 0] = (process.versions.openssl ?? '0.0').split('.').map(Number);
    const hybrid = major > 3 || (major === 3 && minor >= 5);
    assert.equal(tls13.includes('X25519MLKEM768'), hybrid);
    assert.equal(caps.groupsNotTestable.includes('X25519MLKEM768'), !hybrid);
    assert.equal(caps.groupsNotTestable.length + new Set(Object.values(caps.groups).flat()).size, GROUPS.length);
  });

  it('names the group of a handshake as the report does', () => {
    assert.equal(groupOfHandshake('TLSv1.3', { type: 'ECDH', group: 'X25519', bits: 253 }), 'X25519');
    assert.equal(groupOfHandshake('TLSv1.2', { type: 'ECDH', group: 'prime256v1', bits: 256 }), 'P-256');
    assert.equal(groupOfHandshake('TLSv1.3', { type: 'DH', group: null, bits: 3072 }), 'ffdhe3072');
    assert.equal(groupOfHandshake('TLSv1.2', { type: 'DH', group: null, bits: 2048 }), null);
    assert.equal(groupOfHandshake('TLSv1.3', { type: 'TLSGroup', group: 'X25519MLKEM768', bits: null }), 'X25519MLKEM768');
    assert.equal(groupOfHandshake('TLSv1.3', { type: 'ECDH', group: 'brainpoolP256r1', bits: 256 }), 'brainpoolP256r1tls13');
    assert.equal(groupOfHandshake('TLSv1.2', { type: 'RSA', group: null, bits: null }), null);
    assert.equal(groupByCode(0x11ec)?.name, 'X25519MLKEM768');
  });
});
