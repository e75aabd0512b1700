/**
 * Hardening round two, class 4: DNS names are labels from the wire to the
 * report. A label that holds a dot, or any byte but letters, digits, '-' and
 * '_', makes the name unusable: it is reported in RFC 4343 presentation form
 * (mx-x\.evil.test, other bytes as \DDD) with dns.name.invalid, and never looked
 * up, dialled or used as SNI, whether it came as an MX exchange or as a CNAME
 * target.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Report, TargetReport } from '../../src/model/report.js';
import { presentLabel } from '../../src/dns/client.js';
import { runCli } from '../helpers/cli.js';
import { mxRdata, rawAnswer, startHostileDns, wireLabels, type DnsScript, type HostileDns } from './dns.js';
import { smtpSession, startHostileSmtp, type HostileSmtpLab } from './servers.js';

const ZONE = 'labels.test';
const TRAP = '127.77.44.1';
/** An ordinary MX host for the domains whose policy records are hostile. */
const PLAIN = '127.77.44.2';
const name = (labels: readonly string[]): Buffer => wireLabels(labels.map((l) => Buffer.from(l, 'latin1')));

interface Case {
  readonly label: string;
  readonly given: string;
  /** The labels of the hostile name, as bytes (latin1). */
  readonly labels: readonly string[];
  /**
   * Where it comes: as the MX exchange, or as the CNAME target of the MX host's
   * address lookup, alone (a second question would be needed) or with the
   * target's A record in the same answer, as recursive resolvers send a chain.
   */
  readonly via: 'mx' | 'cname' | 'cname-answer';
  /** How the report must spell it. */
  readonly presented: string;
  /** The name a decoder that joins labels would make of it (exists in the zone, pointing at the trap). */
  readonly joined?: string;
}

const CASES: readonly Case[] = [
  { label: 'dot-in-mx', given: 'an MX exchange whose first label holds a dot', labels: ['mx-x.evil', 'dot-in-mx', ZONE.split('.')[0] ?? '', 'test'], via: 'mx',
    presented: `mx-x\\.evil.dot-in-mx.${ZONE}`, joined: `mx-x.evil.dot-in-mx.${ZONE}` },
  { label: 'dot-mid-name', given: 'an MX exchange with a dot inside a middle label', labels: ['mx', 'a.b', 'dot-mid-name', 'labels', 'test'], via: 'mx',
    presented: `mx.a\\.b.dot-mid-name.${ZONE}`, joined: `mx.a.b.dot-mid-name.${ZONE}` },
  { label: 'dot-in-cname', given: 'a CNAME target whose first label holds a dot', labels: ['real.evil', 'dot-in-cname', 'labels', 'test'], via: 'cname',
    presented: `real\\.evil.dot-in-cname.${ZONE}`, joined: `real.evil.dot-in-cname.${ZONE}` },
  { label: 'space', given: 'an MX exchange with a space in a label', labels: ['mx x', 'space', 'labels', 'test'], via: 'mx', presented: `mx\\032x.space.${ZONE}` },
  { label: 'star', given: 'an MX exchange with a wildcard-looking label', labels: ['*', 'star', 'labels', 'test'], via: 'mx', presented: `\\042.star.${ZONE}` },
  { label: 'utf8', given: 'an MX exchange with UTF-8 in a label', labels: ['m\xc3\xbcx', 'utf8', 'labels', 'test'], via: 'mx', presented: `m\\195\\188x.utf8.${ZONE}` },
  { label: 'bidi', given: 'a CNAME target with U+202E (RIGHT-TO-LEFT OVERRIDE) in a label', labels: ['a\xe2\x80\xaeb', 'bidi', 'labels', 'test'], via: 'cname',
    presented: `a\\226\\128\\174b.bidi.${ZONE}` },
  { label: 'dot-in-chain', given: 'a CNAME target whose first label holds a dot, its A record in the same answer', labels: ['in.chain', 'dot-in-chain', 'labels', 'test'], via: 'cname-answer',
    presented: `in\\.chain.dot-in-chain.${ZONE}` },
  { label: 'nul', given: 'an MX exchange with a NUL byte in a label', labels: ['mx\x00', 'nul', 'labels', 'test'], via: 'mx', presented: `mx\\000.nul.${ZONE}` },
];

/** Domains whose _mta-sts or _smtp._tls name is a CNAME to a name with a dot inside a label. */
const POLICY_CASES = [
  { domain: `sts-dot.${ZONE}`, owner: `_mta-sts.sts-dot.${ZONE}`, labels: ['x.y', 'sts-dot', 'labels', 'test'], presented: `x\\.y.sts-dot.${ZONE}`, joined: `x.y.sts-dot.${ZONE}`, check: 'MTA-STS' },
  { domain: `rpt-dot.${ZONE}`, owner: `_smtp._tls.rpt-dot.${ZONE}`, labels: ['x.y', 'rpt-dot', 'labels', 'test'], presented: `x\\.y.rpt-dot.${ZONE}`, joined: `x.y.rpt-dot.${ZONE}`, check: 'TLS-RPT' },
] as const;

let dns: HostileDns;
let smtp: HostileSmtpLab;
let report: Report;

function target(label: string): TargetReport {
  const t = report.targets.find((x) => x.input === `${label}.${ZONE}`);
  assert.ok(t, `no target ${label}`);
  return t;
}

before(async () => {
  const scripts = new Map<string, DnsScript>();
  const records = [];
  for (const c of CASES) {
    const domain = `${c.label}.${ZONE}`;
    if (c.via === 'mx') {
      scripts.set(domain, (q, kit) => [{ bytes: q.type === 'MX' ? rawAnswer(q, [{ type: 'MX', rdata: mxRdata(10, name(c.labels)) }]) : kit.zone(q) }]);
    } else {
      records.push({ name: domain, type: 'MX' as const, data: { preference: 10, exchange: `mx.${domain}` } });
      // With the chain in one answer, the hostile name's own A record (the trap) comes along: it must not be used.
      const trapA = { type: 'A' as const, owner: name(c.labels), rdata: Buffer.from(TRAP.split('.').map(Number)) };
      scripts.set(`mx.${domain}`, (q) => [
        { bytes: rawAnswer(q, c.via === 'cname-answer' && q.type === 'A' ? [{ type: 'CNAME', rdata: name(c.labels) }, trapA] : [{ type: 'CNAME', rdata: name(c.labels) }]) },
      ]);
    }
    // The name a joining decoder would make exists, and leads to the trap.
    if (c.joined !== undefined) records.push({ name: c.joined, type: 'A' as const, data: TRAP });
  }
  for (const c of POLICY_CASES) {
    records.push({ name: c.domain, type: 'MX' as const, data: { preference: 10, exchange: `mx.${c.domain}` } }, { name: `mx.${c.domain}`, type: 'A' as const, data: PLAIN });
    scripts.set(c.owner, (q) => [{ bytes: rawAnswer(q, [{ type: 'CNAME', rdata: name(c.labels) }]) }]);
    // The joined name exists, with a record a joining decoder would use.
    records.push({ name: c.joined, type: 'TXT' as const, data: c.check === 'MTA-STS' ? 'v=STSv1; id=trap' : 'v=TLSRPTv1; rua=mailto:trap@example.test' });
  }
  dns = await startHostileDns({ records, scripts });
  smtp = await startHostileSmtp([{ ip: TRAP, script: (c) => smtpSession(c, { host: 'trap' }) }, { ip: PLAIN, script: (c) => smtpSession(c, { host: 'plain' }) }]);
  const run = await runCli(
    [...CASES.map((c) => `${c.label}.${ZONE}`), ...POLICY_CASES.map((c) => c.domain), '--resolver', `${dns.host}:${dns.port}`, '--port', String(smtp.port), '--allow-private', '--dns-timeout', '500', '--format', 'json'],
    { timeoutMs: 30_000 },
  );
  // 1: the plain MX host offers no STARTTLS (a gap), which wins over the targets not assessed (3).
  assert.equal(run.code, 1, run.stderr);
  report = JSON.parse(run.stdout) as Report;
});

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
});

describe('DNS names are kept as labels', () => {
  for (const c of CASES) {
    it(`Given ${c.given} Then it is reported as ${c.presented}, dns.name.invalid, never looked up or dialled`, () => {
      const t = target(c.label);
      const mx = t.mx[0];
      if (c.via === 'mx') assert.equal(mx?.host, c.presented);
      else assert.deepEqual(mx?.cname, [c.presented]);
      assert.equal(mx?.error?.code, 'invalid-name');
      assert.deepEqual(mx?.addresses, []);
      const finding = t.findings.find((f) => f.id === 'dns.name.invalid');
      assert.ok(finding, JSON.stringify(t.findings));
      assert.equal(finding.severity, 'warn');
      assert.ok(finding.message.includes(c.presented), finding.message);
      assert.equal(t.status, 'error');
      const asked = dns.queries.map((q) => q.name);
      if (c.joined !== undefined) assert.ok(!asked.includes(c.joined), `${c.joined} was looked up`);
      assert.ok(!asked.some((q) => q.includes('\\')), 'no escaped name is ever put in a question');
    });
  }

  for (const c of POLICY_CASES) {
    it(`Given ${c.owner} a CNAME to a name with a dot inside a label Then the ${c.check} finding is dns.name.invalid, naming it whole, and it is never looked up`, () => {
      const t = target(c.domain.split('.')[0] ?? '');
      const facts = c.check === 'MTA-STS' ? t.mtaSts : t.tlsRpt;
      assert.equal(facts?.error?.code, 'invalid-name', JSON.stringify(facts));
      const finding = t.findings.find((f) => f.id === 'dns.name.invalid');
      assert.ok(finding, JSON.stringify(t.findings));
      assert.equal(finding.severity, 'warn');
      assert.ok(finding.message.includes(`"${c.presented}"`), finding.message);
      // The label is named whole, never split at its escaped dot.
      assert.ok(finding.message.includes('label "x\\.y"'), finding.message);
      assert.ok(!t.findings.some((f) => /^(mta-sts\.fetch-error|tls-rpt\.lookup-failed)$/.test(f.id)), JSON.stringify(t.findings));
      assert.ok(!dns.queries.some((q) => q.name === c.joined), `${c.joined} was looked up`);
    });
  }

  it('Then the trap the joined names lead to saw no connection (nothing dialled, no SNI sent)', () => {
    assert.deepEqual(smtp.server(TRAP).connections, []);
  });
});

describe('presentLabel', () => {
  const cases: [string, string][] = [
    ['mx-1_a', 'mx-1_a'],
    ['a.b', 'a\\.b'],
    ['a b', 'a\\032b'],
    ['a\\b', 'a\\092b'],
    ['\x00\x7f\xff', '\\000\\127\\255'],
  ];
  for (const [bytes, presented] of cases) {
    it(`Given the label bytes ${JSON.stringify(bytes)} Then it reads ${presented}`, () => assert.equal(presentLabel(Buffer.from(bytes, 'latin1')), presented));
  }
});
