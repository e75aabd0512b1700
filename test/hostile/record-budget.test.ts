/**
 * Hardening round two, class 2, across layouts: a target's probe records share
 * one budget. A hostile server past every cap (long subject and issuer, 2,000
 * alternative names, 200-line replies of bytes that escape to four times their
 * size) reached by N domains whose MX host has an A and an AAAA record (two
 * records per target, the same server), or whose three MX names share one
 * address (three copies of one record): the report still grows by at most 32 KiB
 * per added target, each record within its share (limits.ts targetRecordBudget),
 * with `truncated` saying what was cut. The CLI runs in this process (./run.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { targetRecordBudget } from '../../src/model/limits.js';
import type { Report } from '../../src/model/report.js';
import { rawOutputViolations } from './inert.js';
import { runCliInProcess } from './run.js';
import { startHostileDns, type HostileDns } from './dns.js';
import { startHostileSmtp, type HostileSmtpLab, type ServerSpec } from './servers.js';
import { pastEveryCap } from './past-every-cap.js';

const ZONE = 'layouts.test';
const V4 = '127.77.57.1';
const V6 = '::1';
const PER_TARGET_BYTES = 32 * 1024;

interface Layout {
  readonly name: string;
  readonly records: (i: number) => LabZoneRecord[];
  /** Probe records per target. */
  readonly perTarget: number;
}

const dual = (i: number) => `dual${i}.${ZONE}`;
const multi = (i: number) => `multi${i}.${ZONE}`;
const LAYOUTS: readonly Layout[] = [
  { name: 'an MX host with an A and an AAAA record (one server, two records)', perTarget: 2, records: (i) => [{ name: dual(i), type: 'MX', data: { preference: 10, exchange: `mx.dual.${ZONE}` } }] },
  {
    name: 'three MX names on one address (three copies of one record)',
    perTarget: 3,
    records: (i) => [1, 2, 3].map((n) => ({ name: multi(i), type: 'MX' as const, data: { preference: 10 * n, exchange: `mx${n}.multi.${ZONE}` } })),
  },
];
const targetsOf = (layout: Layout, n: number) => Array.from({ length: n }, (_, i) => (layout.perTarget === 2 ? dual(i) : multi(i)));

let dns: HostileDns;
let smtp: HostileSmtpLab;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-layouts-'));
  const hostile = await pastEveryCap(`mx.${ZONE}`, ZONE);
  const server = (ip: string): ServerSpec => ({ ip, script: hostile.script });
  smtp = await startHostileSmtp([server(V4), server(V6)]);
  const records: LabZoneRecord[] = [
    { name: `mx.dual.${ZONE}`, type: 'A', data: V4 },
    { name: `mx.dual.${ZONE}`, type: 'AAAA', data: V6 },
    ...[1, 2, 3].map((n) => ({ name: `mx${n}.multi.${ZONE}`, type: 'A' as const, data: V4 })),
  ];
  for (const layout of LAYOUTS) for (let i = 0; i < 25; i += 1) records.push(...layout.records(i));
  dns = await startHostileDns({ records });
  writeFileSync(join(dir, 'ca.pem'), hostile.caPem);
}, { timeout: 120_000 });

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** The outputs of one scan of n targets: JSON (the --json file's bytes), NDJSON and the table. */
async function scan(layout: Layout, n: number): Promise<{ json: Buffer; ndjson: Buffer; table: Buffer; report: Report }> {
  const args = [...targetsOf(layout, n), '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--no-progress'];
  const json = await runCliInProcess([...args, '--format', 'json']);
  const ndjson = await runCliInProcess([...args, '--format', 'ndjson']);
  const table = await runCliInProcess([...args, '--format', 'table']);
  for (const run of [json, ndjson, table]) {
    assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}: ${run.stderr.toString('utf8').slice(0, 500)}`);
    assert.deepEqual(rawOutputViolations(run.stdout), []);
  }
  return { json: json.stdout, ndjson: ndjson.stdout, table: table.stdout, report: JSON.parse(json.stdout.toString('utf8')) as Report };
}

describe('a target\'s probe records share one budget', () => {
  for (const layout of LAYOUTS) {
    it(`Given ${layout.name} Then the report grows by at most 32 KiB per added target in json, ndjson and table, each record within its share`, { timeout: 120_000 }, async () => {
      const small = await scan(layout, 5);
      const large = await scan(layout, 25);
      for (const format of ['json', 'ndjson', 'table'] as const) {
        const growth = (large[format].length - small[format].length) / 20;
        assert.ok(growth <= PER_TARGET_BYTES, `${format}: ${growth.toFixed(0)} bytes per added target`);
      }
      const budget = targetRecordBudget(layout.perTarget);
      for (const target of large.report.targets) {
        const probes = target.mx.flatMap((m) => m.addresses.map((a) => a.probe));
        assert.equal(probes.length, layout.perTarget, target.domain);
        for (const probe of probes) {
          assert.equal(probe.status, 'ok', JSON.stringify(probe.error));
          assert.ok(probe.truncated !== undefined && Object.keys(probe.truncated).length > 0, 'truncated says what was cut');
          // The record's server text within its share: banner, replies and certificate text together (a small slack for the fixed fields).
          const { timings: _t, truncated: _c, ...text } = probe;
          const size = JSON.stringify(text).length;
          assert.ok(size <= budget * 2 + 4096, `record of ${size} characters of JSON over a ${budget} budget`);
        }
      }
    });
  }
});
