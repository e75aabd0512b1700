import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SecureContextOptions } from 'node:tls';
import { enumerate, type EnumerationResult } from '../../../src/checks/enumeration/enumerate.js';
import type { LabSmtpOptions } from '../../../src/lab/smtp-server.js';
import { runtimeCapabilities } from '../../../src/checks/enumeration/runtime.js';
import { probe } from '../../../src/checks/starttls/probe.js';
import type { ProbeTarget } from '../../../src/checks/starttls/types.js';
import { leakableResources, makePki, MX_ASCII, probeOptions, settle, withLab, type TestPki } from '../starttls/helpers.js';
import { startEnumServer } from './servers.js';
import { classifyCipher } from '../../../src/model/cipher-classes.js';

let pki: TestPki;
let rsa: { keyPem: string; chainPem: string };
let baseline: Record<string, number>;
before(async () => {
  pki = await makePki();
  rsa = await pki.ca.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII], keyType: 'rsa-2048' });
  await settle();
  baseline = leakableResources();
});

after(async () => {
  await settle();
  assert.deepEqual(leakableResources(), baseline, 'no socket or timer outlives the enumerations');
});

const target = (port: number, extra: Partial<ProbeTarget> = {}): ProbeTarget => ({ ip: '127.0.0.1', port, sni: MX_ASCII, ...extra });
const options = () => probeOptions({ trustAnchors: [pki.ca.certPem] });

interface Run {
  readonly result: EnumerationResult;
  /** Sessions the server saw: the plain probe's and the enumeration's. */
  readonly sessions: number;
}

/** A second lane that is always free, counting how often it was taken and released. */
function countingLane(): { readonly take: () => () => void; readonly taken: () => number; readonly released: () => number } {
  let taken = 0;
  let released = 0;
  return {
    take: () => {
      taken += 1;
      return () => {
        released += 1;
      };
    },
    taken: () => taken,
    released: () => released,
  };
}

/** The plain probe, then the enumeration with its facts, as the scan runs them. */
async function probeAndEnumerate(port: number, sessions: () => number, secondLane?: () => () => void): Promise<Run> {
  const plain = await probe(target(port), options());
  const result = await enumerate(target(port), { ...options(), known: plain.tls ?? null, ...(secondLane !== undefined ? { secondLane } : {}) });
  return { result, sessions: sessions() };
}

async function onLab(tls: Omit<NonNullable<LabSmtpOptions['tls']>, 'key' | 'cert'>, cert = (): { keyPem: string; chainPem: string } => pki.leaf): Promise<Run> {
  return withLab({ hostname: MX_ASCII, starttls: true, tls: { key: cert().keyPem, cert: cert().chainPem, ...tls } }, (server) =>
    probeAndEnumerate(server.port, () => server.sessions),
  );
}

async function onServer(tls: SecureContextOptions, extra: { broken?: boolean; starttls?: boolean } = {}, secondLane?: () => () => void): Promise<Run & { maxConcurrent: number }> {
  const server = await startEnumServer({ tls, ...extra });
  try {
    const run = await probeAndEnumerate(server.port, () => server.sessions, secondLane);
    return { ...run, maxConcurrent: server.maxConcurrent };
  } finally {
    await server.close();
  }
}

const suitesOf = (result: EnumerationResult, version: string): string[] => (result.ciphers[version] ?? []).map((c) => c.standardName);

/** Every connection counts, the plain probe's included: at most accepted suites + accepted groups + 7. */
function assertBudget({ result, sessions }: Run): void {
  const suites = Object.values(result.ciphers).reduce((n, list) => n + list.length, 0);
  assert.equal(sessions, result.handshakes + 1, 'one session per handshake, plus the plain probe');
  assert.ok(sessions <= suites + result.groups.length + 7, `${sessions} sessions > ${suites} suites + ${result.groups.length} groups + 7`);
}

describe('enumerate against real loopback servers', () => {
  it('finds the exact suites of a TLS 1.2 + 1.3 server with a restricted list', async () => {
    // Given a server (EC certificate) with two TLS 1.3 and two TLS 1.2 suites
    const run = await onLab({ ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA' });
    const { result } = run;
    // Then versions and suites per version are exactly those, by IANA name, classified
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true });
    assert.deepEqual(suitesOf(result, 'TLSv1.3').sort(), ['TLS_AES_128_GCM_SHA256', 'TLS_CHACHA20_POLY1305_SHA256']);
    assert.deepEqual(suitesOf(result, 'TLSv1.2').sort(), ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA']);
    assert.deepEqual(
      result.ciphers['TLSv1.2']?.map((c) => [c.name, classifyCipher(c.standardName)]),
      [
        ['ECDHE-ECDSA-AES128-GCM-SHA256', 'good'],
        ['ECDHE-ECDSA-AES256-SHA', 'sufficient'],
      ],
      'client order: strongest first',
    );
    // Node follows the client's order by default
    assert.deepEqual(result.serverOrder, { 'TLSv1.2': false, 'TLSv1.3': false });
    assert.ok(result.groups.includes('X25519') && result.groups.includes('P-256'), result.groups.join());
    // The lab server runs on this runtime's OpenSSL: the hybrid group is found where it can be offered, else not testable
    const caps = await runtimeCapabilities();
    const hybrid = caps.groups['TLSv1.3'].some((g) => g.name === 'X25519MLKEM768');
    assert.equal(result.groups.includes('X25519MLKEM768'), hybrid, result.groups.join());
    assert.equal(result.groupsNotTestable.includes('X25519MLKEM768'), !hybrid);
    assert.equal(result.dhBits, null);
    assert.equal(result.error, undefined);
    assert.equal(result.broken, undefined);
    assert.ok(result.notTestable.includes('TLS_RSA_WITH_3DES_EDE_CBC_SHA'));
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'plain JSON-safe data');
    assertBudget(run);
  });

  it('finds TLS 1.0-1.2 with CBC suites on an old server', async () => {
    // Given a TLS 1.0-1.2 server (RSA certificate) with CBC suites, static RSA among them
    const run = await onLab(
      { minVersion: 'TLSv1', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:@SECLEVEL=0' },
      () => rsa,
    );
    const { result } = run;
    const cbc = ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLS_RSA_WITH_AES_128_CBC_SHA'];
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': false });
    for (const version of ['TLSv1', 'TLSv1.1', 'TLSv1.2']) assert.deepEqual(suitesOf(result, version).sort(), cbc, version);
    assert.ok(result.ciphers['TLSv1']?.some((c) => c.standardName === 'TLS_RSA_WITH_AES_128_CBC_SHA'));
    assert.equal(classifyCipher('TLS_RSA_WITH_AES_128_CBC_SHA'), 'phase-out');
    assert.deepEqual(result.serverOrder, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false });
    assertBudget(run);
  });

  it('tells a server that enforces its order from one that follows the client', async () => {
    // Given the same suites, once with the server's order enforced and once not
    const tls: SecureContextOptions = {
      key: rsa.keyPem,
      cert: rsa.chainPem,
      ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256',
    };
    const own = await onServer({ ...tls, honorCipherOrder: true });
    const client = await onServer({ ...tls, honorCipherOrder: false });
    // Then the first is reported with its order, per version, and the second as following the client
    assert.deepEqual(own.result.serverOrder, { 'TLSv1.2': true, 'TLSv1.3': true });
    assert.deepEqual(suitesOf(own.result, 'TLSv1.3'), ['TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256']);
    assert.deepEqual(suitesOf(own.result, 'TLSv1.2'), ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_GCM_SHA256']);
    assert.deepEqual(client.result.serverOrder, { 'TLSv1.2': false, 'TLSv1.3': false });
    assert.deepEqual(suitesOf(client.result, 'TLSv1.2').sort(), suitesOf(own.result, 'TLSv1.2').sort());
    for (const run of [own, client]) {
      assertBudget(run);
      // One session at a time; the server may still be closing the previous one when the next arrives.
      assert.ok(run.maxConcurrent <= 2, String(run.maxConcurrent));
    }
  });

  it('reports only the groups the server accepts (ecdhCurve P-384)', async () => {
    const run = await onLab({ ecdhCurve: 'P-384' });
    assert.deepEqual(run.result.groups, ['P-384']);
    assert.equal(run.result.protocols['TLSv1.3'], true);
    assertBudget(run);
  });

  it('reports the DH size of a DHE-only TLS 1.2 server, and no group', async () => {
    // Given a TLS 1.2 server with two DHE suites and OpenSSL's automatic DH parameters (2048 bits for RSA-2048)
    const run = await onServer({ key: rsa.keyPem, cert: rsa.chainPem, maxVersion: 'TLSv1.2', dhparam: 'auto', ciphers: 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA' });
    const { result } = run;
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': false });
    assert.deepEqual(suitesOf(result, 'TLSv1.2').sort(), ['TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA']);
    assert.equal(result.dhBits, 2048);
    assert.deepEqual(result.groups, []);
    assertBudget(run);
  });

  it('with a second lane, opens the next session while a handshake runs: the same facts, two sessions at once, one per handshake', async () => {
    // Given a server that keeps its own order (so the picks depend on every offer), enumerated one session at a time
    // and again with a second lane to the address
    const tls: SecureContextOptions = {
      key: rsa.keyPem,
      cert: rsa.chainPem,
      honorCipherOrder: true,
      ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256',
    };
    const serial = await onServer(tls);
    const lane = countingLane();
    const overlapped = await onServer(tls, {}, lane.take);
    // Then the facts are the same, still one session per handshake within the budget, and the sessions overlapped:
    // two at once (three while the server is still closing one), the lane taken once and given back
    const { handshakes: _a, ...serialFacts } = serial.result;
    const { handshakes: _b, ...overlappedFacts } = overlapped.result;
    assert.deepEqual(overlappedFacts, serialFacts);
    assertBudget(overlapped);
    assert.equal(serial.maxConcurrent <= 2, true, String(serial.maxConcurrent));
    assert.ok(overlapped.maxConcurrent >= 2 && overlapped.maxConcurrent <= 3, String(overlapped.maxConcurrent));
    assert.equal(lane.taken(), 1);
    assert.equal(lane.released(), 1);
  });

  it('with a second lane, closes the session it prepared when the server stops the enumeration', async () => {
    // Given a server without STARTTLS: the enumeration's first session fails before its handshake
    const lane = countingLane();
    const run = await onServer({ key: rsa.keyPem, cert: rsa.chainPem }, { starttls: false }, lane.take);
    // Then it stops, and the lane is given back (the after() hook checks that no socket or timer is left)
    assert.equal(run.result.error?.code, 'starttls-not-offered');
    assert.equal(lane.released(), lane.taken());
  });

  it('reports a server that selects a suite and then aborts every handshake as broken', async () => {
    // Given a server that answers each ClientHello with a ServerHello, then hangs up
    const run = await onServer({ key: rsa.keyPem, cert: rsa.chainPem }, { broken: true });
    const { result } = run;
    // Then nothing is accepted, what it selected is kept, and the tries are bounded
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false });
    assert.deepEqual(result.ciphers, {});
    assert.ok(result.broken !== undefined, 'broken');
    assert.ok(result.broken.selected.length >= 2, result.broken.selected.join());
    assert.ok(result.broken.selected.some((s) => s.startsWith('TLS_AES_') || s.startsWith('TLS_CHACHA')), 'a TLS 1.3 selection');
    assert.ok(run.sessions <= 10, String(run.sessions));
  });

  it('stops at once on a server without STARTTLS', async () => {
    const run = await onServer({ key: rsa.keyPem, cert: rsa.chainPem }, { starttls: false });
    const { result } = run;
    assert.deepEqual(result.protocols, { SSLv3: null, TLSv1: null, 'TLSv1.1': null, 'TLSv1.2': null, 'TLSv1.3': null });
    assert.equal(result.error?.code, 'starttls-not-offered');
    assert.equal(result.error?.phase, 'ehlo');
    assert.equal(result.handshakes, 1);
    assert.equal(run.sessions, 2);
  });

  it('stops at once when the address refuses connections, within the deadlines', async () => {
    const result = await enumerate(target(1), { ...options(), known: null });
    assert.equal(result.error?.code, 'connect-refused');
    assert.equal(result.handshakes, 1);
  });

  it('speaks implicit TLS when the target does', async () => {
    const result = await withLab({ hostname: MX_ASCII, starttls: false, implicitTls: true, tls: { key: pki.leaf.keyPem, cert: pki.leaf.chainPem, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } }, (server) =>
      enumerate(target(server.port, { implicitTls: true }), { ...options(), known: null }),
    );
    assert.deepEqual(suitesOf(result, 'TLSv1.2'), ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256']);
    assert.equal(result.protocols['TLSv1.3'], false);
  });
});
