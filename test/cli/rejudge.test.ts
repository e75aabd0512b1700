/**
 * `mxready report --policy` judges a saved report again, offline: for a
 * schemaVersion 2 report made at the depth the policy needs it equals a fresh
 * scan under that policy; a fact the depth did not gather is "not measured";
 * a schemaVersion 1 report is read (its verdicts kept) but never judged again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { contractViolations } from '../helpers/contract.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));
let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-rejudge-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** What a judgement decides, with what differs between two demo runs masked (ports, times, the resolver's address). */
function verdicts(report: Report): unknown {
  const port = (text: string) => text.replace(/\]:\d+/g, ']:PORT').replace(/from 127\.0\.0\.1:\d+/g, 'from DNS').replace(/^127\.0\.0\.1:\d+ answered/, 'DNS answered').replace(/_\d+\._tcp\./g, '_PORT._tcp.');
  return {
    policy: report.policy,
    summary: report.summary,
    targets: report.targets.map((t) => ({
      input: t.input,
      status: t.status,
      error: t.error ? { code: t.error.code, message: port(t.error.message) } : undefined,
      deliverable: t.deliverable,
      findings: t.findings.map((f) => ({ ...f, port: 0, message: port(f.message) })),
      assessments: t.mx.map((m) => m.addresses.map((a) => a.assessment)),
      dane: t.mx.map((m) => m.addresses.map((a) => a.dane)),
    })),
  };
}

async function demo(args: string[]): Promise<{ code: number | null; report: Report }> {
  const run = await runCli(['demo', '--format', 'json', ...args], { timeoutMs: 90_000 });
  return { code: run.code, report: JSON.parse(run.stdout) as Report };
}

describe('mxready report --policy', () => {
  /** One demo scanned under encrypt with --legacy-acceptance, saved, for both policies below. */
  let saved: Promise<string> | undefined;
  const savedDemo = (): Promise<string> =>
    (saved ??= (async () => {
      const path = join(dir, 'encrypt-legacy-acceptance.json');
      const scanned = await runCli(['demo', '--legacy-acceptance', '--json', path], { timeoutMs: 90_000 });
      assert.equal(scanned.code, 1, scanned.stderr);
      return path;
    })());

  for (const policy of ['strict', 'verify']) {
    it(`Given a demo scanned under encrypt with --legacy-acceptance When judged again under ${policy} Then it equals a fresh demo under ${policy}`, async () => {
      const path = await savedDemo();
      const [again, fresh] = await Promise.all([runCli(['report', '--policy', policy, path, '--format', 'json']), demo(['--policy', policy])]);
      const rejudged = JSON.parse(again.stdout) as Report;
      assert.deepEqual(contractViolations(rejudged), []);
      assert.equal(rejudged.policy.name, policy);
      assert.deepEqual(verdicts(rejudged), verdicts(fresh.report));
      assert.equal(again.code, fresh.code);
      // and the facts are the saved ones, untouched
      const original = JSON.parse(readFileSync(path, 'utf8')) as Report;
      assert.deepEqual(rejudged.targets.map((t) => t.mx.map((m) => m.addresses.map((a) => a.probe))), original.targets.map((t) => t.mx.map((m) => m.addresses.map((a) => a.probe))));
    });
  }

  /** One plain demo report (encrypt, no legacy acceptance), for the cuts below. */
  let plain: Promise<Report> | undefined;
  const plainDemo = (): Promise<Report> => (plain ??= demo([]).then((d) => d.report));

  it('Given a demo report without legacy acceptance, cut to the modern host, When judged under strict Then one policy.not-measured names the flag, exit 3 (1 with --fail-on warn)', async () => {
    const report = await plainDemo();
    assert.equal(report.depth.legacyAcceptance, false);
    const cut: Report = { ...report, targets: report.targets.filter((t) => t.input === 'modern.mxready.test') };
    const path = join(dir, 'modern.json');
    writeFileSync(path, JSON.stringify(cut));
    const run = await runCli(['report', '--policy', 'strict', path, '--format', 'json']);
    assert.equal(run.code, 3, run.stderr);
    const judged = JSON.parse(run.stdout) as Report;
    const findings = judged.targets[0]?.findings ?? [];
    assert.deepEqual(findings.map((f) => f.id), ['policy.not-measured']);
    assert.match(findings[0]?.message ?? '', /--legacy-acceptance/);
    assert.equal(judged.targets[0]?.status, 'error');
    assert.equal(judged.targets[0]?.error?.code, 'not-measured');
    assert.equal((await runCli(['report', '--policy', 'strict', '--fail-on', 'warn', path])).code, 1);
    // The same report judged under verify needs no more than it has
    assert.equal((await runCli(['report', '--policy', 'verify', path])).code, 0);
  });

  it('Given --min-tls alone Then the report is judged again under its own policy with that minimum', async () => {
    const report = await plainDemo();
    const path = join(dir, 'tls12.json');
    writeFileSync(path, JSON.stringify({ ...report, targets: report.targets.filter((t) => t.input === 'tls12.mxready.test') }));
    assert.equal((await runCli(['report', path])).code, 0);
    const run = await runCli(['report', '--min-tls', '1.3', path, '--format', 'json']);
    assert.equal(run.code, 1);
    const judged = JSON.parse(run.stdout) as Report;
    assert.equal(judged.policy.name, 'encrypt');
    assert.equal(judged.policy.minTlsVersion, 'TLSv1.3');
    assert.deepEqual(judged.targets[0]?.findings.map((f) => f.id), ['tls.version.below-minimum']);
    assert.equal(judged.targets[0]?.mx[0]?.addresses[0]?.probe.status, 'ok');
  });
});

describe('reading a schemaVersion 1 report', () => {
  it('Given a v1 report (strict, made by the release before schemaVersion 2) Then it is rendered with the verdicts it holds, as version 2', async () => {
    const path = join(FIXTURES, 'report-v1-strict.json');
    const v1 = JSON.parse(readFileSync(path, 'utf8')) as { targets: { status: string; findings: { id: string }[] }[]; summary: unknown };
    const run = await runCli(['report', path, '--format', 'json']);
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    assert.equal(report.schemaVersion, 2);
    assert.deepEqual(contractViolations(report), []);
    assert.deepEqual(report.targets.map((t) => t.status), v1.targets.map((t) => t.status));
    assert.deepEqual(report.targets.map((t) => t.findings.map((f) => f.id)), v1.targets.map((t) => t.findings.map((f) => f.id)));
    // deliverable and summary.stuck in version 2's meaning: the NXDOMAIN target is unknown (null), not stuck
    assert.equal(report.targets.find((t) => t.input === 'missing.mxready.test')?.deliverable, null);
    assert.equal(report.targets.find((t) => t.input === 'backup.mxready.test')?.deliverable, true);
    assert.equal(report.summary.stuck, report.targets.filter((t) => t.deliverable === false).length);
    assert.equal(report.summary.targets, (v1.summary as { targets: number }).targets);
    assert.equal(report.depth.legacyAcceptance, true);
    assert.ok(!('requireStartTls' in report.policy));
    const table = await runCli(['report', path]);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /tls\.legacy-protocol\.accepted/);
  });

  it('Given a v1 report with an enumeration Then its suites lose the class field and the assessment holds the classes', async () => {
    const run = await runCli(['report', join(FIXTURES, 'report-v1-enumerate.json'), '--format', 'json']);
    const report = JSON.parse(run.stdout) as Report;
    assert.deepEqual(contractViolations(report), []);
    const lenient = report.targets.find((t) => t.input === 'lenient.mxready.test')?.mx[0]?.addresses[0];
    const suites = Object.values(lenient?.probe.enumeration?.ciphers ?? {}).flat();
    assert.ok(suites.length > 0);
    assert.ok(suites.every((s) => !('class' in s)));
    assert.equal(lenient?.assessment.enumeration?.classes['TLS_AES_256_GCM_SHA384'], 'good');
    assert.equal(report.depth.enumerate, true);
  });

  for (const flag of [['--policy', 'verify'], ['--min-tls', '1.3'], ['--expiry-warn', '30']]) {
    it(`Given a v1 report and ${flag.join(' ')} Then it is a usage error: its facts depend on its own policy`, async () => {
      const run = await runCli(['report', ...flag, join(FIXTURES, 'report-v1-strict.json')]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^mxready: .*a schemaVersion 1 report cannot be judged again .* scan again\n$/);
    });
  }
});
