/**
 * The CI and audit formats over hand-built reports: the inventory's marginals,
 * Markdown, JUnit and SARIF each accepted by its consumer's rules, hostile text
 * inert in every one, and baseline marks shown.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { FINDINGS } from '../../src/policy/findings.js';
import { PRESETS } from '../../src/policy/presets.js';
import { render } from '../../src/report/index.js';
import { escapeMarkdown, MAX_MARKDOWN_BYTES } from '../../src/report/markdown.js';
import { escapeXml } from '../../src/report/junit.js';
import { fingerprint, renderSarifObject } from '../../src/report/sarif.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { summarize } from '../../src/scan/summary.js';
import { keyOfTarget as reportKey } from '../../src/model/target-key.js';
import { reportFrom } from '../helpers/checks.js';
import { assertInventoryConsistent } from '../helpers/inventory.js';
import { certificate, failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

const HOSTILE = 'evil | *bold* _it_ `code` [link](x) <script>alert(1)</script> & \u0001\u001b[31mred\u007f';

function resolved(domain: string, hosts: [string, string[]][]): ResolvedTarget {
  return {
    input: domain, domain, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: hosts.map(([name, addresses], i) => ({ name, preference: 10 * (i + 1), addresses })),
  };
}

/** A report with every kind of record: TLS 1.3, 1.2 with RSA, TLS 1.0, no STARTTLS, a refused connection, a hostile STARTTLS refusal. */
function sample(): Report {
  const plan = planScan(
    [
      resolved('good.example', [['mx.good.example', ['8.8.8.1']]]),
      resolved('mixed.example', [['mx.good.example', ['8.8.8.1']], ['mx.plain.example', ['8.8.8.2']]]),
      resolved('old.example', [['mx.old.example', ['8.8.8.3']]]),
      resolved('down.example', [['mx.down.example', ['8.8.8.4']]]),
      resolved('evil.example', [['mx.evil.example', ['8.8.8.5']]]),
      resolved('rsa.example', [['mx.rsa.example', ['8.8.8.6', '8.8.8.1']]]),
    ],
    { allowPrivate: false },
  );
  const probes = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe()],
    ['8.8.8.2|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain ESMTP', extensions: ['8BITMIME'] })],
    ['8.8.8.3|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1' }), legacyCheck: 'negotiated' })],
    ['8.8.8.4|25', failedProbe('connection-refused', 'connect', 'connect-refused')],
    [
      '8.8.8.5|25',
      failedProbe('starttls-rejected', 'starttls', 'starttls-rejected', {
        banner: HOSTILE,
        starttls: true,
        error: { phase: 'starttls', code: 'starttls-rejected', message: `STARTTLS was answered 454 ${HOSTILE}`, reply: { code: 454, lines: [HOSTILE] } },
      }),
    ],
    ['8.8.8.6|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }), certificate: certificate({ keyType: 'rsa', keyBits: 2048 }) })],
  ]);
  return reportFrom(plan, probes, PRESETS.encrypt);
}

describe('summary.inventory and summary.transparency', () => {
  const report = sample();

  it('Given records of every kind Then each marginal (with unreached on none) is its by… map, and domains are brute-forced', () => {
    assertInventoryConsistent(report.summary, report.targets);
    assert.equal(report.summary.unreached, 1, 'the refused connection got no greeting');
    const none = report.summary.inventory?.find((r) => r.protocol === 'none');
    assert.deepEqual(none && { ...none }, { protocol: 'none', cipher: 'none', keyExchange: 'none', certificateKey: 'none', protocolMark: 'gap', addresses: 2, domains: 2 });
  });

  it('Given destinations with records Then the shares are encrypted or TLS 1.2+ on every record, over destinations with a record', () => {
    // good, mixed (a plaintext MX), old (TLSv1), evil (refused), rsa: 5 with a record; down has none.
    assert.deepEqual(report.summary.transparency, { destinations: 5, encrypted: 3, tls12OrBetter: 2, encryptedShare: 3 / 5, tls12OrBetterShare: 2 / 5 });
    const empty = summarize([]);
    assert.deepEqual(empty.transparency, { destinations: 0, encrypted: 0, tls12OrBetter: 0, encryptedShare: 0, tls12OrBetterShare: 0 });
  });

  it('Given --format inventory Then "no protection" is spelt out and the transparency line follows; with colour off, no escape codes', () => {
    const text = render(report, 'inventory', { color: false });
    assert.match(text, /no protection/);
    assert.match(text, /60\.0 % of destinations encrypted, 40\.0 % at TLS 1\.2 or better/);
    assert.doesNotMatch(text, /\u001b/);
    assert.match(render(report, 'inventory', { color: true }), /\u001b\[31mno protection/);
  });
});

describe('--format markdown', () => {
  const report = sample();
  const text = render(report, 'markdown', { color: false });

  it('Given the sample Then the headline, the counts, a row per failing target, and the inventory in <details>', () => {
    assert.match(text, /^## mxready: 2 of 6 destinations ready \(policy encrypt\)\n/);
    assert.match(text, /\*\*pass\*\* 2 · \*\*fail\*\* 3 · \*\*error\*\* 1 · \*\*stuck\*\* 2/);
    assert.match(text, /<details><summary>Inventory: 5 connection records, 1 unreached<\/summary>/);
    const rows = text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| domain') && !l.startsWith('| protocol') && !/^\| (TLS|no protection)/.test(l));
    assert.deepEqual(rows.map((r) => r.split(' | ')[0]?.slice(2)), ['mixed.example', 'old.example', 'evil.example', 'down.example'], 'fail first, then error');
  });

  it('Given hostile server text Then no raw HTML, emphasis, code or link reaches the Markdown, and every table row keeps its columns', () => {
    assert.doesNotMatch(text, /<script>/);
    for (const line of text.split('\n').filter((l) => l.startsWith('|'))) {
      const unescapedPipes = line.replace(/\\\|/g, '').split('|').length - 1;
      assert.ok(unescapedPipes === 6 || unescapedPipes === 8, `${unescapedPipes} cell borders in ${line}`);
    }
    assert.equal(escapeMarkdown(HOSTILE), 'evil \\| \\*bold\\* \\_it\\_ \\`code\\` \\[link\\](x) &lt;script&gt;alert(1)&lt;/script&gt; &amp; \\\\x01\\\\x1B\\[31mred\\\\x7F');
  });

  it('Given 1,200 failing targets Then 1,000 rows and "… and 200 more"; given huge messages Then the output stops under 1 MiB with a note', () => {
    const failing = report.targets.find((t) => t.status === 'fail') as TargetReport;
    const many = { ...report, targets: Array.from({ length: 1200 }, (_, i) => ({ ...failing, domain: `d${i}.example`, input: `d${i}.example` })) };
    const out = render(many, 'markdown', { color: false });
    assert.equal(out.split('\n').filter((l) => /^\| d\d+\.example /.test(l)).length, 1000);
    assert.match(out, /… and 200 more/);
    const huge = { ...failing, findings: failing.findings.map((f) => ({ ...f, id: `${f.id}${'x'.repeat(5000)}` })) };
    const big = render({ ...report, targets: Array.from({ length: 400 }, () => huge) }, 'markdown', { color: false });
    assert.ok(Buffer.byteLength(big) <= MAX_MARKDOWN_BYTES, `${Buffer.byteLength(big)} bytes`);
    assert.match(big, /cut at 1 MiB/);
  });
});

describe('--format junit', () => {
  const report = sample();
  const text = render(report, 'junit', { color: false });

  it('Given the sample Then it is well-formed XML whose counts equal the summary, one test case per target', () => {
    assert.equal(XMLValidator.validate(text), true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => name === 'testcase' }).parse(text);
    const suites = doc.testsuites;
    assert.equal(Number(suites.tests), report.summary.targets);
    assert.equal(Number(suites.failures), report.summary.fail);
    assert.equal(Number(suites.errors), report.summary.error);
    const cases = suites.testsuite.testcase as { name: string; classname: string; failure?: { type: string } }[];
    assert.equal(cases.length, report.targets.length);
    assert.deepEqual(cases.filter((c) => c.failure).map((c) => [c.name, c.failure?.type]), [
      ['mixed.example', 'starttls.missing'],
      ['old.example', 'tls.version.below-minimum'],
      ['evil.example', 'starttls.rejected'],
    ]);
    assert.deepEqual(cases.filter((c) => (c as { error?: unknown }).error !== undefined).map((c) => c.name), ['down.example']);
    assert.equal(cases[0]?.classname, 'mxready.domain');
  });

  it('Given hostile text Then it is escaped and the characters XML 1.0 forbids are \\xNN text', () => {
    assert.doesNotMatch(text, /<script>/);
    assert.doesNotMatch(text, /[\u0001\u001b]/);
    assert.equal(escapeXml('a<b>&"\'\u0001\u001b\ufffe'), 'a&lt;b&gt;&amp;&quot;&apos;\\x01\\x1b\\ufffe');
  });

  it('Given a baseline Then only a target with a new fail finding is a failure', () => {
    const marked: Report = {
      ...report,
      baseline: { file: 'old.json', new: 1, existing: 0, fixed: 0, fixedList: [] },
      targets: report.targets.map((t) => ({ ...t, findings: t.findings.map((f) => ({ ...f, baseline: t.domain === 'old.example' ? ('new' as const) : ('existing' as const) })) })),
    };
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(render(marked, 'junit', { color: false }));
    assert.equal(Number(doc.testsuites.failures), 1);
  });
});

describe('--format sarif', () => {
  const schema = JSON.parse(readFileSync(fileURLToPath(new URL('../../../test/fixtures/sarif/sarif-2.1.0.json', import.meta.url)), 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', () => true);
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  const validate = ajv.compile(schema);

  it('Given the sample, with a source file on one target and baseline marks Then the log validates against the official SARIF 2.1.0 schema', () => {
    const report = sample();
    const targets = report.targets.map((t, i) => (i === 1 ? { ...t, source: { file: 'lists/domains.txt', line: 7 }, findings: t.findings.map((f) => ({ ...f, baseline: 'new' as const })) } : t));
    const log = renderSarifObject({ ...report, targets }, FINDINGS);
    assert.equal(validate(log), true, JSON.stringify(validate.errors?.slice(0, 3)));
    const run = (log['runs'] as { tool: { driver: { rules: { id: string }[] } }; results: Record<string, unknown>[] }[])[0];
    assert.ok(run !== undefined);
    for (const result of run.results) assert.equal(run.tool.driver.rules[result['ruleIndex'] as number]?.id, result['ruleId']);
    const mixed = run.results.filter((r) => JSON.stringify(r['locations']).includes('mixed.example'));
    assert.ok(mixed.length > 0);
    for (const r of mixed) {
      assert.equal(r['baselineState'], 'new');
      assert.deepEqual((r['locations'] as Record<string, unknown>[])[0]?.['physicalLocation'], { artifactLocation: { uri: 'lists/domains.txt' }, region: { startLine: 7 } });
    }
    const first = targets[1] as TargetReport;
    const f = first.findings[0];
    assert.ok(f);
    assert.equal((mixed[0]?.['partialFingerprints'] as Record<string, string>)['mxready/v1'], fingerprint(reportKey(first), f));
    const levels = new Set(run.results.map((r) => r['level']));
    assert.ok(levels.has('error') && levels.has('warning'));
  });

  it('Given hostile text Then the JSON carries it escaped and parses back to the same message', () => {
    const text = render(sample(), 'sarif', { color: false });
    assert.doesNotMatch(text, /[\u0001\u001b\u007f]/);
    const log = JSON.parse(text);
    assert.ok(JSON.stringify(log).includes('alert(1)'));
  });
});
