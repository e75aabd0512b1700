/**
 * Hardening round two, class 2: server text that multiplies. N domains share one
 * hostile server that goes past every cap at once: a long subject and issuer,
 * 2,000 long alternative names, 200-line greeting and EHLO replies before and
 * inside TLS, full of bytes that escape to four times their size, and a long MX
 * name. For N = 10 and N = 1,000 the report is whole in every format, and it
 * grows by at most 32 KiB per added target. Facts computed from the full values
 * (the name match, here against an alternative name far past the 100 kept) hold.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { LIMITS } from '../../src/model/limits.js';
import type { Report } from '../../src/model/report.js';
import { FORMATS } from '../../src/report/index.js';
import { rawOutputViolations } from './inert.js';
import { runCliRaw } from './run.js';
import { startHostileDns, type HostileDns } from './dns.js';
import { startHostileSmtp, type HostileSmtpLab } from './servers.js';
import { pastEveryCap, REPLY_LINES as LINES } from './past-every-cap.js';

const ZONE = 'many.test';
const IP = '127.77.55.1';
/** A 250-character MX name: four 60-letter labels. */
const MX = `${'m'.repeat(60)}.${'x'.repeat(60)}.${'h'.repeat(60)}.${'o'.repeat(57)}.${ZONE}`;
const domainOf = (i: number) => `d${i}-${'y'.repeat(50)}.${ZONE}`;
const PER_TARGET_BYTES = 32 * 1024;

let dns: HostileDns;
let smtp: HostileSmtpLab;
let dir: string;
const sizes = new Map<string, number>();
const reports = new Map<number, Report>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-multiplied-'));
  const server = await pastEveryCap(MX, ZONE);
  smtp = await startHostileSmtp([{ ip: IP, script: server.script }]);
  const records: LabZoneRecord[] = [{ name: MX, type: 'A', data: IP }];
  for (let i = 0; i < 1000; i += 1) records.push({ name: domainOf(i), type: 'MX', data: { preference: 10, exchange: MX } });
  dns = await startHostileDns({ records });
  writeFileSync(join(dir, 'ca.pem'), server.caPem);
}, { timeout: 120_000 });

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** One scan of n domains: the table on stdout and the JSON in the --json file (the same bytes --format json prints). */
async function scan(n: number): Promise<void> {
  const targets = join(dir, `targets-${n}.txt`);
  writeFileSync(targets, Array.from({ length: n }, (_, i) => domainOf(i)).join('\n'));
  const json = join(dir, `report-${n}.json`);
  const run = await runCliRaw(
    ['-f', targets, '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private',
      '--concurrency', '64', '--format', 'table', '--json', json, '--no-progress'],
    120_000,
  );
  assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr.toString('utf8').slice(0, 2000)} ${run.stdout.toString('utf8').slice(-3000)}`);
  const file = readFileSync(json);
  for (const [format, bytes] of [['table', run.stdout], ['json', file]] as const) {
    assert.deepEqual(rawOutputViolations(bytes), [], format);
    sizes.set(`${n} ${format}`, bytes.length);
  }
  sizes.set(`${n} file`, statSync(json).size);
  // NDJSON streams the same targets, one line each.
  const lines = await runCliRaw(
    ['-f', targets, '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private',
      '--concurrency', '64', '--format', 'ndjson', '--no-progress'],
    120_000,
  );
  assert.equal(lines.code, 0, `exit ${lines.code}: ${lines.stderr.toString('utf8').slice(0, 2000)} ${lines.stdout.toString('utf8').slice(-1500)}`);
  assert.deepEqual(rawOutputViolations(lines.stdout), [], 'ndjson');
  assert.equal(lines.stdout.toString('utf8').trim().split('\n').length, n + 2, 'a header, a line per target, an end line');
  sizes.set(`${n} ndjson`, lines.stdout.length);
  reports.set(n, JSON.parse(file.toString('utf8')) as Report);
  // The formats rendered from the saved report: the CI and audit formats.
  for (const format of FORMATS.filter((f) => !sizes.has(`${n} ${f}`))) {
    const rendered = await runCliRaw(['report', json, '--format', format], 60_000);
    assert.equal(rendered.code, 0, `report --format ${format}: ${rendered.stderr.toString('utf8').slice(0, 500)}`);
    assert.deepEqual(rawOutputViolations(rendered.stdout), [], format);
    sizes.set(`${n} ${format}`, rendered.stdout.length);
  }
  const text = run.stdout.toString('utf8');
  assert.match(text, /Targets\s+\d+: \d+ pass/);
  // The summary's last rows: the protocols, then (for domains) their protection, wrapped under its label.
  assert.match(text, /\nProtocols +[^\n]*\n(Protection [^\n]*\n( {2,}[^\n]*\n)*)?$/, 'the table ends with its summary');
}

describe('one hostile server shared by many domains', () => {
  for (const n of [10, 1000]) {
    it(`Given ${n} domains sharing it When scanned Then the report is whole, as a table and as JSON`, { timeout: 120_000 }, async () => {
      await scan(n);
      const report = reports.get(n);
      assert.equal(report?.targets.length, n);
      assert.ok(report?.targets.every((t) => t.status === 'pass'), JSON.stringify(report?.targets[0]?.findings));
      assert.ok(FORMATS.every((f) => sizes.has(`${n} ${f}`)), 'every format measured');
    });
  }

  it('Then the report grows by at most 32 KiB per added target, in every format and in the --json file', () => {
    for (const kind of [...FORMATS, 'file']) {
      const small = sizes.get(`10 ${kind}`) ?? 0;
      const large = sizes.get(`1000 ${kind}`) ?? 0;
      assert.ok(small > 0 && large > 0, kind);
      const perTarget = (large - small) / 990;
      assert.ok(perTarget <= PER_TARGET_BYTES, `${kind}: ${Math.round(perTarget)} bytes per added target`);
    }
  });

  it('Then every text is within its limit, and truncated says what was cut and how long it was', () => {
    const probe = reports.get(10)?.targets[0]?.mx[0]?.addresses[0]?.probe;
    assert.ok(probe?.certificate && probe.truncated, JSON.stringify(probe?.truncated));
    const cert = probe.certificate;
    assert.ok(cert.subjectAltNames.length <= LIMITS.subjectAltNames);
    assert.equal(probe.truncated['certificate.subjectAltNames'], 2000);
    assert.ok(cert.subject.length <= LIMITS.text && cert.issuer.length <= LIMITS.text);
    assert.ok((probe.truncated['certificate.subject'] ?? 0) > LIMITS.text);
    assert.ok((probe.truncated['certificate.issuer'] ?? 0) > LIMITS.text);
    assert.ok((probe.banner ?? '').length <= LIMITS.banner && (probe.banner ?? '').split('\n').length <= LIMITS.replyLines);
    assert.ok((probe.truncated['banner'] ?? 0) > LIMITS.banner);
    assert.ok(probe.extensions.length <= LIMITS.replyLines && (probe.extensionsAfterTls ?? []).length <= LIMITS.replyLines);
    assert.equal(probe.truncated['extensions'], LINES - 1);
    const { timings: _t, truncated: _c, ...text } = probe;
    assert.ok(JSON.stringify(text).length <= LIMITS.record * 1.6, `the record holds ${JSON.stringify(text).length} characters of JSON`);
    // Every escape is whole: no \x1 cut in half at a limit
    assert.doesNotMatch(JSON.stringify(probe), /\\\\x1(?![B])/);
  });

  it('Then the name match was computed from every name: the MX name, 1,501st of 2,000, matches', () => {
    const target = reports.get(10)?.targets[0];
    assert.equal(target?.mx[0]?.addresses[0]?.probe.certificate?.hostnameMatch, true);
    assert.ok(!target?.findings.some((f) => f.id === 'cert.hostname-mismatch'));
  });

  it('Then every finding message is at most 1 KiB', () => {
    for (const t of reports.get(1000)?.targets ?? []) for (const f of t.findings) assert.ok(f.message.length <= LIMITS.text, f.id);
  });
});
