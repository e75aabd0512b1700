/**
 * The DNS client against the lab server on loopback: answers, rcodes,
 * retries, TCP fallback, spoof resistance, malformed answers and the cache.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsResult } from '../../src/dns/types.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { startSilentResolver } from '../helpers/silent-resolver.js';
import {
  TEST_TIMEOUT_MS,
  header,
  lab,
  labClient,
  response,
  rrHeader,
  startLab,
  timed,
  typeClass,
  wireName,
} from './helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };

const ZONE: readonly LabZoneRecord[] = [
  { name: 'Example.ORG.', type: 'MX', data: { preference: 10, exchange: 'MX1.Example.org.' } },
  { name: 'mx1.example.org', type: 'A', data: '192.0.2.25' },
  { name: 'mx1.example.org', type: 'AAAA', data: '2001:db8::25' },
  { name: 'sub.empty.example.org', type: 'A', data: '192.0.2.9' },
];

function errorCode(result: DnsResult): string | undefined {
  return result.ok ? undefined : result.error.code;
}

describe('DNS client', () => {
  it('decodes an MX answer with names in lower case and without the trailing dot', opts, async (t) => {
    // Given a lab zone whose names use mixed case and trailing dots
    const { server, client } = await lab(t, ZONE);
    // When the client asks for the MX of example.org
    const result = await client.query('EXAMPLE.org.', 'MX');
    // Then the answer is ok, over UDP, from the lab server, with normalised names
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.rcode, 'NOERROR');
    assert.equal(result.overTcp, false);
    assert.equal(result.authenticated, false);
    assert.deepEqual(result.server, { host: server.host, port: server.port });
    assert.deepEqual(
      result.answers.map((r) => ({ name: r.name, type: r.type, data: r.data })),
      [{ name: 'example.org', type: 'MX', data: { preference: 10, exchange: 'mx1.example.org' } }],
    );
  });

  it('returns IPv6 AAAA records', opts, async (t) => {
    const { client } = await lab(t, ZONE);
    const result = await client.query('mx1.example.org', 'AAAA');
    assert.equal(result.ok, true);
    assert.deepEqual(result.ok ? result.answers.map((r) => r.data) : [], ['2001:db8::25']);
  });

  it('talks to a lab server listening on ::1', opts, async (t) => {
    // Given a lab server on the IPv6 loopback (skipped where the host has no ::1)
    let server;
    try {
      server = await startLab(t, ZONE, { host: '::1' });
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    const client = labClient(t, [server]);
    // When the client asks it for AAAA over udp6
    const result = await client.query('mx1.example.org', 'AAAA');
    // Then the answer comes back from [::1]
    assert.equal(result.ok, true);
    assert.equal(result.ok ? result.server.host : '', '::1');
    assert.deepEqual(result.ok ? result.answers.map((r) => r.data) : [], ['2001:db8::25']);
  });

  describe('keeps "no records" apart from "lookup failed"', () => {
    const cases = [
      { when: 'the name does not exist', name: 'nope.example.org', behaviour: undefined, code: 'nxdomain', queries: 1 },
      { when: 'the name exists only as a parent (NODATA)', name: 'empty.example.org', behaviour: undefined, code: undefined, queries: 1 },
      { when: 'the name has other types only (NODATA)', name: 'example.org', type: 'A', behaviour: undefined, code: undefined, queries: 1 },
      // A SERVFAIL is asked again with CD=1 (the bogus check): as many queries again, and not bogus when those fail too.
      { when: 'the server fails (SERVFAIL)', name: 'example.org', behaviour: 'servfail', code: 'servfail', queries: 4 },
      { when: 'the server refuses (REFUSED)', name: 'example.org', behaviour: 'refused', code: 'refused', queries: 2 },
    ] as const;
    for (const c of cases) {
      it(`when ${c.when}: ${c.code ?? 'ok, no answers'} after ${c.queries} quer${c.queries === 1 ? 'y' : 'ies'}`, opts, async (t) => {
        const { server, client } = await lab(t, ZONE, {
          behaviour: () => c.behaviour,
          client: { attempts: 2 },
        });
        const result = await client.query(c.name, 'type' in c ? c.type : 'MX');
        assert.equal(errorCode(result), c.code);
        if (result.ok) assert.deepEqual(result.answers, []);
        assert.equal(server.queries, c.queries, 'NXDOMAIN and NODATA are never retried');
        assert.equal(!result.ok && result.bogus === true, false);
      });
    }
  });

  it('moves to the next server after SERVFAIL and takes its answer', opts, async (t) => {
    // Given a first server that fails and a second that answers
    const failing = await startLab(t, ZONE, { behaviour: () => 'servfail' });
    const healthy = await startLab(t, ZONE);
    const client = labClient(t, [failing, healthy], { attempts: 3 });
    // When the client asks
    const result = await client.query('example.org', 'MX');
    // Then the second server's answer is returned, after one query to each
    assert.equal(result.ok, true);
    assert.equal(result.ok ? result.server.port : 0, healthy.port);
    assert.equal(failing.queries, 1);
    assert.equal(healthy.queries, 1);
  });

  it('gives up with dns-timeout within the attempt budget when the server drops everything', opts, async (t) => {
    // Given a server that never answers, and 2 attempts of 60 ms
    const { server, client } = await lab(t, ZONE, { behaviour: () => 'drop', client: { attempts: 2, timeoutMs: 60 } });
    // When the client asks
    const { value, ms } = await timed(() => client.query('example.org', 'MX'));
    // Then it is a timeout, after both attempts, in about 120 ms
    assert.equal(errorCode(value), 'dns-timeout');
    assert.equal(server.queries, 2);
    assert.ok(ms >= 100 && ms < 1_000, `took ${ms} ms`);
  });

  it('redoes a truncated UDP answer over TCP', opts, async (t) => {
    const { server, client } = await lab(t, ZONE, {
      behaviour: (q) => (q.transport === 'udp' ? 'truncate' : undefined),
    });
    const result = await client.query('mx1.example.org', 'A');
    assert.equal(result.ok, true);
    assert.equal(result.ok ? result.overTcp : false, true);
    assert.deepEqual(result.ok ? result.answers.map((r) => r.data) : [], ['192.0.2.25']);
    assert.equal(server.queries, 2, 'one UDP and one TCP query');
  });

  it('gets an answer too large for 512-byte UDP over TCP, whole', opts, async (t) => {
    // Given a name with 60 A records (about 1 kB of answer)
    const many = Array.from({ length: 60 }, (_, i) => ({ name: 'big.example.org', type: 'A' as const, data: `198.51.100.${i + 1}` }));
    const { client } = await lab(t, many);
    // When the client asks for them
    const result = await client.query('big.example.org', 'A');
    // Then the lab truncated the UDP answer and the client fetched all of them over TCP
    assert.equal(result.ok, true);
    assert.equal(result.ok ? result.overTcp : false, true);
    assert.equal(result.ok ? result.answers.length : 0, 60);
  });

  it('ignores a datagram with the wrong id and accepts the real answer', opts, async (t) => {
    const { server, client } = await lab(t, ZONE, { behaviour: () => ({ wrongIdFirst: true }) });
    const result = await client.query('mx1.example.org', 'A');
    assert.equal(result.ok, true);
    assert.equal(server.queries, 1, 'no retry was needed');
  });

  it('ignores a forged answer from another port, even with the right id and question', opts, async (t) => {
    // Given an attacker socket on loopback that races the real answer with a forged one
    const attacker = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', resolve));
    t.after(() => attacker.close());
    const { client } = await lab(t, ZONE, {
      behaviour: (q) => {
        const forged = response(q.id, q.name, 'A', [{ name: q.name, type: 'A', ttl: 60, data: '203.0.113.66' }]);
        attacker.send(forged, q.remote.port, '127.0.0.1');
        return { delayMs: 50 };
      },
    });
    // When the client asks
    const result = await client.query('mx1.example.org', 'A');
    // Then only the real server's answer counts
    assert.deepEqual(result.ok ? result.answers.map((r) => r.data) : [], ['192.0.2.25']);
  });

  it('accepts a late answer to attempt 1 while attempt 2 is waiting', opts, async (t) => {
    // Given a server that answers the first query after 350 ms and drops the second,
    // and a client with 2 attempts of 250 ms (attempt 2 runs from 250 to 500 ms)
    let seen = 0;
    const { server, client } = await lab(t, ZONE, {
      behaviour: () => (++seen === 1 ? { delayMs: 350 } : 'drop'),
      client: { attempts: 2, timeoutMs: 250 },
    });
    // When the client asks
    const { value, ms } = await timed(() => client.query('mx1.example.org', 'A'));
    // Then the late answer to attempt 1 wins, during attempt 2 (which got no answer)
    assert.equal(value.ok, true, JSON.stringify(value));
    assert.equal(server.queries, 2);
    assert.ok(ms >= 340, `answered after attempt 1 timed out (took ${ms} ms)`);
  });

  it('ignores answers that do not echo the question or are not responses', opts, async (t) => {
    const cases = [
      (id: number) => response(id, 'other.example.org', 'A', [{ name: 'other.example.org', type: 'A', data: '203.0.113.1' }]),
      (id: number) => response(id, 'mx1.example.org', 'AAAA'),
      (id: number) => {
        const packet = response(id, 'mx1.example.org', 'A', [{ name: 'mx1.example.org', type: 'A', data: '203.0.113.1' }]);
        packet[2] = packet[2]! & 0x7f; // clear QR
        return packet;
      },
    ];
    for (const build of cases) {
      const { client } = await lab(t, ZONE, { behaviour: (q) => ({ raw: build(q.id) }), client: { attempts: 1, timeoutMs: 80 } });
      const result = await client.query('mx1.example.org', 'A');
      assert.equal(errorCode(result), 'dns-timeout');
    }
  });

  describe('turns a malformed answer into dns-malformed without throwing', () => {
    const question = (): Buffer => Buffer.concat([wireName('bad.example.org'), typeClass(1)]);
    const cases: ReadonlyArray<{ readonly what: string; readonly build: (id: number) => Buffer }> = [
      { what: 'a 5-byte datagram', build: (id) => header(id).subarray(0, 5) },
      { what: 'a question cut short', build: (id) => Buffer.concat([header(id), Buffer.from([3, 0x62, 0x61])]) },
      { what: 'a compression pointer to itself', build: (id) => Buffer.concat([header(id), Buffer.from([0xc0, 12]), typeClass(1)]) },
      { what: 'a forward compression pointer', build: (id) => Buffer.concat([header(id), Buffer.from([0xc0, 30]), typeClass(1), Buffer.alloc(20)]) },
      { what: 'an unknown label type', build: (id) => Buffer.concat([header(id), Buffer.from([0x40, 0x61, 0]), typeClass(1)]) },
      { what: 'more answers counted than sent', build: (id) => Buffer.concat([header(id, { an: 3 }), question(), rrHeader(1, 4), Buffer.from([192, 0, 2, 1])]) },
      { what: 'an A record with 5 bytes of RDATA', build: (id) => Buffer.concat([header(id, { an: 1 }), question(), rrHeader(1, 5), Buffer.from([192, 0, 2, 1, 7])]) },
      { what: 'RDATA past the end', build: (id) => Buffer.concat([header(id, { an: 1 }), question(), rrHeader(1, 40), Buffer.from([192, 0, 2, 1])]) },
      { what: 'an MX exchange longer than its RDATA', build: (id) => Buffer.concat([header(id, { an: 1 }), question(), rrHeader(15, 4), Buffer.from([0, 10]), wireName('mx.example.org')]) },
      { what: 'trailing bytes after the counted records', build: (id) => Buffer.concat([header(id), question(), Buffer.from([1, 2, 3])]) },
    ];
    for (const c of cases) {
      it(`given ${c.what}`, opts, async (t) => {
        const { client } = await lab(t, [], { behaviour: (q) => ({ raw: c.build(q.id) }), client: { attempts: 1, timeoutMs: 500 } });
        const { value, ms } = await timed(() => client.query('bad.example.org', 'A'));
        assert.equal(errorCode(value), 'dns-malformed');
        assert.ok(ms < 400, `a malformed answer ends the attempt at once (took ${ms} ms)`);
      });
    }

    it('keeps going after a malformed answer and takes a good one from the next attempt', opts, async (t) => {
      let seen = 0;
      const { client } = await lab(t, ZONE, {
        behaviour: (q) => (++seen === 1 ? { raw: Buffer.concat([header(q.id), Buffer.from([0xc0, 12])]) } : undefined),
        client: { attempts: 2 },
      });
      const result = await client.query('mx1.example.org', 'A');
      assert.equal(result.ok, true);
    });
  });

  it('shares one lookup between identical queries (cache keyed by lower-case name and type)', opts, async (t) => {
    // Given a lab server counting queries
    const { server, client } = await lab(t, ZONE);
    // When the same question is asked concurrently, then again in another spelling, then for another type
    const [a, b] = await Promise.all([client.query('mx1.example.org', 'A'), client.query('mx1.example.org', 'A')]);
    const c = await client.query('MX1.Example.ORG.', 'A');
    assert.equal(server.queries, 1);
    await client.query('mx1.example.org', 'AAAA');
    // Then only the new type reached the server
    assert.equal(server.queries, 2);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
  });

  it('answers an impossible name with invalid-name without touching the network', opts, async (t) => {
    const { server, client } = await lab(t, ZONE);
    const impossible = ['', 'a..b', `${'x'.repeat(64)}.example`, 'bücher.example', 'mx\\x1B[31m.example', 'a b.example', 'a/b.example'];
    for (const name of impossible) {
      assert.equal(errorCode(await client.query(name, 'A')), 'invalid-name', name);
    }
    assert.equal(server.queries, 0);
  });

  it('refuses a DNS server given by name (it would need the system resolver)', opts, async (t) => {
    const client = createDnsClient({ servers: [{ host: 'localhost', port: 53 }], timeoutMs: 50 });
    t.after(() => client.close());
    const result = await client.query('example.org', 'MX');
    assert.equal(errorCode(result), 'dns-error');
    assert.match(result.ok ? '' : result.error.message, /not an IP address/);
  });

  it('resolves a lookup in flight with dns-error when closed, and never rejects afterwards', opts, async (t) => {
    const { client } = await lab(t, ZONE, { behaviour: () => 'drop', client: { timeoutMs: 2_000 } });
    const pending = client.query('mx1.example.org', 'A');
    client.close();
    assert.equal(errorCode(await pending), 'dns-error');
    assert.equal(errorCode(await client.query('example.org', 'MX')), 'dns-error');
  });

  it('reports dns-error for other rcodes (NOTIMP), and a closed port as refused (or, where ICMP is dropped, a timeout)', opts, async (t) => {
    const notimp = (id: number): Buffer => {
      const packet = response(id, 'example.org', 'MX');
      packet[3] = (packet[3]! & 0xf0) | 4;
      return packet;
    };
    const { client } = await lab(t, ZONE, { behaviour: (q) => ({ raw: notimp(q.id) }), client: { attempts: 1 } });
    assert.equal(errorCode(await client.query('example.org', 'MX')), 'dns-error');

    // a closed port on loopback: ICMP port unreachable or silence, never an exception
    const closed = await startLab(t, ZONE);
    const address = { host: closed.host, port: closed.port };
    await closed.close();
    const orphan = createDnsClient({ servers: [address], timeoutMs: 80, attempts: 2 });
    t.after(() => orphan.close());
    assert.ok(['dns-connection-refused', 'dns-timeout'].includes(errorCode(await orphan.query('example.org', 'MX')) ?? ''));
  });

  it('drops EDNS OPT and foreign-class records from the answer', opts, async (t) => {
    const withExtras = (id: number): Buffer =>
      dnsPacket.encode({
        type: 'response',
        id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.AUTHENTIC_DATA,
        questions: [{ name: 'mx1.example.org', type: 'A', class: 'IN' }],
        answers: [
          { name: 'mx1.example.org', type: 'A', ttl: 60, data: '192.0.2.25' },
          { name: 'mx1.example.org', type: 'A', class: 'CH', ttl: 60, data: '192.0.2.99' },
        ],
        additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
      });
    const { client } = await lab(t, ZONE, { behaviour: (q) => ({ raw: withExtras(q.id) }) });
    const result = await client.query('mx1.example.org', 'A');
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.deepEqual(result.answers.map((r) => r.data), ['192.0.2.25']);
    assert.equal(result.authenticated, true);
  });
});

describe('resolvers that cannot be reached', () => {
  it('Given a resolver port with nothing listening When asked Then the lookup ends at once as dns-connection-refused, not a timeout', async () => {
    // A port that was just free: bound, read, closed.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = createDnsClient({ servers: [{ host: '127.0.0.1', port }], timeoutMs: 5_000 });
    try {
      const started = performance.now();
      const result = await client.query('example.com', 'MX');
      assert.equal(result.ok, false);
      assert.equal(result.ok ? '' : result.error.code, 'dns-connection-refused');
      assert.match(result.ok ? '' : result.error.message, /connection refused/);
      assert.ok(performance.now() - started < 2_000, 'given up at once, long before the 5 s deadline');
    } finally {
      client.close();
    }
  });

  it('Given one resolver that refuses and one that stays silent When asked Then a dns-timeout that also names the refusal', async (t) => {
    for (const order of ['refusing first', 'silent first'] as const) {
      const silent = await startSilentResolver();
      t.after(() => silent.close());
      const quiet = { host: '127.0.0.1', port: silent.port };
      const servers = order === 'refusing first' ? [{ host: '127.0.0.1', port: 9 }, quiet] : [quiet, { host: '127.0.0.1', port: 9 }];
      const client = createDnsClient({ servers, timeoutMs: 50, attempts: 3 });
      t.after(() => client.close());
      const result = await client.query('example.com', 'MX');
      assert.equal(errorCode(result), 'dns-timeout');
      const message = result.ok ? '' : result.error.message;
      assert.match(message, new RegExp(`no answer over UDP from 127\\.0\\.0\\.1:${quiet.port} within 50 ms`));
      assert.match(message, /UDP to 127\.0\.0\.1:9: connection refused/);
      assert.equal(silent.received(), 2, `${order}: the refusing resolver given up, the other two attempts went to the silent one`);
    }
  });

  it('Given two resolvers that both refuse Then dns-connection-refused naming both', async (t) => {
    const client = createDnsClient({ servers: [{ host: '127.0.0.1', port: 9 }, { host: '127.0.0.2', port: 9 }], timeoutMs: 5_000, attempts: 3 });
    t.after(() => client.close());
    const result = await client.query('example.com', 'MX');
    assert.equal(errorCode(result), 'dns-connection-refused');
    assert.equal(
      result.ok ? '' : result.error.message,
      'UDP to 127.0.0.1:9: connection refused (nothing answers DNS there); UDP to 127.0.0.2:9: connection refused (nothing answers DNS there)',
    );
  });
});
