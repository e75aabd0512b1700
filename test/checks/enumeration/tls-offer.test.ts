import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { connectionOptions, MAX_OFFER_CONTEXTS, serverHelloOf } from '../../../src/tls/upgrade.js';
import { parseClientHello } from '../../../src/checks/enumeration/hello.js';
import { captureFirstFlight } from '../../../src/checks/enumeration/runtime.js';
import { planFor } from '../../../src/checks/enumeration/session.js';
import { suiteByIana } from '../../../src/checks/enumeration/suites.js';
import { groupByName } from '../../../src/tls/groups.js';
import { serverHello } from './servers.js';

const wire = (): Duplex => new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });

describe('serverHelloOf: what a server selected before a handshake failed', () => {
  it('reads a TLS 1.2 ServerHello', () => {
    assert.deepEqual(serverHelloOf(serverHello(0xc02f, 0x0303)), { version: 'TLSv1.2', cipherSuite: 0xc02f, helloRetryRequest: false, group: null });
  });

  it('reads TLS 1.3 from supported_versions', () => {
    assert.deepEqual(serverHelloOf(serverHello(0x1301, 0x0304)), { version: 'TLSv1.3', cipherSuite: 0x1301, helloRetryRequest: false, group: 0x001d });
  });

  it('recognises a HelloRetryRequest', () => {
    const bytes = serverHello(0x1302, 0x0304);
    Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex').copy(bytes, 5 + 4 + 2);
    assert.equal(serverHelloOf(bytes)?.helloRetryRequest, true);
  });

  it('takes the group from the ServerHello that follows a HelloRetryRequest and its change_cipher_spec', () => {
    // Given a HelloRetryRequest asking for P-256, a change_cipher_spec record, then the ServerHello
    const retry = serverHello(0x1302, 0x0304);
    Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex').copy(retry, 5 + 4 + 2);
    const ccs = Buffer.from([0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    const hello = serverHello(0x1302, 0x0304);
    hello.writeUInt16BE(0x0017, hello.length - 32 - 4); // the key share's group: P-256
    // Then the suite is the retry's, and the group the ServerHello's
    assert.deepEqual(serverHelloOf(Buffer.concat([retry, ccs, hello])), { version: 'TLSv1.3', cipherSuite: 0x1302, helloRetryRequest: true, group: 0x0017 });
  });

  it('returns null for an alert, a truncated hello, or nothing', () => {
    assert.equal(serverHelloOf(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28])), null);
    assert.equal(serverHelloOf(serverHello(0xc02f, 0x0303).subarray(0, 20)), null);
    assert.equal(serverHelloOf(Buffer.alloc(0)), null);
  });
});

describe('the offer reaches the handshake (SessionPlan → upgradeTls → secure context)', () => {
  it('offers exactly the planned suites and groups, in order', async () => {
    // Given a plan for two TLS 1.2 suites and two groups
    const plan = planFor({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      suites: ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_256_GCM_SHA384'].map((n) => suiteByIana(n)!),
      groups: ['P-384', 'X25519'].map((n) => groupByName(n)!),
      purpose: 'suites',
    });
    assert.match(plan.ciphers ?? '', /@SECLEVEL=0$/);
    // When the ClientHello is built from those options
    const options = connectionOptions(wire(), { sni: null, trustAnchors: [], ...plan });
    const hello = parseClientHello(await captureFirstFlight({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers: plan.ciphers, ecdhCurve: plan.ecdhCurve }));
    // Then it carries them, and the connection options carry the same offer
    assert.deepEqual(hello?.cipherSuites, [0xc013, 0x009d]);
    assert.deepEqual(hello?.groups, [0x0018, 0x001d]);
    assert.equal(options.ciphers, plan.ciphers);
    assert.equal(options.ecdhCurve, plan.ecdhCurve);
  });

  it('offers TLS 1.3 suites alone by their TLS_ names', async () => {
    const plan = planFor({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', suites: [suiteByIana('TLS_AES_128_CCM_SHA256')!], groups: [], purpose: 'suites' });
    const hello = parseClientHello(await captureFirstFlight({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: plan.ciphers }));
    assert.deepEqual(hello?.cipherSuites, [0x1304]);
    assert.equal(plan.ecdhCurve, undefined);
  });

  it('keeps one context per offer, bounded, and never drops the plain offer', () => {
    const anchors: string[] = [];
    const plain = connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors }).secureContext;
    const offer = (i: number) => connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors, ciphers: `AES128-SHA:@SECLEVEL=${i % 2}`, ecdhCurve: i % 3 === 0 ? 'P-256' : 'X25519' }).secureContext;
    // The same offer gives the same context; a different one another
    assert.equal(offer(0), offer(0));
    assert.notEqual(offer(0), offer(1));
    assert.notEqual(offer(0), plain);
    // Without an offer, the plain probe's context as before
    assert.equal(connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors }).secureContext, plain);
    // Past MAX_OFFER_CONTEXTS distinct offers the oldest is rebuilt, the plain one is kept
    const first = connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors, sigalgs: 'ECDSA+SHA256' }).secureContext;
    for (let i = 0; i < MAX_OFFER_CONTEXTS + 5; i += 1) {
      connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors, ciphers: `AES128-SHA:@SECLEVEL=0:!x${i}` });
    }
    assert.notEqual(connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors, sigalgs: 'ECDSA+SHA256' }).secureContext, first);
    assert.equal(connectionOptions(wire(), { sni: null, minVersion: 'TLSv1.2', trustAnchors: anchors }).secureContext, plain);
  });
});
