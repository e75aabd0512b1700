/**
 * Renderers paint from the marks evaluation stored, never from their own idea of
 * what is good: the inventory's protocol cells and the table's TLS column follow
 * the policy's minimum (--min-tls), and the table's Protection column follows
 * the mark stored for the level.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { PRESETS, withOverrides } from '../../src/policy/presets.js';
import { render, renderTable } from '../../src/report/index.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { reportFrom } from '../helpers/checks.js';
import { failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const YELLOW = '\u001b[33m';
const plain = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');

function resolved(domain: string, ip: string): ResolvedTarget {
  return { input: domain, domain, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false, hosts: [{ name: `mx.${domain}`, preference: 10, addresses: [ip] }] };
}

/** Four destinations: TLS 1.3, TLS 1.2, TLS 1.0 and no STARTTLS, judged under --min-tls `minTls`. */
function judgedUnder(minTls: string): Report {
  const plan = planScan([resolved('v13.example', '8.8.8.1'), resolved('v12.example', '8.8.8.2'), resolved('v10.example', '8.8.8.3'), resolved('plain.example', '8.8.8.4')], { allowPrivate: false });
  const probes = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.3', cipher: { name: 'TLS_AES_128_GCM_SHA256', standardName: 'TLS_AES_128_GCM_SHA256' } }) })],
    ['8.8.8.2|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) })],
    ['8.8.8.3|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1', cipher: { name: 'ECDHE-RSA-AES128-SHA', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA' } }), legacyCheck: 'negotiated' })],
    ['8.8.8.4|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'mx ESMTP' })],
  ]);
  return reportFrom(plan, probes, withOverrides(PRESETS.encrypt, { minTls }));
}

/** The inventory line whose protocol cell is `protocol`, as painted. */
function inventoryLine(report: Report, protocol: string): string {
  const line = render(report, 'inventory', { color: true }).split('\n').find((l) => plain(l).startsWith(`│ ${protocol} `) || plain(l).includes(` ${protocol} `) && plain(l).includes('TLS_'));
  assert.ok(line, protocol);
  return line;
}

describe('the inventory paints each protocol by the mark evaluation stored on its row', () => {
  const cases: [string, Record<string, 'ok' | 'warn' | 'gap'>][] = [
    ['1.0', { 'TLSv1.3': 'ok', 'TLSv1.2': 'ok', TLSv1: 'ok', none: 'gap' }],
    ['1.2', { 'TLSv1.3': 'ok', 'TLSv1.2': 'ok', TLSv1: 'gap', none: 'gap' }],
    ['1.3', { 'TLSv1.3': 'ok', 'TLSv1.2': 'gap', TLSv1: 'gap', none: 'gap' }],
  ];
  for (const [minTls, marks] of cases) {
    it(`Given --min-tls ${minTls} When judged Then each row's protocolMark says whether it meets it, and only the gaps are red`, () => {
      const report = judgedUnder(minTls);
      const stored = Object.fromEntries((report.summary.inventory ?? []).map((row) => [row.protocol, row.protocolMark]));
      assert.deepEqual(stored, marks);
      for (const protocol of ['TLSv1.3', 'TLSv1.2', 'TLSv1']) {
        const line = inventoryLine(report, protocol);
        if (marks[protocol] === 'gap') assert.ok(line.includes(`${RED}${protocol}`), `${protocol} red under ${minTls}: ${JSON.stringify(line)}`);
        else assert.ok(!line.includes(RED) && !line.includes(YELLOW), `${protocol} plain under ${minTls}: ${JSON.stringify(line)}`);
      }
      assert.match(render(report, 'inventory', { color: true }), new RegExp(`\\u001b\\[31mno protection`));
    });
  }

  it('Given a warning severity for tls.version.below-minimum When judged Then the row is yellow, not red', () => {
    const plan = planScan([resolved('v12.example', '8.8.8.2')], { allowPrivate: false });
    const policy = { ...withOverrides(PRESETS.encrypt, { minTls: '1.3' }), findings: { 'tls.version.below-minimum': 'warn' as const } };
    const report = reportFrom(plan, new Map([['8.8.8.2|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) })]]), policy);
    assert.equal(report.summary.inventory?.[0]?.protocolMark, 'warn');
    assert.ok(inventoryLine(report, 'TLSv1.2').includes(`${YELLOW}TLSv1.2`));
  });

  it('Given a saved row without a mark (a report made before it) Then the renderer does not guess: plain', () => {
    const report = judgedUnder('1.3');
    const old: Report = { ...report, summary: { ...report.summary, inventory: (report.summary.inventory ?? []).map(({ protocolMark: _m, ...row }) => row) } };
    assert.doesNotMatch(inventoryLine(old, 'TLSv1.2'), /\u001b\[3[13]m/);
  });
});

/** The destination row of `domain` in the table, as painted. */
function tableRow(report: Report, domain: string): string {
  const line = renderTable(report, { color: true, width: 120 }).split('\n').find((l) => plain(l).includes(domain) && /PASS|FAIL|ERROR/.test(plain(l)));
  assert.ok(line, domain);
  return line;
}

describe("the table's TLS column follows the minimum", () => {
  it('Given TLS 1.2 When judged under --min-tls 1.2 and 1.3 Then it is green, then red; TLS 1.0 is green only under 1.0', () => {
    assert.ok(tableRow(judgedUnder('1.2'), 'v12.example').includes(`${GREEN}TLSv1.2`));
    assert.ok(tableRow(judgedUnder('1.3'), 'v12.example').includes(`${RED}TLSv1.2`));
    assert.ok(tableRow(judgedUnder('1.0'), 'v10.example').includes(`${GREEN}TLSv1\u001b`));
    assert.ok(tableRow(judgedUnder('1.2'), 'v10.example').includes(`${RED}TLSv1\u001b`));
  });
});

describe("the table's Protection column paints the stored mark", () => {
  function withProtection(target: TargetReport, level: NonNullable<TargetReport['protection']>['level'], mark: 'ok' | 'warn' | 'gap' | null | undefined): TargetReport {
    const hosts = { none: 0, opportunistic: 0, 'mta-sts-testing': 0, 'mta-sts-enforce': 0, dane: 0, [level]: 1 };
    return { ...target, protection: { level, mandatory: false, authenticated: false, deliverable: true, hosts, ...(mark !== undefined ? { mark } : {}) } };
  }
  const cases: [NonNullable<TargetReport['protection']>['level'], 'ok' | 'warn' | 'gap' | null | undefined, string | null][] = [
    ['dane', 'gap', RED],
    ['dane', 'ok', GREEN],
    ['none', 'ok', GREEN],
    ['opportunistic', 'warn', YELLOW],
    ['mta-sts-enforce', null, null],
    ['dane', undefined, null],
  ];
  for (const [level, mark, colour] of cases) {
    it(`Given level ${level} with mark ${String(mark)} Then the cell is ${colour === null ? 'plain' : 'painted by the mark'}`, () => {
      const report = judgedUnder('1.2');
      const targets = report.targets.map((t) => (t.domain === 'v13.example' ? withProtection(t, level, mark) : t));
      const row = tableRow({ ...report, targets }, 'v13.example');
      const label = level === 'mta-sts-enforce' ? 'mta-sts' : level; // 'mta-sts enforce' wraps in its 13 columns
      const at = row.lastIndexOf(label);
      assert.ok(at > 0, row);
      const before = row.slice(0, at);
      if (colour === null) assert.ok(!before.endsWith('m'), `plain: ${JSON.stringify(row)}`);
      else assert.ok(before.endsWith(colour), `${JSON.stringify(colour)}: ${JSON.stringify(row)}`);
    });
  }
});
