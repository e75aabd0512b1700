import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CipherClass } from '../../src/model/probe.js';
import { classifyCipher, describeCipher, NCSC_LEVELS, type WeakFamily } from '../../src/model/cipher-classes.js';
import { SUITES } from '../../src/checks/enumeration/suites.js';

interface Row {
  readonly suite: string;
  readonly level: CipherClass;
  readonly aead: boolean;
  readonly fs: boolean;
  readonly staticRsa: boolean;
  readonly cbc: boolean;
  readonly sha1: boolean;
  readonly weak: WeakFamily | null;
}

const row = (suite: string, level: CipherClass, flags: string, weak: WeakFamily | null = null): Row => ({
  suite,
  level,
  aead: flags.includes('aead'),
  fs: flags.includes('fs'),
  staticRsa: flags.includes('rsa'),
  cbc: flags.includes('cbc'),
  sha1: flags.includes('sha1'),
  weak,
});

/** NCSC-NL v2.1 levels as internet.nl applies them (appendix C), and the RFC 9325 traits. */
const TABLE: readonly Row[] = [
  // TLS 1.3: rated by the cipher alone
  row('TLS_AES_256_GCM_SHA384', 'good', 'aead fs'),
  row('TLS_AES_128_GCM_SHA256', 'good', 'aead fs'),
  row('TLS_CHACHA20_POLY1305_SHA256', 'good', 'aead fs'),
  row('TLS_AES_128_CCM_SHA256', 'good', 'aead fs'),
  row('TLS_AES_128_CCM_8_SHA256', 'insufficient', 'aead fs'),
  row('TLS_AKE_WITH_AES_128_GCM_SHA256', 'good', 'aead fs'), // nmap's spelling
  // ECDHE + AEAD: good
  row('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'good', 'aead fs'),
  row('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'good', 'aead fs'),
  row('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'good', 'aead fs'),
  row('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'good', 'aead fs'),
  row('TLS_ECDHE_ECDSA_WITH_AES_128_CCM', 'good', 'aead fs'),
  // ECDHE + CBC: sufficient (SHA-1 MAC too)
  row('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'sufficient', 'fs cbc'),
  row('TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'sufficient', 'fs cbc'),
  row('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'sufficient', 'fs cbc sha1'),
  row('TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'sufficient', 'fs cbc sha1'),
  row('TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384', 'sufficient', 'fs cbc'),
  // DHE: sufficient at best
  row('TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'sufficient', 'aead fs'),
  row('TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'sufficient', 'aead fs'),
  row('TLS_DHE_RSA_WITH_AES_128_CBC_SHA', 'sufficient', 'fs cbc sha1'),
  row('TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 'sufficient', 'fs cbc sha1'),
  // ARIA-GCM, SEED: phase-out; ARIA-CBC: insufficient
  row('TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256', 'phase-out', 'aead fs'),
  row('TLS_DHE_RSA_WITH_SEED_CBC_SHA', 'phase-out', 'fs cbc sha1'),
  row('TLS_ECDHE_RSA_WITH_ARIA_128_CBC_SHA256', 'insufficient', 'fs cbc'),
  // static RSA: phase-out
  row('TLS_RSA_WITH_AES_128_GCM_SHA256', 'phase-out', 'aead rsa'),
  row('TLS_RSA_WITH_AES_256_CBC_SHA256', 'phase-out', 'rsa cbc'),
  row('TLS_RSA_WITH_AES_128_CBC_SHA', 'phase-out', 'rsa cbc sha1'),
  row('TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 'phase-out', 'rsa cbc sha1'),
  row('TLS_RSA_WITH_AES_256_CCM', 'phase-out', 'aead rsa'),
  // 3DES: phase-out, flagged
  row('TLS_RSA_WITH_3DES_EDE_CBC_SHA', 'phase-out', 'rsa cbc sha1', '3des'),
  row('TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'phase-out', 'fs cbc sha1', '3des'),
  // CCM_8: insufficient
  row('TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8', 'insufficient', 'aead fs'),
  row('TLS_RSA_WITH_AES_128_CCM_8', 'insufficient', 'aead rsa'),
  // DSS authentication: insufficient
  row('TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 'insufficient', 'aead fs'),
  row('TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 'insufficient', 'fs cbc sha1'),
  // static (EC)DH: insufficient, no forward secrecy
  row('TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256', 'insufficient', 'aead'),
  row('TLS_DH_RSA_WITH_AES_256_CBC_SHA', 'insufficient', 'cbc sha1'),
  // forbidden families (RFC 9325, RFC 7465): insufficient, flagged
  row('TLS_RSA_WITH_RC4_128_SHA', 'insufficient', 'rsa sha1', 'rc4'),
  row('TLS_RSA_WITH_RC4_128_MD5', 'insufficient', 'rsa', 'rc4'),
  row('TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'insufficient', 'fs sha1', 'rc4'),
  row('TLS_RSA_WITH_NULL_SHA256', 'insufficient', 'rsa', 'null'),
  row('TLS_RSA_WITH_NULL_MD5', 'insufficient', 'rsa', 'null'),
  row('TLS_ECDHE_ECDSA_WITH_NULL_SHA', 'insufficient', 'fs sha1', 'null'),
  row('TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'insufficient', 'rsa', 'export'),
  row('TLS_RSA_EXPORT_WITH_DES40_CBC_SHA', 'insufficient', 'rsa cbc sha1', 'export'),
  row('TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA', 'insufficient', 'fs cbc sha1', 'export'),
  row('TLS_DH_anon_WITH_AES_128_GCM_SHA256', 'insufficient', 'aead', 'anon'),
  row('TLS_ECDH_anon_WITH_AES_256_CBC_SHA', 'insufficient', 'cbc sha1', 'anon'),
  row('TLS_DH_anon_WITH_RC4_128_MD5', 'insufficient', '', 'anon'),
  row('TLS_RSA_WITH_DES_CBC_SHA', 'insufficient', 'rsa cbc sha1', 'des'),
  row('TLS_DHE_RSA_WITH_DES_CBC_SHA', 'insufficient', 'fs cbc sha1', 'des'),
  row('TLS_RSA_WITH_IDEA_CBC_SHA', 'insufficient', 'rsa cbc sha1', 'idea'),
  // outside what a mail server negotiates: insufficient
  row('TLS_PSK_WITH_AES_128_GCM_SHA256', 'insufficient', 'aead'),
  row('TLS_SRP_SHA_WITH_AES_128_CBC_SHA', 'insufficient', 'cbc sha1'),
  row('TLS_NULL_WITH_NULL_NULL', 'insufficient', '', 'null'),
  row('not a suite name', 'insufficient', ''),
];

describe('classifyCipher: NCSC-NL v2.1 levels as internet.nl applies them', () => {
  for (const r of TABLE) {
    it(`${r.suite} is ${r.level}`, () => {
      // Given an IANA suite name, When it is described, Then level and RFC 9325 traits match the table
      const traits = describeCipher(r.suite);
      assert.equal(classifyCipher(r.suite), r.level);
      assert.deepEqual(
        { level: traits.class, aead: traits.aead, fs: traits.forwardSecrecy, staticRsa: traits.staticRsa, cbc: traits.cbc, sha1: traits.sha1Mac, weak: traits.weak },
        { level: r.level, aead: r.aead, fs: r.fs, staticRsa: r.staticRsa, cbc: r.cbc, sha1: r.sha1, weak: r.weak },
      );
    });
  }

  it('has at least 30 table rows', () => {
    assert.ok(TABLE.length >= 30, String(TABLE.length));
  });

  it('rates a suite as the lowest of its four parts', () => {
    // Given DHE (sufficient) with AES-GCM (good) and AEAD (good): sufficient
    assert.equal(NCSC_LEVELS.keyExchange.DHE, 'sufficient');
    assert.equal(classifyCipher('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256'), 'sufficient');
    // Given static RSA (phase-out) with 3DES (phase-out) and SHA-1 (sufficient): phase-out
    assert.equal(classifyCipher('TLS_RSA_WITH_3DES_EDE_CBC_SHA'), 'phase-out');
  });

  it('classifies every suite of the table without throwing, and no forbidden family above insufficient except 3DES', () => {
    for (const suite of SUITES) {
      const traits = describeCipher(suite.iana);
      assert.notEqual(traits.keyExchange, 'other', suite.iana);
      if (traits.weak !== null && traits.weak !== '3des') assert.equal(traits.class, 'insufficient', suite.iana);
    }
  });
});
