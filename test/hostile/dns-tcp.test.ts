/**
 * Hardening round two, class 3: a retry keeps listening for the earlier
 * attempt's answer over TCP as it does over UDP. After a truncated UDP answer,
 * an answer over TCP that arrives after --dns-timeout still resolves the lookup
 * while a later attempt runs; earlier attempts stay open until the last
 * attempt's deadline or the first valid answer, and connections stay bounded
 * by the attempts of one lookup.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDnsClient } from '../../src/dns/client.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { startHostileDns, type DnsScript, type HostileDns } from './dns.js';

const TIMEOUT_MS = 200;
const ATTEMPTS = 3;
const LATE_MS = Math.round(TIMEOUT_MS * 1.6); // after the first attempt's deadline, before the last one's

const records: LabZoneRecord[] = ['tcp-late', 'tcp-late-second', 'udp-late', 'tc-late', 'silent'].map((label) => ({
  name: `${label}.dnstcp.test`,
  type: 'MX' as const,
  data: { preference: 10, exchange: `mx.${label}.dnstcp.test` },
}));

/** Answers only the first query of each transport this script sees (the others are dropped), `delayMs` late. */
function firstOnly(udp: 'answer' | 'truncated' | 'drop', tcp: 'answer' | 'drop', delay: { udp?: number; tcp?: number } = {}): DnsScript {
  const seen = { udp: 0, tcp: 0 };
  return (q, kit) => {
    seen[q.transport] += 1;
    if (seen[q.transport] > 1) return [];
    if (q.transport === 'udp') {
      if (udp === 'drop') return [];
      return [{ bytes: udp === 'truncated' ? kit.truncated(q) : kit.zone(q), ...(delay.udp ? { delayMs: delay.udp } : {}) }];
    }
    return tcp === 'drop' ? [] : [{ bytes: kit.zone(q), ...(delay.tcp ? { delayMs: delay.tcp } : {}) }];
  };
}

let dns: HostileDns;
before(async () => {
  const scripts = new Map<string, DnsScript>([
    // UDP truncated at once; the first TCP answer comes after the first attempt's deadline; nothing else ever answers.
    ['tcp-late.dnstcp.test', firstOnly('truncated', 'answer', { tcp: LATE_MS })],
    // The same, where every UDP query is truncated: each attempt opens its TCP connection, the first one answers late.
    ['tcp-late-second.dnstcp.test', (() => {
      let tcp = 0;
      return ((q, kit) => {
        if (q.transport === 'udp') return [{ bytes: kit.truncated(q) }];
        tcp += 1;
        return tcp === 1 ? [{ bytes: kit.zone(q), delayMs: LATE_MS }] : [];
      }) satisfies DnsScript;
    })()],
    // The UDP control: the first attempt's datagram comes late.
    ['udp-late.dnstcp.test', firstOnly('answer', 'drop', { udp: LATE_MS })],
    // A late truncated datagram to the first attempt: its TCP question is still asked, and answered.
    ['tc-late.dnstcp.test', firstOnly('truncated', 'answer', { udp: LATE_MS })],
    // Truncated every time over UDP, silent over TCP: bounded connections, then dns-timeout.
    ['silent.dnstcp.test', (q, kit) => (q.transport === 'udp' ? [{ bytes: kit.truncated(q) }] : [])],
  ]);
  dns = await startHostileDns({ records, scripts });
});
after(async () => {
  await dns?.close();
});

function client() {
  return createDnsClient({ servers: [{ host: dns.host, port: dns.port }], timeoutMs: TIMEOUT_MS, attempts: ATTEMPTS });
}

describe('DNS over TCP keeps listening across retries', () => {
  for (const label of ['tcp-late', 'tcp-late-second', 'udp-late', 'tc-late']) {
    it(`Given ${label}: the only answer comes ${LATE_MS} ms late (--dns-timeout ${TIMEOUT_MS}) Then the lookup takes it`, async () => {
      const c = client();
      try {
        const started = performance.now();
        const result = await c.query(`${label}.dnstcp.test`, 'MX');
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(result.answers.length, 1);
        assert.ok(performance.now() - started < ATTEMPTS * TIMEOUT_MS + 500, 'within the last attempt\'s deadline');
        if (label !== 'udp-late') assert.equal(result.overTcp, true);
      } finally {
        c.close();
      }
    });
  }

  it('Given a server that truncates over UDP and never answers over TCP Then at most one TCP connection per attempt, and dns-timeout', async () => {
    const before = dns.queries.filter((q) => q.name === 'silent.dnstcp.test' && q.transport === 'tcp').length;
    const c = client();
    try {
      const result = await c.query('silent.dnstcp.test', 'MX');
      assert.equal(result.ok, false);
      assert.equal(result.ok ? '' : result.error.code, 'dns-timeout');
      const tcp = dns.queries.filter((q) => q.name === 'silent.dnstcp.test' && q.transport === 'tcp').length - before;
      assert.ok(tcp >= 1 && tcp <= ATTEMPTS, `${tcp} TCP questions for ${ATTEMPTS} attempts`);
    } finally {
      c.close();
    }
  });
});
