import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { parseSavedReport } from '../../src/cli/saved-report.js';
import { renderJson, renderTable } from '../../src/report/index.js';
import { renderJsonPieces } from '../../src/report/json.js';
import { reportFrom } from '../helpers/checks.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';
import type { ProbeResult } from '../../src/model/probe.js';

function resolved(name: string, ips: string[], mxSource: ResolvedTarget['mxSource'] = 'mx'): ResolvedTarget {
  return {
    input: name, domain: name, kind: 'domain', mxSource, nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: ips.length === 0 ? [] : [{ name: `mx.${name}`, preference: 10, addresses: ips }],
  };
}

function buildReport(): Report {
  const inputs = [resolved('grün.example', ['8.8.8.1']), resolved('plain.example', ['8.8.8.2']), resolved('old.example', ['8.8.8.3']), resolved('null.example', [], 'null')];
  const plan = planScan(inputs, { allowPrivate: false });
  const results = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe({ banner: 'evil \u001b[31mred\u001b[0m \u0085 banner' })],
    ['8.8.8.2|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain ESMTP', extensions: ['8BITMIME'] })],
    ['8.8.8.3|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) })],
  ]);
  return reportFrom(plan, results, PRESETS.encrypt);
}

describe('summary', () => {
  it('Given three probed addresses, one without TLS Then the inventory counts them', () => {
    const { summary } = buildReport();
    assert.equal(summary.targets, 4);
    assert.equal(summary.pass, 3);
    assert.equal(summary.fail, 1);
    assert.equal(summary.stuck, 1);
    assert.equal(summary.probes, 3);
    assert.equal(summary.tlsProbes, 2);
    assert.equal(summary.tls12OrBetterProbes, 2);
    assert.deepEqual(summary.byProtocol, { 'TLSv1.3': 1, none: 1, 'TLSv1.2': 1 });
    assert.deepEqual(summary.byCertificateKey, { 'ec 256': 2, none: 1 });
  });
});

describe('renderTable', () => {
  it('Given a report without colour Then it shows verdicts, finding ids and the summary, with no escape bytes', () => {
    const text = renderTable(buildReport(), { color: false });
    assert.match(text, /grün\.example/);
    assert.match(text, /starttls\.missing/);
    assert.match(text, /dns\.null-mx/);
    assert.match(text, /Targets\s+4: 3 pass, 1 fail, 0 could not be assessed; 1 stuck/);
    assert.match(text, /3 addresses: 2 negotiated TLS \(67%\), 2 TLS 1\.2 or better \(67%\)/);
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
  it('Given colour Then ANSI codes appear', () => {
    assert.match(renderTable(buildReport(), { color: true }), /\u001b\[31m/);
  });
});

describe('renderJson', () => {
  it('Given hostile text in a banner Then the JSON escapes ESC and C1 and parses back to the same report', () => {
    const report = buildReport();
    const json = renderJson(report);
    assert.doesNotMatch(json, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(report)));
  });
  for (const count of [0, 1, 63, 64, 65, 130]) {
    it(`Given ${count} targets When rendered in pieces Then the pieces join to exactly renderJson's text, a few targets a piece`, () => {
      const base = buildReport();
      const targets = Array.from({ length: count }, (_, i) => base.targets[i % base.targets.length]).filter((t) => t !== undefined);
      const report: Report = { ...base, targets };
      const pieces = [...renderJsonPieces(report)];
      assert.equal(pieces.join(''), renderJson(report));
      assert.equal(pieces.length, 2 + Math.ceil(count / 64));
    });
  }
  it('Given a saved report When parsed back Then it round-trips, its raw control characters escaped; a wrong schema is a usage error', () => {
    const report = buildReport();
    // The factory's banner holds a raw ESC and U+0085, as no scan stores them: loading escapes them as the scan would have.
    const loaded = parseSavedReport(renderJson(report), 'r.json').report;
    const banner = (r: Report) => r.targets[0]?.mx[0]?.addresses[0]?.probe.banner;
    assert.equal(banner(loaded), 'evil \\x1B[31mred\\x1B[0m \\u0085 banner');
    const bannerPath = ['targets', 0, 'mx', 0, 'addresses', 0, 'probe', 'banner'] as const;
    const expected = JSON.parse(JSON.stringify(report)) as Record<string, unknown>;
    let at: Record<string | number, unknown> = expected;
    for (const key of bannerPath.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
    at['banner'] = banner(loaded);
    assert.deepEqual(loaded, expected);
    assert.throws(() => parseSavedReport('{"schemaVersion":3}', 'r.json'), /"r\.json": unsupported schemaVersion 3 \(this mxready reads 1 and 2\)/);
    assert.throws(() => parseSavedReport('{"schemaVersion":2}', 'r.json'), /"r\.json": not a valid mxready report \(schemaVersion 2\): the report must have required property/);
    assert.throws(() => parseSavedReport('not json', 'r.json'), /"r\.json": not valid JSON/);
  });
});
