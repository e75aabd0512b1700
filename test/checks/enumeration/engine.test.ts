import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Enumeration, MAX_BROKEN_PER_VERSION } from '../../../src/checks/enumeration/engine.js';
import { enumerate } from '../../../src/checks/enumeration/enumerate.js';
import { runtimeCapabilities, type RuntimeCapabilities } from '../../../src/checks/enumeration/runtime.js';
import type { HandshakeOutcome } from '../../../src/checks/enumeration/types.js';
import { probeOptions } from '../starttls/helpers.js';
import { assertExact as assertExactSim, plainProbe, scan as scanSim, simulate, type SimServer } from './sim.js';
import { classifyCipher } from '../../../src/model/cipher-classes.js';

let caps: RuntimeCapabilities;
before(async () => {
  caps = await runtimeCapabilities();
});

const scan = (server: SimServer) => scanSim(server, caps);
const assertExact = (...args: Parameters<typeof assertExactSim> extends [RuntimeCapabilities, ...infer R] ? R : never) => assertExactSim(caps, ...args);

const MODERN_13 = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];
const MODERN_12 = ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'];
const OLD_CBC = ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'];
const ALL_GROUPS = ['X25519', 'P-256', 'P-384', 'P-521', 'X448', 'ffdhe2048', 'ffdhe3072'];

describe('the enumeration engine against simulated servers', () => {
  const cases: ReadonlyArray<readonly [string, SimServer]> = [
    ['a modern server, client order', { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: false, groups13: ALL_GROUPS, ecGroups: ['X25519', 'P-256'] }],
    ['a modern server, server order', { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: true, groups13: ['P-384', 'X25519'], ecGroups: ['P-384', 'X25519'] }],
    [
      'an old server: TLS 1.0-1.2, CBC and static RSA, server order',
      { versions: { 'TLSv1.2': [...MODERN_12, ...OLD_CBC], 'TLSv1.1': OLD_CBC, TLSv1: OLD_CBC }, serverOrder: true, ecGroups: ['P-256'] },
    ],
    [
      'an old server: TLS 1.0-1.3, client order, one group',
      { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': [...MODERN_12, ...OLD_CBC], 'TLSv1.1': OLD_CBC, TLSv1: OLD_CBC }, serverOrder: false, groups13: ['P-256'], ecGroups: ['P-256'] },
    ],
    [
      'a server that prefers its weakest suites (our weakest-first offers match its order)',
      { versions: { 'TLSv1.3': [...MODERN_13].reverse(), 'TLSv1.2': [...OLD_CBC].reverse(), TLSv1: [...OLD_CBC].reverse() }, serverOrder: true, groups13: ['X25519'], ecGroups: ['X25519'] },
    ],
    ['TLS 1.0 only, one suite', { versions: { TLSv1: ['TLS_RSA_WITH_AES_128_CBC_SHA'] }, serverOrder: false }],
    ['TLS 1.1 only', { versions: { 'TLSv1.1': OLD_CBC }, serverOrder: true, ecGroups: ['P-256', 'P-384'] }],
    ['DHE only, TLS 1.2', { versions: { 'TLSv1.2': ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA'] }, serverOrder: false, dhBits: 1024 }],
    ['ECDHE with brainpool curves only', { versions: { 'TLSv1.2': MODERN_12 }, serverOrder: false, ecGroups: ['brainpoolP384r1', 'brainpoolP256r1'] }],
    ['TLS 1.3 with ffdhe only', { versions: { 'TLSv1.3': MODERN_13 }, serverOrder: true, groups13: ['ffdhe3072'] }],
    ['TLS 1.3 with every suite, even CCM_8', { versions: { 'TLSv1.3': ['TLS_AES_128_CCM_8_SHA256', 'TLS_AES_128_CCM_SHA256', ...MODERN_13] }, serverOrder: false, groups13: ['X25519'] }],
  ];
  for (const [name, server] of cases) {
    it(`finds exactly what ${name} accepts, within the budget`, async () => {
      // Given the simulated server, When the plain probe and the enumeration run
      const { result, connections, maxInFlight, plainPick } = await scan(server);
      // Then every accepted version, suite, group, DH size and order is found, one session at a time
      assertExact(server, result, connections, 7, plainPick);
      assert.equal(maxInFlight, 1);
    });
  }

  it('announces, with every handshake before the legacy versions, that another follows', async () => {
    // Given a TLS 1.2 + 1.3 server that refuses TLS 1.0 and 1.1
    const server: SimServer = { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: false, groups13: ['X25519', 'P-256'], ecGroups: ['X25519'] };
    const { run, counters } = simulate(server);
    const known = await plainProbe(run, caps);
    const before = counters.more.length;
    await new Enumeration(caps, run).run(known);
    // Then every TLS 1.3 and 1.2 handshake says another follows (the legacy test is still to come), and the joint
    // TLS 1.0/1.1 offer, whose refusal ends the enumeration, does not
    const offers = counters.offers.slice(before);
    const more = counters.more.slice(before);
    assert.equal(offers.at(-1)?.purpose, 'legacy-versions');
    assert.deepEqual(more, offers.map((o) => o.purpose !== 'legacy-versions'));
    assert.ok(more.length >= 5, String(more.length));
  });

  it('reports suites in the server order when it keeps one', async () => {
    const server: SimServer = { versions: { 'TLSv1.2': ['TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384'] }, serverOrder: true, ecGroups: ['X25519'] };
    const { result } = await scan(server);
    assert.deepEqual(
      result.ciphers['TLSv1.2']?.map((c) => [c.standardName, classifyCipher(c.standardName)]),
      [
        ['TLS_RSA_WITH_AES_128_CBC_SHA', 'phase-out'],
        ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'good'],
        ['TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'sufficient'],
      ],
    );
    assert.equal(result.serverOrder['TLSv1.2'], true);
  });

  it('without the plain probe, still finds everything', async () => {
    const server: SimServer = { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: false, groups13: ['X25519', 'P-256'], ecGroups: ['X25519'] };
    const { run, counters } = simulate(server);
    const result = await new Enumeration(caps, run).run(null);
    assertExact(server, result, counters.sessions, 6);
  });

  it('stays exact, within + 7 (an order left undecided where deciding would overspend), for every ordering policy that changes from version to version, with 1 to 3 groups', async () => {
    // Every case of the 2^4 orders × 3 group counts (48 servers): a property over a space this small is a loop.
    for (let bits = 0; bits < 16; bits += 1) {
      const order = { 'TLSv1.3': (bits & 1) !== 0, 'TLSv1.2': (bits & 2) !== 0, 'TLSv1.1': (bits & 4) !== 0, TLSv1: (bits & 8) !== 0 };
      for (let groups = 1; groups <= 3; groups += 1) {
        const server: SimServer = {
          versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': [...MODERN_12, ...OLD_CBC], 'TLSv1.1': OLD_CBC, TLSv1: [...OLD_CBC].reverse() },
          serverOrder: order,
          groups13: ['X25519', 'P-256', 'P-384'].slice(0, groups),
          ecGroups: ['P-256'],
        };
        const { result, connections, plainPick } = await scan(server);
        assertExact(server, result, connections, 7, plainPick, true);
      }
    }
  });
});

describe('the enumeration engine when things go wrong', () => {
  it('reports a server that selects suites but completes no handshake as broken', async () => {
    // Given a server that answers every offer with a ServerHello, then fails
    const server: SimServer = { versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: true, groups13: ['X25519'], ecGroups: ['X25519'], broken: true };
    const { result, connections } = await scan(server);
    // Then no version is accepted, what it selected is reported, and the tries are bounded
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false });
    assert.deepEqual(result.ciphers, {});
    assert.ok(result.broken !== undefined);
    assert.ok(result.broken.selected.includes('TLS_AES_256_GCM_SHA384'), result.broken.selected.join());
    assert.ok(result.broken.selected.includes('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'));
    assert.match(result.broken.message, /no handshake completed/);
    assert.ok(connections <= 1 + 2 * MAX_BROKEN_PER_VERSION + 1, String(connections));
  });

  it('stops when a session fails before its handshake, keeping what it found', async () => {
    // Given a server that stops accepting sessions after the third
    const { run: inner } = simulate({ versions: { 'TLSv1.3': MODERN_13, 'TLSv1.2': MODERN_12 }, serverOrder: false, groups13: ['X25519'], ecGroups: ['X25519'] });
    let calls = 0;
    const run = async (offer: Parameters<typeof inner>[0]): Promise<HandshakeOutcome> => {
      calls += 1;
      if (calls > 3) return { kind: 'stopped', error: { phase: 'connect', code: 'connect-refused', message: 'connection refused' } };
      return inner(offer);
    };
    const result = await new Enumeration(caps, run).run(null);
    // Then the enumeration ends at once, with what it found and the reason
    assert.equal(result.handshakes, 4);
    assert.equal(result.error?.code, 'connect-refused');
    assert.equal(result.protocols['TLSv1.3'], true);
    assert.equal(result.protocols['TLSv1.2'], null, 'not tested');
    assert.equal(result.protocols.TLSv1, null);
    assert.equal(result.ciphers['TLSv1.3']?.length, 3);
  });

  it('gives up after two handshakes time out', async () => {
    const run = async (): Promise<HandshakeOutcome> => ({ kind: 'refused', selected: null, versionRefused: false, timeout: true, reason: 'no TLS handshake within 1000 ms' });
    const result = await new Enumeration(caps, run).run(null);
    assert.equal(result.handshakes, 2);
    assert.equal(result.error?.code, 'tls-timeout');
    assert.equal(result.protocols['TLSv1.3'], false, 'a server that hangs on a TLS 1.3 hello does not accept it');
    assert.equal(result.protocols['TLSv1.2'], null, 'the second timeout ends the enumeration before TLS 1.2 is settled');
    assert.equal(result.protocols['TLSv1.1'], null);
  });

  it('makes no handshake once the scan is interrupted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { run, counters } = simulate({ versions: { 'TLSv1.3': MODERN_13 }, serverOrder: false, groups13: ['X25519'] });
    const result = await new Enumeration(caps, run, controller.signal).run(null);
    assert.equal(counters.sessions, 0);
    assert.equal(result.handshakes, 0);
    assert.equal(result.error?.code, 'interrupted');
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: null, 'TLSv1.1': null, 'TLSv1.2': null, 'TLSv1.3': null });
  });

  it('turns a bug in a handshake into data, never a rejection', async () => {
    const result = await enumerate({ ip: '127.0.0.1', port: 1, sni: null }, probeOptions(), {
      runHandshake: async () => {
        throw new RangeError('boom');
      },
    });
    assert.equal(result.error?.code, 'internal-error');
    assert.match(result.error?.message ?? '', /RangeError: boom/);
    assert.equal(result.handshakes, 1);
  });

  it('infers nothing from a plain probe it does not understand', async () => {
    const { run, counters } = simulate({ versions: { 'TLSv1.2': MODERN_12 }, serverOrder: false, ecGroups: ['X25519'] });
    const known = { protocol: 'SSLv3', cipher: { name: 'x', standardName: 'x' }, keyExchange: { type: null, group: null, bits: null }, forwardSecrecy: false };
    const result = await new Enumeration(caps, run).run(known);
    assert.equal(result.protocols['TLSv1.2'], true);
    assert.equal(result.handshakes, counters.sessions);
  });
});

describe('what the enumeration reports as not testable', () => {
  it('lists the suites and groups this runtime cannot offer, never as refused', async () => {
    const { run } = simulate({ versions: { 'TLSv1.2': MODERN_12 }, serverOrder: false, ecGroups: ['X25519'] });
    const result = await new Enumeration(caps, run).run(null);
    assert.deepEqual(result.notTestable, caps.notTestable);
    assert.deepEqual(result.groupsNotTestable, caps.groupsNotTestable);
    assert.ok(result.notTestable.includes('TLS_RSA_WITH_3DES_EDE_CBC_SHA'));
    assert.equal(result.protocols.SSLv3, null);
    for (const list of Object.values(result.ciphers)) for (const c of list) assert.ok(!result.notTestable.includes(c.standardName));
  });
});
