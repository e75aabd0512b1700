/** Properties of the DNS decode path (RFC 9267): arbitrary bytes never escape as an exception; valid answers round-trip. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { decodeDnsMessage } from '../../src/dns/client.js';
import { MAX_SIZE_RUNS, RUNS, SEED } from './runs.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const name = fc.array(label, { minLength: 1, maxLength: 5 }).map((labels) => labels.join('.'));
const ipv4 = fc.ipV4();
const record = fc.oneof(
  fc.record({ type: fc.constant('A' as const), data: ipv4 }),
  fc.record({ type: fc.constant('MX' as const), data: fc.record({ preference: fc.integer({ min: 0, max: 65535 }), exchange: name }) }),
  fc.record({ type: fc.constant('CNAME' as const), data: name }),
  fc.record({ type: fc.constant('TXT' as const), data: fc.array(fc.stringMatching(/^[ -~]{0,40}$/), { minLength: 1, maxLength: 3 }) }),
);

/** A header-shaped prefix makes random tails reach the deep decode paths more often than pure noise would. */
const headerish = fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 65536 })).map(([h, tail]) => {
  const out = Buffer.concat([Buffer.from(h), Buffer.from(tail)]);
  out[2] = (out[2] ?? 0) | 0x80;
  return out;
});

function check(bytes: Uint8Array): void {
  const result = decodeDnsMessage(Buffer.from(bytes));
  if (result.ok) assert.ok(Array.isArray(result.packet.questions ?? []));
  else assert.equal(typeof result.reason, 'string');
}

describe('decodeDnsMessage properties', () => {
  it(`Given arbitrary bytes (${RUNS} cases) Then it returns a packet or a reason, never throws`, () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 65536 }), headerish), (bytes) => check(bytes)), { numRuns: RUNS, seed: SEED });
  });

  it(`Given arbitrary bytes at size max (${MAX_SIZE_RUNS} cases, up to 64 KB) Then the same holds`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 65536, size: 'max' }), (bytes) => check(bytes)), { numRuns: MAX_SIZE_RUNS, seed: SEED });
  });

  it(`Given a valid answer with one byte changed (${RUNS} cases) Then it still returns a packet or a reason`, () => {
    fc.assert(
      fc.property(name, fc.array(record, { minLength: 1, maxLength: 6 }), fc.nat(), fc.integer({ min: 0, max: 255 }), (qname, records, at, value) => {
        const packet = Buffer.from(
          dnsPacket.encode({
            type: 'response',
            id: 1,
            questions: [{ name: qname, type: 'MX', class: 'IN' }],
            answers: records.map((r) => ({ name: qname, ttl: 60, class: 'IN', ...r }) as dnsPacket.Answer),
          }),
        );
        packet[at % packet.length] = value;
        check(packet);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`Given valid answers (${RUNS} cases) Then they decode to what was encoded`, () => {
    fc.assert(
      fc.property(name, fc.integer({ min: 0, max: 65535 }), fc.array(record, { maxLength: 8 }), (qname, id, records) => {
        const answers = records.map((r) => ({ name: qname, ttl: 300, class: 'IN', ...r }) as dnsPacket.Answer);
        const bytes = Buffer.from(dnsPacket.encode({ type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name: qname, type: 'MX', class: 'IN' }], answers }));
        const result = decodeDnsMessage(bytes);
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.equal(result.packet.id, id);
        // JSON: fast-check's records have no prototype, decoded ones do; the content is what must match.
        const plain = (list: readonly dnsPacket.Answer[]) => JSON.parse(JSON.stringify(list.map((a) => ({ name: a.name, type: a.type, data: (a as { data: unknown }).data }))));
        assert.deepEqual(plain(result.packet.answers ?? []), plain(answers));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
