/**
 * MTA-STS and TLS-RPT end to end: the built CLI against the demo lab, whose
 * HTTPS server serves the policies (--mta-sts-port). Each domain's status,
 * policy, error code, findings and MX verdict; a redirect that is not followed;
 * a policy host on loopback without --allow-private; honorMtaSts's exit codes;
 * --no-mta-sts and --no-tls-rpt; a relay.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoLab, type DemoLab } from '../../src/lab/demo.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { contractViolations } from '../helpers/contract.js';

let lab: DemoLab;
let dir: string;
let args: string[];
let report: Report;
let honoring: string;

const d = (label: string) => `${label}.mxready.test`;
const DOMAINS = ['sts-enforce', 'sts-testing', 'sts-mismatch', 'sts-down', 'sts-redirect', 'sts-large', 'rpt-bad', 'modern'].map(d);

before(async () => {
  lab = await startDemoLab();
  dir = mkdtempSync(join(tmpdir(), 'mxready-sts-'));
  writeFileSync(join(dir, 'ca.pem'), lab.caPem);
  honoring = join(dir, 'honor.json');
  writeFileSync(honoring, JSON.stringify({ honorMtaSts: true }));
  args = [
    '--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`, '--port', String(lab.lab.port), '--mta-sts-port', String(lab.policies.port),
    '--ca-file', join(dir, 'ca.pem'), '--timeout', '10000', '--dns-timeout', '1000', '--format', 'json',
  ];
  report = JSON.parse((await runCli([...DOMAINS, ...args, '--allow-private'])).stdout) as Report;
});

after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (r: Report, domain: string): TargetReport => {
  const t = r.targets.find((x) => x.domain === domain);
  assert.ok(t, domain);
  return t;
};
const ids = (t: TargetReport) => t.findings.filter((f) => /^(mta-sts|tls-rpt)\./.test(f.id)).map((f) => `${f.id}:${f.severity}:${f.resultType ?? '-'}`).sort();

describe('MTA-STS and TLS-RPT against the demo lab', () => {
  it('Then the report meets the contract', () => {
    assert.deepEqual(contractViolations(report), []);
    assert.equal(report.depth.mtaSts, true);
    assert.equal(report.depth.tlsRpt, true);
  });

  const cases: [string, string, string | undefined, unknown, string[]][] = [
    // domain, mtaSts.status, error code, mx[0].mtaSts, findings
    ['sts-enforce', 'valid', undefined, { matched: 'mx.modern.mxready.test', deliverable: true }, ['mta-sts.valid:info:-', 'tls-rpt.valid:info:-']],
    ['sts-testing', 'valid', undefined, { matched: '*.modern.mxready.test', deliverable: true }, ['mta-sts.valid:info:-']],
    ['sts-mismatch', 'valid', undefined, { matched: null, deliverable: false }, ['mta-sts.mx-mismatch:warn:validation-failure', 'mta-sts.valid:info:-']],
    ['sts-down', 'fetch-error', 'connect-failed', undefined, ['mta-sts.fetch-error:warn:sts-policy-fetch-error']],
    ['sts-redirect', 'fetch-error', 'http-status', undefined, ['mta-sts.fetch-error:warn:sts-policy-fetch-error']],
    ['sts-large', 'fetch-error', 'too-large', undefined, ['mta-sts.fetch-error:warn:sts-policy-fetch-error']],
    ['rpt-bad', 'none', undefined, undefined, ['tls-rpt.invalid:warn:-']],
    ['modern', 'none', undefined, undefined, []],
  ];
  for (const [label, status, code, mx, findings] of cases) {
    it(`Then ${label}: mtaSts ${status}${code ? ` (${code})` : ''}, mx verdict ${JSON.stringify(mx)}, findings ${findings.join(', ') || 'none'}`, () => {
      const t = target(report, d(label));
      assert.equal(t.mtaSts?.status, status);
      assert.equal(t.mtaSts?.error?.code, code);
      assert.deepEqual(t.mx[0]?.mtaSts, mx);
      assert.deepEqual(ids(t), [...findings].sort());
      assert.equal(t.status, 'pass', 'encrypt: MTA-STS findings are warnings at most');
    });
  }

  it('Then the policies are read as served: id, mode, mx and max_age; TLS-RPT rua in order', () => {
    const t = target(report, d('sts-enforce'));
    assert.deepEqual(t.mtaSts, { status: 'valid', record: 'v=STSv1; id=demostsenforce1;', id: 'demostsenforce1', policy: { mode: 'enforce', mx: ['mx.modern.mxready.test'], maxAge: 86400 } });
    assert.deepEqual(t.tlsRpt?.rua, ['mailto:tls-reports@mxready.test', 'https://reports.mxready.test/tlsrpt']);
    assert.equal(target(report, d('rpt-bad')).tlsRpt?.status, 'invalid');
  });

  it('Then the redirect was not followed: its target got no request', () => {
    assert.equal(lab.policies.requestsFor(`mta-sts.${d('sts-redirect')}`) > 0, true);
    assert.equal(lab.policies.requestsFor(`mta-sts.${d('redirected')}`), 0);
  });

  it('Given no --allow-private Then the policy host on loopback is not contacted (refused-private)', async () => {
    const host = `mta-sts.${d('sts-testing')}`;
    const before = lab.policies.requestsFor(host);
    const run = await runCli([d('sts-testing'), ...args]);
    const t = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(t?.mtaSts?.status, 'fetch-error');
    assert.equal(t?.mtaSts?.error?.code, 'refused-private');
    assert.equal(lab.policies.requestsFor(host), before);
  });

  it('Given honorMtaSts Then the enforce mismatch is a gap (exit 1, stuck); enforce matching and testing are not (exit 0)', async () => {
    const bad = await runCli([d('sts-mismatch'), ...args, '--allow-private', '--policy', honoring]);
    assert.equal(bad.code, 1, bad.stderr);
    const t = (JSON.parse(bad.stdout) as Report).targets[0];
    assert.equal(t?.findings.find((f) => f.id === 'mta-sts.mx-mismatch')?.severity, 'fail');
    assert.equal(t?.deliverable, false);
    const good = await runCli([d('sts-enforce'), d('sts-testing'), ...args, '--allow-private', '--policy', honoring]);
    assert.equal(good.code, 0, good.stdout);
  });

  it('Given --no-mta-sts and --no-tls-rpt Then neither is looked up; under honorMtaSts that is not measured (exit 3)', async () => {
    const run = await runCli([d('sts-enforce'), ...args, '--allow-private', '--no-mta-sts', '--no-tls-rpt']);
    const r = JSON.parse(run.stdout) as Report;
    assert.equal(r.targets[0]?.mtaSts, undefined);
    assert.equal(r.targets[0]?.tlsRpt, undefined);
    assert.equal(r.targets[0]?.mx[0]?.mtaSts, undefined);
    assert.deepEqual(r.depth, { ...r.depth, mtaSts: false, tlsRpt: false });
    const strict = await runCli([d('sts-enforce'), ...args, '--allow-private', '--no-mta-sts', '--policy', honoring]);
    assert.equal(strict.code, 3);
    assert.match(strict.stdout, /its policy was not looked up \(--no-mta-sts, or a report made before MTA-STS\)/);
  });

  it('Given a relay Then no MTA-STS or TLS-RPT lookup', async () => {
    const run = await runCli([`127.0.0.2:${lab.lab.port}`, ...args, '--allow-private']);
    const t = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(t?.mtaSts, undefined);
    assert.equal(t?.tlsRpt, undefined);
  });

  it('Then the table has an MTA-STS column with each mode', async () => {
    const run = await runCli([d('sts-enforce'), d('sts-testing'), d('sts-down'), ...args.filter((a) => a !== '--format' && a !== 'json'), '--allow-private'], { env: { COLUMNS: '200' } });
    const lines = run.stdout.split('\n');
    assert.match(lines[0] ?? '', /MTA-STS/);
    assert.ok(lines.some((l) => /sts-enforce\.mxready\.test.*enforce/.test(l)), run.stdout);
    assert.ok(lines.some((l) => /sts-testing\.mxready\.test.*testing/.test(l)), run.stdout);
    assert.ok(lines.some((l) => /sts-down\.mxready\.test.*fetch/.test(l)), run.stdout);
  });
});
