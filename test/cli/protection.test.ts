/**
 * Effective protection end to end: the built CLI against the demo lab. Each
 * domain's level and deliverable, the findings, and every require* knob from a
 * policy file: exit codes, findings, deliverable and summary.stuck; `policy
 * show` with the knobs; a misspelt knob is exit 2 on one line.
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

const d = (label: string) => `${label}.mxready.test`;

before(async () => {
  lab = await startDemoLab();
  dir = mkdtempSync(join(tmpdir(), 'mxready-protection-'));
  writeFileSync(join(dir, 'ca.pem'), lab.caPem);
  args = [
    '--resolver', `${lab.lab.dns.host}:${lab.lab.dns.port}`, '--port', String(lab.lab.port), '--mta-sts-port', String(lab.policies.port),
    '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--timeout', '10000', '--dns-timeout', '1000', '--format', 'json',
  ];
  report = JSON.parse((await runCli([...lab.targets, ...args])).stdout) as Report;
});

after(async () => {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
});

const target = (r: Report, label: string): TargetReport => {
  const t = r.targets.find((x) => x.domain === d(label));
  assert.ok(t, label);
  return t;
};
const policyFile = (name: string, knobs: object): string => {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(knobs));
  return path;
};

describe('effective protection against the demo lab', () => {
  it('Then the report meets the contract and the summary counts domains by level', () => {
    assert.deepEqual(contractViolations(report), []);
    const counted = report.targets.filter((t) => t.kind === 'domain').reduce<Record<string, number>>((acc, t) => ({ ...acc, [t.protection?.level ?? 'unknown']: (acc[t.protection?.level ?? 'unknown'] ?? 0) + 1 }), {});
    for (const [level, n] of Object.entries(report.summary.protection ?? {})) assert.equal(n, counted[level] ?? 0, level);
  });

  const cases: [string, string | undefined, boolean | null | undefined, string[]][] = [
    // domain, level, protection.deliverable, protection findings
    ['dane-ok', 'dane', true, []],
    ['dane-bad', 'dane', false, ['protection.stuck']],
    ['dane-partial', 'opportunistic', true, ['dane.partial']],
    ['dane-sts', 'dane', true, []],
    ['sts-enforce', 'mta-sts-enforce', true, []],
    ['sts-testing', 'mta-sts-testing', true, []],
    ['sts-mismatch', 'mta-sts-enforce', false, ['protection.stuck']],
    ['sts-down', 'opportunistic', true, []],
    ['modern', 'opportunistic', true, []],
    ['plaintext', 'none', true, []],
    ['backup', 'none', true, []],
    ['nullmx', undefined, undefined, []],
    ['missing', undefined, undefined, []],
    ['bogus', undefined, undefined, []],
  ];
  for (const [label, level, deliverable, findings] of cases) {
    it(`Then ${label}: level ${level ?? 'none at all'}, deliverable under it ${String(deliverable)}, findings ${findings.join(', ') || 'none'}`, () => {
      const t = target(report, label);
      assert.equal(t.protection?.level, level);
      assert.equal(t.protection?.deliverable, deliverable);
      assert.deepEqual(t.findings.filter((f) => /^(protection\.|dane\.partial|dane\.missing|mta-sts\.missing|tls-rpt\.missing)/.test(f.id)).map((f) => f.id), findings);
    });
  }

  it('Then dane-sts: DANE takes precedence over MTA-STS enforce on its host', () => {
    assert.equal(target(report, 'dane-sts').mx[0]?.protection?.mechanism, 'dane');
    assert.equal(target(report, 'dane-sts').mtaSts?.policy?.mode, 'enforce');
    const partial = target(report, 'dane-partial');
    assert.deepEqual(partial.mx.map((m) => m.protection?.mechanism), ['dane', 'opportunistic']);
    assert.equal(partial.protection?.hosts.dane, 1);
    assert.equal(partial.protection?.hosts.opportunistic, 1);
  });

  const knobs: [string, object, string[], string[], string][] = [
    // knob, policy file, passing domains (exit 0 alone), failing domains, finding
    ['requireDane', { requireDane: true }, ['dane-ok', 'dane-ta'], ['dane-partial', 'modern', 'sts-enforce'], 'dane.missing'],
    ['requireMtaSts', { requireMtaSts: true }, ['sts-enforce'], ['sts-testing', 'sts-mismatch', 'modern'], 'mta-sts.missing'],
    ['requireDaneOrMtaSts', { requireDaneOrMtaSts: true }, ['dane-ok', 'sts-enforce', 'dane-sts'], ['dane-partial', 'sts-testing', 'modern'], 'protection.missing'],
    ['requireTlsRpt', { requireTlsRpt: true }, ['sts-enforce'], ['rpt-bad', 'modern'], 'tls-rpt.missing'],
  ];
  for (const [knob, file, passing, failing, finding] of knobs) {
    it(`Given ${knob} Then ${passing.join(', ')} exit 0 and ${failing.join(', ')} exit 1 with ${finding}, stuck where no MX meets it; relays and null MX untouched`, async () => {
      const path = policyFile(knob, file);
      const good = await runCli([...passing.map(d), ...args, '--policy', path]);
      assert.equal(good.code, 0, good.stdout.slice(0, 2000));
      const bad = await runCli([...failing.map(d), d('nullmx'), `127.0.0.2:${lab.lab.port}`, ...args, '--policy', path]);
      assert.equal(bad.code, 1);
      const r = JSON.parse(bad.stdout) as Report;
      for (const label of failing) {
        const t = target(r, label);
        assert.equal(t.status, 'fail', label);
        assert.ok(t.findings.some((f) => f.id === finding && f.severity === 'fail'), `${label}: ${finding}`);
        // Stuck exactly when no MX address meets the requirement (requireDane's gap is per host: dane-partial's DANE host still delivers).
        assert.equal(t.deliverable, label === 'dane-partial' && knob === 'requireDane' ? true : false, label);
      }
      assert.equal(r.summary.stuck, r.targets.filter((t) => t.deliverable === false).length);
      assert.equal(target(r, 'nullmx').status, 'pass');
      assert.equal(r.targets.find((t) => t.kind === 'host')?.status, 'pass');
    });
  }

  it('Given policy show with a knob file Then the knobs and the honor* they imply are shown; a misspelt knob is one line and exit 2', async () => {
    const shown = await runCli(['policy', 'show', policyFile('both', { requireDaneOrMtaSts: true, requireTlsRpt: true })]);
    assert.equal(shown.code, 0);
    const policy = JSON.parse(shown.stdout) as Record<string, unknown>;
    assert.deepEqual([policy['requireDaneOrMtaSts'], policy['requireTlsRpt'], policy['honorDane'], policy['honorMtaSts'], policy['requireDane']], [true, true, true, true, false]);
    const typo = await runCli(['policy', 'show', policyFile('typo', { requireDaneOrMTASTS: true })]);
    assert.equal(typo.code, 2);
    assert.equal(typo.stderr.trim().split('\n').length, 1);
    assert.match(typo.stderr, /unknown key "requireDaneOrMTASTS"/);
  });

  it('Given a saved report from before protection Then report re-renders it and judges it again without error', async () => {
    const path = join(dir, 'old.json');
    const old = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & { summary: Record<string, unknown>; policy: Record<string, unknown>; targets: Record<string, unknown>[] };
    delete old.summary['protection'];
    for (const knob of ['requireDane', 'requireMtaSts', 'requireDaneOrMtaSts', 'requireTlsRpt']) delete old.policy[knob];
    for (const t of old.targets) {
      delete t['protection'];
      for (const m of t['mx'] as Record<string, unknown>[]) delete m['protection'];
    }
    writeFileSync(path, JSON.stringify(old));
    const table = await runCli(['report', path]);
    assert.equal(table.code, 1, table.stderr);
    assert.match(table.stdout, /Targets/);
    const again = await runCli(['report', path, '--policy', 'encrypt', '--format', 'json']);
    assert.equal((JSON.parse(again.stdout) as Report).targets.find((t) => t.domain === d('dane-partial'))?.protection?.level, 'opportunistic');
  });
});
