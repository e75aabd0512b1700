/**
 * DANE end to end: the built CLI against the demo lab, whose DNS server plays a
 * validating resolver. Each DANE domain's DNSSEC states, TLSA status and
 * verdict; the bogus child; the dane preset's exit codes beside encrypt's; and a
 * resolver that does not validate, which leaves DANE out and says so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoLab, type DemoLab } from '../../src/lab/demo.js';
import { startDnsServer, type LabDnsServer } from '../../src/lab/dns-server.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { contractViolations } from '../helpers/contract.js';

let lab: DemoLab;
let plainDns: LabDnsServer;
let dir: string;
let args: string[];
let report: Report;
let stderr: string;

const d = (label: string) => `${label}.mxready.test`;
const DOMAINS = ['dane-ok', 'dane-bad', 'dane-ta', 'dane-insecure', 'modern', 'bogus', 'missing'].map(d);

before(async () => {
  lab = await startDemoLab();
  dir = mkdtempSync(join(tmpdir(), 'mxready-dane-'));
  writeFileSync(join(dir, 'ca.pem'), lab.caPem);
  // The same names from a resolver that validates nothing (as nsd asked directly would answer).
  plainDns = await startDnsServer({
    records: [
      { name: d('dane-ok'), type: 'MX', data: { preference: 10, exchange: d('mx.dane-ok') } },
      { name: d('mx.dane-ok'), type: 'A', data: '127.0.0.12' },
    ],
  });
  args = ['--port', String(lab.lab.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--timeout', '10000', '--dns-timeout', '1000', '--format', 'json'];
  const run = await runCli([...DOMAINS, '--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`, ...args]);
  report = JSON.parse(run.stdout) as Report;
  stderr = run.stderr;
});

after(async () => {
  await Promise.allSettled([lab.close(), plainDns.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const target = (domain: string): TargetReport => {
  const t = report.targets.find((x) => x.domain === domain);
  assert.ok(t, domain);
  return t;
};
const ids = (t: TargetReport) => t.findings.map((f) => `${f.id}:${f.severity}`).sort();

describe('DANE against the demo lab', () => {
  it('Then the report meets the contract, names its resolver on loopback and counts authenticated answers; stderr has no DNSSEC note', () => {
    assert.deepEqual(contractViolations(report), []);
    assert.equal(report.dnssec?.loopbackOnly, true);
    assert.ok((report.dnssec?.authenticatedAnswers ?? 0) > 0);
    assert.doesNotMatch(stderr, /DNSSEC/);
  });

  const cases: [string, string, string | undefined, string[]][] = [
    // domain, tlsa status, dane status, DANE/DNSSEC finding ids
    ['dane-ok', 'secure', 'valid', ['dane.rollover.single-record:warn', 'dane.valid:info']],
    ['dane-bad', 'secure', 'mismatch', ['dane.mismatch:warn', 'dane.rollover.single-record:warn']],
    ['dane-ta', 'secure', 'valid', ['dane.valid:info']],
    ['dane-insecure', 'insecure', undefined, ['dane.insecure-tlsa-ignored:info']],
    ['modern', 'none', undefined, []],
  ];
  for (const [label, tlsaStatus, dane, findings] of cases) {
    it(`Then ${label}: MX RRset and host secure, TLSA ${tlsaStatus}, dane ${dane ?? 'absent'}`, () => {
      const t = target(d(label));
      assert.equal(t.dns.dnssec, 'secure');
      assert.equal(t.mx[0]?.dnssec, 'secure');
      assert.equal(t.mx[0]?.tlsa?.status, tlsaStatus);
      assert.equal(t.mx[0]?.addresses[0]?.dane?.status, dane);
      assert.deepEqual(ids(t).filter((id) => /^(dane|dnssec)\./.test(id)), findings);
      assert.equal(t.status, 'pass', 'encrypt: DANE findings warn, they do not fail');
    });
  }

  it('Then the DANE-TA match names the record and the depth of the demo CA the server sent after its leaf', () => {
    assert.deepEqual(target(d('dane-ta')).mx[0]?.addresses[0]?.dane, { status: 'valid', matched: { usage: 2, selector: 0, matchingType: 1, depth: 1 } });
    assert.equal(target(d('dane-ta')).mx[0]?.addresses[0]?.probe.certificate?.chain[0]?.issuerIndex, 1);
  });

  it('Then the bogus child is an error with dns.dnssec bogus and dnssec.bogus (resultType dnssec-invalid)', () => {
    const t = target(d('bogus'));
    assert.equal(t.status, 'error');
    assert.equal(t.dns.dnssec, 'bogus');
    assert.equal(t.dns.error?.code, 'servfail');
    assert.equal(t.findings.find((f) => f.id === 'dnssec.bogus')?.resultType, 'dnssec-invalid');
  });

  it('Then the NXDOMAIN is an authenticated denial: dns.dnssec secure', () => {
    assert.equal(target(d('missing')).dns.dnssec, 'secure');
  });

  it('Given --policy dane Then the mismatching host fails (exit 1), the matching one passes (exit 0); encrypt passes both', async () => {
    const resolver = ['--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`];
    const bad = await runCli([d('dane-bad'), ...resolver, ...args, '--policy', 'dane']);
    assert.equal(bad.code, 1, bad.stderr);
    const badReport = JSON.parse(bad.stdout) as Report;
    assert.equal(badReport.targets[0]?.findings.find((f) => f.id === 'dane.mismatch')?.severity, 'fail');
    assert.equal(badReport.targets[0]?.deliverable, false, 'a DANE sender holds the mail: stuck');
    assert.equal((await runCli([d('dane-ok'), ...resolver, ...args, '--policy', 'dane'])).code, 0);
    assert.equal((await runCli([d('dane-bad'), d('dane-ok'), ...resolver, ...args, '--policy', 'encrypt'])).code, 0);
  });

  it('Given --no-dane Then no TLSA is looked up, and no dane verdict; under the dane policy that is not measured (exit 3)', async () => {
    const resolver = ['--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`];
    const run = await runCli([d('dane-bad'), ...resolver, ...args, '--no-dane']);
    const t = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(t?.mx[0]?.tlsa, undefined);
    assert.equal(t?.mx[0]?.addresses[0]?.dane, undefined);
    assert.equal(run.code, 0);
    const strict = await runCli([d('dane-bad'), ...resolver, ...args, '--no-dane', '--policy', 'dane']);
    assert.equal(strict.code, 3);
    assert.match(JSON.stringify(JSON.parse(strict.stdout)), /TLSA records were not looked up \(--no-dane, or a report made before DANE\)/);
  });

  it('Given a resolver that does not validate Then everything is insecure, no TLSA is looked up, and stderr says no answer was authenticated', async () => {
    const run = await runCli([d('dane-ok'), '--resolver', `${plainDns.host}:${plainDns.port}`, ...args]);
    const t = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(t?.dns.dnssec, 'insecure');
    assert.equal(t?.mx[0]?.dnssec, 'insecure');
    assert.equal(t?.mx[0]?.tlsa?.status, 'not-looked-up');
    assert.equal(t?.mx[0]?.addresses[0]?.dane, undefined);
    assert.deepEqual(t?.findings.filter((f) => f.id.startsWith('dane.')), []);
    assert.match(run.stderr, /^mxready: DNSSEC: no answer was authenticated \(AD\)/m);
  });
});
