/**
 * The CI and audit formats end to end: the lab scan in every format accepted by
 * its consumer, the inventory of the lab's NDJSON stream equal to its maps and
 * to the scan's own (a 20,000-domain file: test/fleet/inventory.test.ts), GitHub annotations on
 * stderr only, and --baseline against a lab host that breaks and one that is fixed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createCa } from '../../src/lab/certs.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { startLab, type LabServerSpec } from '../../src/lab/lab.js';
import type { NdjsonEnd, NdjsonLine } from '../../src/model/ndjson.js';
import type { Report } from '../../src/model/report.js';
import { keyOfTarget } from '../../src/model/target-key.js';
import { render } from '../../src/report/index.js';
import { escapeData, escapeProperty, Annotations } from '../../src/cli/annotations.js';
import { parseTarget, targetKey } from '../../src/scan/targets.js';
import { runCli } from '../helpers/cli.js';
import { assertInventoryConsistent } from '../helpers/inventory.js';

let dir: string;
let demoJson: string;
let demoNdjson: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-ci-'));
  demoJson = join(dir, 'demo.json');
  demoNdjson = join(dir, 'demo.ndjson');
  const json = await runCli(['demo', '--format', 'json'], { timeoutMs: 90_000 });
  assert.equal(json.code, 1, json.stderr);
  writeFileSync(demoJson, json.stdout);
  const ndjson = await runCli(['demo', '--format', 'ndjson'], { timeoutMs: 90_000 });
  assert.equal(ndjson.code, 1, ndjson.stderr);
  writeFileSync(demoNdjson, ndjson.stdout);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('the lab scan in every CI format', () => {
  it('Given the saved lab scan Then markdown, junit, sarif and inventory each say what their consumer expects, with the exit code of the scan', async () => {
    const report = JSON.parse(readFileSync(demoJson, 'utf8')) as Report;
    assertInventoryConsistent(report.summary, report.targets);
    const markdown = await runCli(['report', demoJson, '--format', 'markdown']);
    assert.equal(markdown.code, 1);
    assert.match(markdown.stdout, new RegExp(`^## mxready: ${report.summary.pass} of ${report.summary.targets} destinations ready \\(policy encrypt\\)`));
    const junit = await runCli(['report', demoJson, '--format', 'junit']);
    assert.equal(XMLValidator.validate(junit.stdout), true);
    const suites = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(junit.stdout).testsuites;
    assert.deepEqual([Number(suites.tests), Number(suites.failures), Number(suites.errors)], [report.summary.targets, report.summary.fail, report.summary.error]);
    const sarif = await runCli(['report', demoJson, '--format', 'sarif']);
    const log = JSON.parse(sarif.stdout);
    const results = log.runs[0].results as unknown[];
    assert.equal(results.length, report.targets.reduce((n, t) => n + t.findings.length, 0));
    assert.ok((log.runs[0].tool.driver.rules as { id: string }[]).some((r) => r.id === 'starttls.missing'), 'the rules are the catalogue');
    const inventory = await runCli(['report', demoJson, '--format', 'inventory']);
    assert.match(inventory.stdout, /no protection/);
    assert.match(inventory.stdout, /% of destinations encrypted/);
    for (const format of ['inventory', 'markdown', 'junit', 'sarif']) {
      const run = await runCli(['merge', demoNdjson, '--format', format]);
      assert.equal(run.code, 1, `merge --format ${format}: ${run.stderr}`);
      assert.ok(run.stdout.length > 100);
    }
  });

  it('Given the lab scan as NDJSON Then report --format json rebuilds the same inventory as the scan wrote, and --format inventory shows it', async () => {
    const lines = readFileSync(demoNdjson, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine);
    const end = lines.at(-1) as NdjsonEnd;
    const rebuilt = JSON.parse((await runCli(['report', demoNdjson, '--format', 'json'])).stdout) as Report;
    assert.deepEqual(rebuilt.summary.inventory, end.summary.inventory);
    assert.deepEqual(rebuilt.summary.transparency, end.summary.transparency);
    const shown = (await runCli(['report', demoNdjson, '--format', 'inventory'])).stdout;
    assert.equal(shown, render({ ...rebuilt, summary: end.summary }, 'inventory', { color: false }));
  });
});

describe('target keys read off a report', () => {
  it('Given every kind of input Then keyOfTarget equals the key its parsed input has', () => {
    for (const input of ['example.com', 'User@Bücher.Example.', 'mx.example.net:0587', 'mx.example.net', '192.0.2.1', '192.0.2.1:2525', '::1', '[2001:db8::1]:25', '2001:db8::25']) {
      const target = parseTarget(input);
      const domain = target.kind === 'domain' ? target.domain : target.host;
      assert.equal(keyOfTarget({ input, domain, kind: target.kind }), targetKey(target), input);
    }
  });
});

describe('GitHub annotations', () => {
  it('Given text with %, CR, LF, : and , Then data and properties are escaped as the runner expects', () => {
    assert.equal(escapeData('50% done\r\nnext: a,b'), '50%25 done%0D%0Anext: a,b');
    assert.equal(escapeProperty('file:a,b%\n'), 'file%3Aa%2Cb%25%0A');
  });

  it('Given 12 fail and 3 warn findings, one from a file Then 10 errors, 3 warnings, one notice, in that order, the sourced one with file= and line=', () => {
    const base = JSON.parse(readFileSync(demoJson, 'utf8')) as Report;
    const target = { ...(base.targets[0] as Report['targets'][number]), domain: 'a.example', source: { file: 'lists/a,b.txt', line: 4 } };
    const annotations = new Annotations();
    annotations.add({ ...target, findings: Array.from({ length: 12 }, (_, i) => ({ id: `x.fail${i}`, severity: 'fail' as const, message: `bad: 100%\nreally` })) });
    annotations.add({ ...target, source: undefined, findings: Array.from({ length: 3 }, (_, i) => ({ id: `x.warn${i}`, severity: 'warn' as const, message: 'hmm', host: 'mx.a.example' })) });
    annotations.add({ ...target, findings: [{ id: 'x.old', severity: 'fail', message: 'known', baseline: 'existing' }, { id: 'x.info', severity: 'info', message: 'fyi' }] });
    const lines = annotations.lines();
    assert.equal(lines.length, 14);
    assert.equal(lines[0], '::error file=lists/a%2Cb.txt,line=4,title=x.fail0::a.example: bad: 100%25%0Areally\n');
    assert.equal(lines[10], '::warning title=x.warn0::a.example (mx.a.example): hmm\n');
    assert.equal(lines[13], '::notice::2 more findings\n');
  });

  it('Given GITHUB_ACTIONS=true Then annotations go to stderr and stdout is byte-identical to a run without it; --no-annotations and other values give none', async () => {
    const plain = await runCli(['report', demoJson, '--format', 'table'], { env: { GITHUB_ACTIONS: '' } });
    const actions = await runCli(['report', demoJson, '--format', 'table'], { env: { GITHUB_ACTIONS: 'true' } });
    assert.equal(actions.stdout, plain.stdout);
    assert.equal(actions.code, plain.code);
    assert.doesNotMatch(plain.stderr, /::/);
    const errors = actions.stderr.split('\n').filter((l) => l.startsWith('::error '));
    assert.ok(errors.length > 0 && errors.length <= 10);
    assert.match(actions.stderr, /^::error title=starttls\.missing::plaintext\.mxready\.test/m);
    const off = await runCli(['report', demoJson, '--no-annotations'], { env: { GITHUB_ACTIONS: 'true' } });
    assert.doesNotMatch(off.stderr, /::/);
    const other = await runCli(['report', demoJson], { env: { GITHUB_ACTIONS: '1' } });
    assert.doesNotMatch(other.stderr, /::/);
  });
});

describe('--baseline', () => {
  let tls: { key: string; cert: string };
  let caFile: string;
  const records: LabZoneRecord[] = ['a', 'b', 'c'].flatMap((x, i) => [
    { name: `${x}.base.test`, type: 'MX' as const, data: { preference: 10, exchange: `mx.${x}.base.test` } },
    { name: `mx.${x}.base.test`, type: 'A' as const, data: `127.0.67.${i + 1}` },
  ]);

  before(async () => {
    const ca = await createCa({ commonName: 'baseline CA' });
    const cert = await ca.issue({ commonName: 'mx.base.test', dnsNames: ['*.a.base.test', '*.b.base.test', '*.c.base.test'] });
    tls = { key: cert.keyPem, cert: cert.chainPem };
    caFile = join(dir, 'base-ca.pem');
    writeFileSync(caFile, ca.certPem);
  });

  /** a, b, c: each with STARTTLS or without. */
  async function scanLab(starttls: Record<'a' | 'b' | 'c', boolean>, extra: string[]): Promise<{ code: number | null; report: Report; stderr: string }> {
    const servers: LabServerSpec[] = (['a', 'b', 'c'] as const).map((x, i) => ({ ip: `127.0.67.${i + 1}`, hostname: `mx.${x}.base.test`, starttls: starttls[x], tls }));
    const lab = await startLab({ servers, records });
    try {
      const args = ['a.base.test', 'b.base.test', 'c.base.test', '--resolver', `${lab.dns.host}:${lab.dns.port}`, '--port', String(lab.port), '--ca-file', caFile, '--allow-private', '--no-dane', '--no-mta-sts', '--no-tls-rpt', '--no-progress', '--format', 'json', ...extra];
      const run = await runCli(args, { timeoutMs: 60_000 });
      return { code: run.code, report: run.code === 2 ? ({} as Report) : (JSON.parse(run.stdout) as Report), stderr: run.stderr };
    } finally {
      await lab.close();
    }
  }

  it('Given a saved scan, then one host that breaks and one that is fixed Then exactly one new finding, the fixed one listed, exit 1; against the current state, exit 0 although targets fail', async () => {
    const first = await scanLab({ a: true, b: false, c: false }, []);
    assert.equal(first.code, 1);
    const saved = join(dir, 'baseline.json');
    writeFileSync(saved, JSON.stringify(first.report));

    const second = await scanLab({ a: false, b: true, c: false }, ['--baseline', saved]);
    assert.equal(second.code, 1);
    const marks = second.report.targets.flatMap((t) => t.findings.filter((f) => f.severity !== 'info').map((f) => [t.domain, f.id, f.baseline]));
    assert.deepEqual(marks.filter(([, , b]) => b === 'new'), [['a.base.test', 'starttls.missing', 'new']]);
    assert.deepEqual(marks.filter(([d]) => d === 'c.base.test').map(([, , b]) => b), ['existing']);
    assert.equal(second.report.baseline?.new, second.report.targets.flatMap((t) => t.findings).filter((f) => f.baseline === 'new').length);
    assert.ok(second.report.baseline?.fixedList.some((f) => f.key === 'domain:b.base.test' && f.id === 'starttls.missing' && f.host === 'mx.b.base.test'));
    assert.equal(second.report.targets.find((t) => t.domain === 'a.base.test')?.status, 'fail', 'status is not changed by a baseline');

    const current = join(dir, 'current.json');
    writeFileSync(current, JSON.stringify(second.report));
    const third = await scanLab({ a: false, b: true, c: false }, ['--baseline', current]);
    assert.equal(third.code, 0, 'nothing new, though a and c fail');
    assert.equal(third.report.summary.fail, 2);
    assert.equal(third.report.baseline?.new, 0);
  });

  it('Given a baseline as NDJSON, under another policy Then it is read as a stream and one stderr line warns; an unreadable or invalid one is exit 2 before scanning', async () => {
    const lines = join(dir, 'baseline.ndjson');
    const servers: LabServerSpec[] = (['a', 'b', 'c'] as const).map((x, i) => ({ ip: `127.0.67.${i + 1}`, hostname: `mx.${x}.base.test`, starttls: x !== 'c', tls }));
    const lab = await startLab({ servers, records });
    try {
      const common = ['a.base.test', 'b.base.test', 'c.base.test', '--resolver', `${lab.dns.host}:${lab.dns.port}`, '--port', String(lab.port), '--ca-file', caFile, '--allow-private', '--no-dane', '--no-mta-sts', '--no-tls-rpt', '--no-progress'];
      const saved = await runCli([...common, '--format', 'ndjson', '--policy', 'verify']);
      writeFileSync(lines, saved.stdout);
      const against = await runCli([...common, '--format', 'ndjson', '--baseline', lines]);
      assert.equal(against.code, 0, against.stderr);
      assert.equal(against.stderr.split('\n').filter((l) => l.includes('--baseline')).length, 1);
      assert.match(against.stderr, /judged under policy "verify"/);
      const end = JSON.parse(against.stdout.trim().split('\n').at(-1) as string) as NdjsonEnd;
      assert.equal(end.baseline?.new, 0);
      const sessions = lab.smtp.reduce((n, s) => n + s.sessions, 0);
      const missing = await runCli([...common, '--baseline', join(dir, 'nope.json')]);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /cannot read --baseline ".*nope\.json": no such file/);
      const badFile = join(dir, 'bad-baseline.json');
      writeFileSync(badFile, '{"schemaVersion": 2, "targets": 3}');
      const bad = await runCli([...common, '--baseline', badFile]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--baseline/);
      assert.equal(lab.smtp.reduce((n, s) => n + s.sessions, 0), sessions, 'a bad baseline stops the run before any connection');
    } finally {
      await lab.close();
    }
  });

  it('Given targets from -f FILE Then each carries source, SARIF has the file location and annotations name file and line', async () => {
    const servers: LabServerSpec[] = (['a', 'b', 'c'] as const).map((x, i) => ({ ip: `127.0.67.${i + 1}`, hostname: `mx.${x}.base.test`, starttls: x === 'a', tls }));
    const lab = await startLab({ servers, records });
    try {
      const list = join(dir, 'targets.txt');
      writeFileSync(list, '# lab\na.base.test\n\nb.base.test\n');
      const common = ['-f', list, '--resolver', `${lab.dns.host}:${lab.dns.port}`, '--port', String(lab.port), '--ca-file', caFile, '--allow-private', '--no-dane', '--no-mta-sts', '--no-tls-rpt', '--no-progress'];
      const sarif = await runCli([...common, '--format', 'sarif'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
      assert.equal(sarif.code, 1);
      const result = (JSON.parse(sarif.stdout).runs[0].results as { ruleId: string; locations: { physicalLocation?: unknown }[] }[]).find((r) => r.ruleId === 'starttls.missing');
      assert.deepEqual(result?.locations[0]?.physicalLocation, { artifactLocation: { uri: 'targets.txt' }, region: { startLine: 4 } });
      assert.match(sarif.stderr, /^::error file=targets\.txt,line=4,title=starttls\.missing::b\.base\.test/m);
      const streamed = await runCli([...common, '--format', 'ndjson'], { cwd: dir });
      const b = streamed.stdout.trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine).find((l) => l.type === 'target' && l.target.domain === 'b.base.test');
      assert.ok(b?.type === 'target');
      assert.deepEqual(b.target.source, { file: 'targets.txt', line: 4 });
    } finally {
      await lab.close();
    }
  });
});
