/**
 * Hostile answers (RFC 9267): well-formed answers with random bytes flipped,
 * cut short or extended must never make query() throw or reject; the outcome is
 * always an ok result, dns-malformed, or (when the damage made the answer look
 * like someone else's) dns-timeout.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsClient } from '../../src/dns/types.js';
import { TEST_TIMEOUT_MS, startLab } from './helpers.js';

const CASES = 300;
const SEED = 0x6d787265; // "mxre"

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A rich, valid answer for case i: MX, CNAME, A, AAAA, TXT, compressed names. */
function validAnswer(id: number, name: string): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER,
    questions: [{ name, type: 'MX', class: 'IN' }],
    answers: [
      { name, type: 'MX', ttl: 60, data: { preference: 10, exchange: `mx.${name}` } },
      { name, type: 'MX', ttl: 60, data: { preference: 20, exchange: 'backup.example.net' } },
      { name: `mx.${name}`, type: 'CNAME', ttl: 60, data: `host.${name}` },
    ],
    authorities: [{ name, type: 'TXT', ttl: 60, data: ['v=spf1 -all'] }],
    additionals: [
      { name: `host.${name}`, type: 'A', ttl: 60, data: '192.0.2.1' },
      { name: `host.${name}`, type: 'AAAA', ttl: 60, data: '2001:db8::1' },
    ],
  });
}

/** Damage bytes after the id (so the answer still reaches the decoder). */
function mutate(packet: Buffer, random: () => number): Buffer {
  const out = Buffer.from(packet);
  const kind = Math.floor(random() * 3);
  if (kind === 0) {
    const flips = 1 + Math.floor(random() * 4);
    for (let i = 0; i < flips; i++) {
      const at = 2 + Math.floor(random() * (out.length - 2));
      out[at] = Math.floor(random() * 256);
    }
    return out;
  }
  if (kind === 1) return out.subarray(0, 2 + Math.floor(random() * (out.length - 2)));
  return Buffer.concat([out, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 8) }, () => Math.floor(random() * 256)))]);
}

it(`survives ${CASES} damaged answers without an exception`, { timeout: TEST_TIMEOUT_MS * 2 }, async (t) => {
  // Given a lab server that answers query i with a damaged copy of a valid answer
  const random = prng(SEED);
  const damage = new Map<string, (id: number) => Buffer>();
  const server = await startLab(t, [], {
    behaviour: (q) => {
      const build = damage.get(q.name);
      return build ? { raw: build(q.id) } : 'drop';
    },
  });
  const clients: DnsClient[] = [];
  t.after(() => clients.forEach((c) => c.close()));

  // When a client asks each question once (all at once, short timeout)
  const outcomes = await Promise.all(
    Array.from({ length: CASES }, async (_, i) => {
      const name = `case${i}.fuzz.example`;
      const seedForCase = random();
      damage.set(name, (id) => mutate(validAnswer(id, name), prng(Math.floor(seedForCase * 2 ** 32))));
      const client = createDnsClient({ servers: [{ host: server.host, port: server.port }], timeoutMs: 1_500, attempts: 1 });
      clients.push(client);
      return client.query(name, 'MX');
    }),
  );

  // Then every outcome is data from the closed list
  const tally = new Map<string, number>();
  for (const result of outcomes) {
    const key = result.ok ? 'ok' : result.error.code;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    assert.ok(['ok', 'dns-malformed', 'dns-timeout', 'servfail', 'refused', 'nxdomain', 'dns-error'].includes(key), key);
  }
  // and the damage was mostly caught as such (not merely timed out)
  assert.ok((tally.get('dns-malformed') ?? 0) > CASES / 5, `malformed answers seen: ${JSON.stringify([...tally])}`);
});
