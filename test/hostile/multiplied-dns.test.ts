/**
 * Hardening round two, class 2, DNS and policy text: N domains share one hostile
 * DNSSEC-secure zone and one policy server. Their MX host publishes 51 TLSA
 * records of about 1,000 bytes (the one that matches last, a whole certificate
 * of matching type 0); every `_smtp._tls` name is a CNAME to one 58 KB TLS-RPT
 * record of about 900 URIs; every domain serves a 60 KB MTA-STS policy of 240
 * long patterns. For N = 10 and N = 200 the report grows by at most 32 KiB per
 * added target as JSON, NDJSON and a table, `truncated` says what was cut, and
 * what was judged on the whole values holds (the DANE match, the URIs parsed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { createCa } from '../../src/lab/certs.js';
import { startDnsServer, type LabDnsServer, type LabZoneRecord } from '../../src/lab/dns-server.js';
import { startPolicyServer, type LabPolicyServer } from '../../src/lab/policy-server.js';
import { LIMITS, textSize } from '../../src/model/limits.js';
import type { Report } from '../../src/model/report.js';
import { rawOutputViolations } from './inert.js';
import { runCliRaw } from './run.js';
import { smtpSession, startHostileSmtp, type HostileSmtpLab } from './servers.js';

const ZONE = 'shared.test';
const SMTP_IP = '127.77.56.1';
const POLICY_IP = '127.77.56.2';
const MX = `mx.${ZONE}`;
const N = [10, 200] as const;
const domainOf = (i: number) => `d${i}.${ZONE}`;
const PER_TARGET_BYTES = 32 * 1024;
const JUNK_TLSA = 50;
const RUA = 930;
const PATTERNS = 240;
/** A pattern of about 250 characters. */
const pattern = (i: number) => `*.${String(i).padStart(4, '0')}${'p'.repeat(56)}.${'q'.repeat(60)}.${'r'.repeat(60)}.${'s'.repeat(50)}.${ZONE}`;

let dns: LabDnsServer;
let smtp: HostileSmtpLab;
let policies: LabPolicyServer;
let dir: string;
let rptRecord: string;
let certHex: string;
const sizes = new Map<string, number>();
const reports = new Map<number, Report>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-multiplied-dns-'));
  const ca = await createCa({ commonName: 'Shared zone CA' });
  const cert = await ca.issue({ commonName: MX, dnsNames: [MX] });
  certHex = new X509Certificate(cert.certPem).raw.toString('hex');
  smtp = await startHostileSmtp([
    { ip: SMTP_IP, script: (c) => smtpSession(c, { host: MX, starttls: { kind: 'tls', context: createSecureContext({ key: cert.keyPem, cert: cert.chainPem }) } }) },
  ]);
  const domains = Array.from({ length: N[1] }, (_, i) => domainOf(i));
  const site = await ca.issue({ commonName: `mta-sts.${ZONE}`, dnsNames: domains.map((d) => `mta-sts.${d}`) });
  const policy = ['version: STSv1', 'mode: enforce', `mx: ${MX}`, ...Array.from({ length: PATTERNS }, (_, i) => `mx: ${pattern(i)}`), 'max_age: 86400', ''].join('\n');
  assert.ok(policy.length > 60_000 && policy.length < 65_536, `${policy.length}`);
  policies = await startPolicyServer({
    host: POLICY_IP,
    keyPem: site.keyPem,
    certPem: site.chainPem,
    sites: Object.fromEntries(domains.map((d) => [`mta-sts.${d}`, { body: policy }])),
  });
  const uris = Array.from({ length: RUA }, (_, i) => `mailto:r${String(i).padStart(4, '0')}-${'r'.repeat(36)}@${ZONE}`);
  rptRecord = `v=TLSRPTv1; rua=${uris.join(',')}`;
  assert.ok(rptRecord.length > 57_000, `${rptRecord.length}`);
  const chunks = (text: string) => Array.from({ length: Math.ceil(text.length / 255) }, (_, i) => text.slice(i * 255, (i + 1) * 255));
  // PKIX-EE (unusable in SMTP DANE) and over-long SHA-256 digests, 1,000 bytes each.
  const junk = Array.from({ length: JUNK_TLSA }, (_, i) => ({ usage: i % 2 === 0 ? 1 : 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(1000, i + 1) }));
  const records: LabZoneRecord[] = [
    { name: MX, type: 'A', data: SMTP_IP },
    // The record that matches comes last: DANE-EE, the whole certificate (matching type 0).
    ...[...junk, { usage: 3, selector: 0, matchingType: 0, certificate: Buffer.from(certHex, 'hex') }].map((data) => ({ name: `_${smtp.port}._tcp.${MX}`, type: 'TLSA' as const, data })),
    { name: `rpt.${ZONE}`, type: 'TXT', data: chunks(rptRecord) },
    { name: `sts.${ZONE}`, type: 'TXT', data: chunks(`v=STSv1; id=20261207; ${Array.from({ length: 20 }, (_, i) => `ext${i}=${'e'.repeat(200)}`).join('; ')}`) },
  ];
  for (const d of domains) {
    records.push(
      { name: d, type: 'MX', data: { preference: 10, exchange: MX } },
      { name: `_smtp._tls.${d}`, type: 'CNAME', data: `rpt.${ZONE}` },
      { name: `_mta-sts.${d}`, type: 'CNAME', data: `sts.${ZONE}` },
      { name: `mta-sts.${d}`, type: 'A', data: POLICY_IP },
    );
  }
  dns = await startDnsServer({ records, dnssec: { [ZONE]: 'secure' } });
  writeFileSync(join(dir, 'ca.pem'), ca.certPem);
}, { timeout: 60_000 });

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close(), policies?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function scan(n: number): Promise<void> {
  const targets = join(dir, `targets-${n}.txt`);
  writeFileSync(targets, Array.from({ length: n }, (_, i) => domainOf(i)).join('\n'));
  const json = join(dir, `report-${n}.json`);
  const common = ['-f', targets, '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--mta-sts-port', String(policies.port),
    '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--concurrency', '64', '--no-progress'];
  const [table, lines] = await Promise.all([runCliRaw([...common, '--format', 'table', '--json', json], 60_000), runCliRaw([...common, '--format', 'ndjson'], 60_000)]);
  for (const [format, run] of [['table', table], ['ndjson', lines]] as const) {
    assert.equal(run.code, 0, `${format}: exit ${run.code}: ${run.stderr.toString('utf8').slice(0, 2000)} ${run.stdout.toString('utf8').slice(-2000)}`);
    assert.deepEqual(rawOutputViolations(run.stdout), [], format);
    sizes.set(`${n} ${format}`, run.stdout.length);
  }
  assert.equal(lines.stdout.toString('utf8').trim().split('\n').length, n + 2, 'a header, a line per target, an end line');
  const file = readFileSync(json);
  sizes.set(`${n} json`, file.length);
  reports.set(n, JSON.parse(file.toString('utf8')) as Report);
}

describe('one hostile zone and policy server shared by many domains', () => {
  for (const n of N) {
    it(`Given ${n} domains sharing them When scanned Then every target passes, as a table, NDJSON and JSON`, { timeout: 60_000 }, async () => {
      await scan(n);
      const report = reports.get(n);
      assert.equal(report?.targets.length, n);
      assert.ok(report?.targets.every((t) => t.status === 'pass'), JSON.stringify(report?.targets[0]?.findings));
    });
  }

  it('Then the report grows by at most 32 KiB per added target as JSON, NDJSON and a table', (t) => {
    const growth = ['json', 'ndjson', 'table'].map((format) => {
      const small = sizes.get(`${N[0]} ${format}`) ?? 0;
      const large = sizes.get(`${N[1]} ${format}`) ?? 0;
      assert.ok(small > 0 && large > 0, format);
      const perTarget = Math.round((large - small) / (N[1] - N[0]));
      t.diagnostic(`${format}: ${perTarget} bytes per added target (${small} bytes for ${N[0]}, ${large} for ${N[1]})`);
      return [format, perTarget] as const;
    });
    for (const [format, perTarget] of growth) assert.ok(perTarget <= PER_TARGET_BYTES, `${format}: ${perTarget} bytes per added target`);
  });

  it('Then the TLSA set is within its limits, truncated says what was cut, and the match on the whole data holds', () => {
    const target = reports.get(N[0])?.targets[0];
    const tlsa = target?.mx[0]?.tlsa;
    assert.ok(tlsa?.truncated, JSON.stringify(tlsa?.truncated));
    assert.equal(tlsa.status, 'secure');
    assert.equal(tlsa.truncated['records'], JUNK_TLSA + 1);
    assert.ok(tlsa.records.length <= LIMITS.tlsaRecords && tlsa.records.length >= 1);
    assert.ok(tlsa.records.every((r) => r.data.length <= LIMITS.tlsaData));
    assert.ok(textSize(tlsa) <= LIMITS.facts + 1024, `${textSize(tlsa)}`);
    // The usable record was kept first, its data cut, its SHA-256 kept: the DANE verdict is the full record's.
    const first = tlsa.records[0];
    assert.deepEqual([first?.usage, first?.selector, first?.matchingType, first?.usable], [3, 0, 0, true]);
    assert.equal(tlsa.truncated['records[0].data'], certHex.length);
    assert.equal(first?.dataSha256, createHash('sha256').update(Buffer.from(certHex, 'hex')).digest('hex'));
    assert.equal(target?.mx[0]?.addresses[0]?.dane?.status, 'valid');
    assert.ok(target?.findings.some((f) => f.id === 'dane.valid'), JSON.stringify(target?.findings));
  });

  it('Then the TLS-RPT record is within its limits, reached through the CNAME, with truncated', () => {
    const rpt = reports.get(N[0])?.targets[0]?.tlsRpt;
    assert.equal(rpt?.status, 'valid');
    assert.ok(rpt?.truncated, JSON.stringify(rpt?.truncated));
    assert.equal(rpt.truncated['record'], rptRecord.length);
    assert.equal(rpt.truncated['rua'], RUA);
    assert.ok((rpt.record ?? '').length <= LIMITS.text);
    assert.ok((rpt.rua ?? []).length >= 1 && (rpt.rua ?? []).length <= 100);
    assert.ok(textSize(rpt) <= LIMITS.facts + 1024, `${textSize(rpt)}`);
  });

  it('Then the MTA-STS facts are within their limits, with truncated, and the MX host still matches its pattern', () => {
    const target = reports.get(N[0])?.targets[0];
    const sts = target?.mtaSts;
    assert.equal(sts?.status, 'valid');
    assert.ok(sts?.truncated, JSON.stringify(sts?.truncated));
    assert.equal(sts.truncated['policy.mx'], PATTERNS + 1);
    assert.ok((sts.truncated['record'] ?? 0) > LIMITS.text);
    assert.equal(sts.policy?.mx[0], MX);
    assert.ok(textSize(sts) <= LIMITS.facts + 1024, `${textSize(sts)}`);
    assert.deepEqual(target?.mx[0]?.mtaSts, { matched: MX, deliverable: true });
  });

  it('Then every finding message is at most 1 KiB', () => {
    for (const t of reports.get(N[1])?.targets ?? []) for (const f of t.findings) assert.ok(f.message.length <= LIMITS.text, f.id);
  });
});
