/**
 * The table fits the terminal: at 80 and 120 columns, with and without colour,
 * no line is wider (counted in terminal columns), every target kind renders,
 * text is made inert before it is laid out and coloured, and the stuck
 * destinations are marked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { displayWidth, wrap } from '../../src/report/layout.js';
import { renderTable } from '../../src/report/index.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { notScannedTarget } from '../../src/scan/assemble.js';
import { summarize } from '../../src/scan/summary.js';
import { reportFrom } from '../helpers/checks.js';
import { certificate, failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI, '');

function resolved(input: string, domain: string, ips: string[], extra: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    input, domain, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: ips.length === 0 ? [] : [{ name: `mx.${domain}`, preference: 10, addresses: ips }],
    ...extra,
  };
}

/** Every kind of target the table must lay out, with long names, wide characters and hostile text. */
function everyKind(): Report {
  const longName = `${'very-long-label-'.repeat(3)}x.${'sub.'.repeat(6)}example`;
  const inputs: ResolvedTarget[] = [
    resolved('grün.example', 'xn--grn-hoa.example', ['8.8.8.1']),
    resolved('postmaster@plain.example', 'plain.example', ['8.8.8.2']),
    resolved('old.example', 'old.example', ['8.8.8.3']),
    resolved('null.example', 'null.example', [], { mxSource: 'null' }),
    resolved('nx.example', 'nx.example', [], { mxSource: 'none', error: { code: 'nxdomain', message: 'nx.example does not exist (NXDOMAIN)' } }),
    resolved(longName, longName, ['8.8.8.4']),
    resolved('東京.example', 'xn--1lqs71d.example', ['2001:4860::1']),
    resolved('backup.example', 'backup.example', ['8.8.8.1'], {
      hosts: [{ name: 'mx.grün.example', preference: 10, addresses: ['8.8.8.1'] }, { name: 'mx.plain.example', preference: 20, addresses: ['8.8.8.2'] }],
    }),
    { input: '8.8.8.5:2525', domain: '8.8.8.5', kind: 'host', mxSource: 'none', nullMxMixed: false, mxSkipped: 0, port: 2525, fromDns: false, ipLiteral: true,
      hosts: [{ name: '8.8.8.5', preference: 0, addresses: ['8.8.8.5'] }] },
  ];
  const plan = planScan(inputs, { allowPrivate: false });
  const hostile = `evil \u001b[31mred\u001b[0m \u202e reversed \u0085 ${'A'.repeat(300)}`;
  const probes = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe({ banner: hostile, certificate: certificate({ subject: `CN=${'long-subject-'.repeat(20)}`, hostnameMatch: false }) })],
    ['8.8.8.2|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain ESMTP', extensions: ['8BITMIME'] })],
    ['8.8.8.3|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1' }), legacyCheck: 'negotiated' })],
    ['8.8.8.4|25', failedProbe('timeout', 'greeting', 'greeting-timeout')],
    ['[2001:4860::1]|25', okProbe()],
    ['2001:4860::1|25', okProbe()],
    ['8.8.8.5|2525', okProbe({ sni: null })],
  ]);
  const report = reportFrom(plan, probes, PRESETS.encrypt);
  const interrupted = notScannedTarget('late.example', 'late.example', 'domain');
  const targets = [...report.targets, interrupted];
  return { ...report, targets, summary: summarize(targets) };
}

describe('the table at a terminal width', () => {
  const report = everyKind();
  for (const width of [80, 120]) {
    for (const color of [false, true]) {
      it(`Given every target kind at ${width} columns ${color ? 'with' : 'without'} colour Then no line is wider than the terminal`, () => {
        const text = renderTable(report, { color, width });
        const lines = text.split('\n');
        const wide = lines.filter((line) => displayWidth(line) > width);
        assert.deepEqual(wide.map((l) => `${displayWidth(l)}: ${plain(l)}`), []);
        if (color) assert.match(text, /\u001b\[31m/);
        else assert.doesNotMatch(text, ANSI);
      });
    }
  }

  it('Then text is made inert before it is laid out: no raw control or bidi character, no newline shown as \\x0A', () => {
    for (const color of [false, true]) {
      const text = plain(renderTable(report, { color, width: 80 }));
      assert.doesNotMatch(text, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      assert.doesNotMatch(text, /\\x0A/);
      assert.match(text, /plain\.example \(postmaster@plain\.example\)/, 'the input beside the domain, on one line of its own');
    }
  });

  it('Then every destination has a row with its verdict and delivery, and the stuck ones are marked', () => {
    const text = plain(renderTable(report, { color: false, width: 120 }));
    const row = (name: string) => text.split('\n').find((l) => l.includes(name) && /^(PASS|FAIL|ERROR) /.test(l)) ?? '';
    assert.match(row('plain.example (postmaster'), /^FAIL\s+stuck\s/);
    assert.match(row('old.example'), /^FAIL\s+stuck\s.*TLSv1\s+opportunistic\s+tls\.version\.below-minimum/);
    assert.match(row('backup.example'), /^FAIL\s+delivers\s.*2\/2/);
    assert.match(row('null.example'), /^PASS\s+no mail\s/);
    assert.match(row('nx.example'), /^ERROR\s+unknown\s.*nxdomain/);
    assert.match(row('late.example'), /^ERROR\s+unknown\s.*not-scanned/);
    assert.match(row('8.8.8.5'), /^PASS\s+delivers/);
    assert.match(text, /\d+ stuck \(every address assessed, none meets the policy/);
  });

  it('Then each address has its block: status, TLS, certificate, its findings without repeating where', () => {
    const text = plain(renderTable(report, { color: false, width: 120 }));
    assert.match(text, /mx\.old\.example \(10\) {2}8\.8\.8\.3:25 {2}ok {2}GAP/);
    assert.match(text, /tls {3}TLSv1 only/);
    assert.match(text, /FAIL tls\.version\.below-minimum {2}speaks only TLSv1/);
    assert.match(text, /cert {2}CN=long-subject-/);
    assert.match(text, /\[2001:4860::1\]:25/);
  });

  it('Given --wide Then the full grid keeps every row on one line each', () => {
    const text = renderTable(report, { color: false, wide: true });
    assert.match(text, /┌/);
    assert.match(text, /^│ stuck +│/m, "the stuck destination marked in its cell");
    assert.doesNotMatch(text, /\\x0A/);
  });
});

describe('wrap', () => {
  it('Given a word longer than the line Then it is broken, and no line is wider', () => {
    assert.deepEqual(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    assert.deepEqual(wrap('ab cdefghij kl', 5), ['ab', 'cdefg', 'hij', 'kl']);
  });
  it('Given wide characters Then each counts two columns', () => {
    for (const line of wrap('東京東京東京 mx', 5)) assert.ok(displayWidth(line) <= 5, line);
  });
  it('Given a first line with less room Then only it is shorter', () => {
    assert.deepEqual(wrap('aa bb cc dd', 2, 5), ['aa', 'bb cc', 'dd']);
  });
});
