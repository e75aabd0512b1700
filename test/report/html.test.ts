/**
 * The HTML report, pure: hostile values escaped, nothing the browser would
 * fetch, the CSP, the charts' bars, and the row cap with its note.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { connectionRowCount, CSP, escapeHtml, MAX_HTML_ROWS } from '../../src/report/html.js';
import { render } from '../../src/report/index.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { reportFrom } from '../helpers/checks.js';
import { certificate, failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

const SUBJECT = '</td><script>window.__pwned=1</script>';
const BANNER = '"><img src=x onerror=window.__pwned=1>';

function domains(n: number, ip: (i: number) => string): ResolvedTarget[] {
  return Array.from({ length: n }, (_, i) => ({
    input: `d${i}.example`, domain: `d${i}.example`, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: [{ name: `mx.d${i}.example`, preference: 10, addresses: [ip(i)] }],
  }));
}

function hostile(): Report {
  const plan = planScan(
    [
      ...domains(3, (i) => `8.8.8.${i + 1}`),
      { input: 'evil.example', domain: 'evil.example', kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
        hosts: [{ name: 'mx.evil.example', preference: 10, addresses: ['8.8.9.9'] }] },
    ],
    { allowPrivate: false },
  );
  const probes = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe()],
    ['8.8.8.2|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) })],
    ['8.8.8.3|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain' })],
    ['8.8.9.9|25', okProbe({ banner: `${BANNER}\u0007\u202e`, certificate: certificate({ subject: `CN=${SUBJECT}\u200f`, hostnameMatch: false }) })],
  ]);
  return reportFrom(plan, probes, PRESETS.encrypt);
}

describe('--format html', () => {
  const text = render(hostile(), 'html', { color: false });

  it('Given hostile certificate subjects and banners Then they appear escaped, never as markup, with control and bidi characters made visible', () => {
    assert.doesNotMatch(text, /<script>window/);
    assert.doesNotMatch(text, /<img/);
    assert.ok(text.includes(escapeHtml(`CN=${SUBJECT}`)), 'the subject is in the table, escaped');
    assert.ok(text.includes('&lt;/td&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;'));
    assert.ok(text.includes('&quot;&gt;&lt;img src=x onerror=window.__pwned=1&gt;'), 'the banner is in a title, escaped');
    assert.doesNotMatch(text, /[\u0007\u202e\u200f]/);
    assert.match(text, /\\u202E/);
    // The only <script> is the page's own, once.
    assert.equal(text.match(/<script>/g)?.length, 1);
  });

  it('Given the page Then it fetches nothing: no src or href with a scheme, no url( or @import, and the CSP says so', () => {
    assert.match(text, /^<!doctype html>\n/);
    assert.ok(text.includes(`<meta http-equiv="Content-Security-Policy" content="${CSP}">`));
    assert.equal(CSP, "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
    assert.doesNotMatch(text, /\b(?:src|href)\s*=\s*["']?[a-z][a-z0-9+.-]*:/i);
    assert.doesNotMatch(text, /url\(|@import/i);
    assert.doesNotMatch(text, /innerHTML\s*=/);
    assert.match(text, /<meta charset="utf-8">/);
  });

  it('Given byProtocol Then the protocol chart has one bar per key, its width proportional to its count', () => {
    const report = hostile();
    const chart = /<svg id="chart-protocols"[\s\S]*?<\/svg>/.exec(text)?.[0] ?? '';
    const bars = [...chart.matchAll(/<rect class="bar" data-key="([^"]*)" data-count="(\d+)" x="\d+" y="\d+" width="([\d.]+)"/g)];
    assert.deepEqual(bars.map((b) => b[1]).sort(), Object.keys(report.summary.byProtocol).sort());
    const max = Math.max(...bars.map((b) => Number(b[2])));
    for (const bar of bars) assert.ok(Math.abs(Number(bar[3]) / 420 - Number(bar[2]) / max) < 0.01, `bar ${bar[1]}`);
  });

  it('Given status Then it is never shown by colour alone: a symbol and a word beside it', () => {
    assert.match(text, /<span class="st st-fail">✘ fail<\/span>/);
    assert.match(text, /<span class="st st-pass">✔ pass<\/span>/);
  });

  it(`Given ${MAX_HTML_ROWS + 1} connection rows Then the table holds ${MAX_HTML_ROWS} and a note names the one left out and where to find it`, () => {
    const plan = planScan(domains(MAX_HTML_ROWS + 1, (i) => `9.${Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`), { allowPrivate: false });
    const big = reportFrom(plan, new Map(plan.probes.map((p) => [p.key, okProbe()])), PRESETS.encrypt);
    assert.equal(connectionRowCount(big), MAX_HTML_ROWS + 1);
    const html = render(big, 'html', { color: false });
    const tbody = html.slice(html.indexOf('<table class="data" id="connections">'));
    assert.equal(tbody.match(/<tr>/g)?.length, MAX_HTML_ROWS + 1, 'the header row and 50,000 rows');
    assert.match(html, /1 of 50001 connection rows are left out .*--format json.*--format ndjson/);
  });
});
