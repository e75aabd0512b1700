/**
 * The hostile lab, end to end (issue 5): loopback SMTP, TLS and DNS servers that
 * misbehave on purpose, one scenario each (scenarios.ts), scanned through the
 * built CLI. Every scenario must end with its documented status, phase and code
 * within its deadline plus one second, in every run; good hosts scanned among
 * all of them must be reported exactly as when scanned alone; hostile text must
 * never reach any output raw; addresses in guarded ranges are never dialled.
 *
 * Runs (each a child process of bin/mxready.js, --timeout 3000 --dns-timeout 300):
 *   mixed-json   every scenario but the guard ones + good hosts, --allow-private, JSON on stdout and --json
 *   mixed-table  the same again with --trace, table on stdout and --json (statuses must not change between runs)
 *   alone        the good hosts only, --allow-private (the reference for the mixed scan)
 *   guard        the guard scenarios, without --allow-private, plus one named relay as a control
 *   baseline     one NXDOMAIN target: what starting and stopping the CLI costs here
 * mixed-json runs alone so the servers' clocks can time its DNS phase; the others run concurrently.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isIPv6, SocketAddress } from 'node:net';
import { join } from 'node:path';
import type { Report, TargetReport } from '../../src/model/report.js';
import type { ProbeResult } from '../../src/model/probe.js';
import { contractViolations } from '../helpers/contract.js';
import { startHostileDns, type HostileDns } from './dns.js';
import { jsonStringViolations, rawOutputViolations, textViolations } from './inert.js';
import { runCliRaw, type RawRun } from './run.js';
import {
  BANNER_ESCAPES,
  defineHostileLab,
  DNS_ATTEMPTS,
  DNS_DEADLINE_MS,
  DNS_TIMEOUT_MS,
  INJECTED,
  PROBE_TIMEOUT_MS,
  SLACK_MS,
  ZONE,
  type HostileLabSpec,
  type Scenario,
} from './scenarios.js';
import { startHostileSmtp, type HostileSmtpLab } from './servers.js';

interface Scan {
  readonly name: string;
  readonly run: RawRun;
  /** The report from stdout (JSON runs) or from the --json file (table runs). */
  readonly report: Report;
  readonly jsonFile: Buffer;
}

let dns: HostileDns;
let smtp: HostileSmtpLab;
let dir: string;
let mixedJson: Scan;
let mixedTable: Scan;
let alone: Scan;
let guard: Scan;
let baseline: RawRun;

// The scenario table declares the tests, so it is built at load time; that makes keys and certificates, no traffic.
const spec: HostileLabSpec = await defineHostileLab();
const mixedScenarios = spec.scenarios.filter((s) => s.group !== 'guard');
const guardScenarios = spec.scenarios.filter((s) => s.group === 'guard');
const goodScenarios = spec.scenarios.filter((s) => s.group === 'good');

/** Starting node and loading the CLI, and exiting: not the scan's business, bounded loosely (2 cores, other tests running). */
const STARTUP_ALLOWANCE_MS = 2_000;

function commonArgs(): string[] {
  return [
    '--resolver', `${dns.host}:${dns.port}`,
    '--port', String(smtp.port),
    '--ca-file', join(dir, 'ca.pem'),
    '--timeout', String(PROBE_TIMEOUT_MS),
    '--dns-timeout', String(DNS_TIMEOUT_MS),
    '--concurrency', '100',
    '--no-progress',
  ];
}

async function scan(name: string, targets: readonly string[], extra: readonly string[], format: 'json' | 'table'): Promise<Scan> {
  const file = join(dir, `${name}.json`);
  const run = await runCliRaw([...targets, ...commonArgs(), ...extra, '--format', format, '--json', file]);
  let jsonFile = Buffer.alloc(0);
  try {
    jsonFile = readFileSync(file);
  } catch {
    // asserted below
  }
  const source = format === 'json' ? run.stdout : jsonFile;
  let report: Report;
  try {
    report = JSON.parse(source.toString('utf8')) as Report;
  } catch {
    throw new Error(`${name}: no JSON report (exit ${run.code}, signal ${run.signal}); stderr: ${run.stderr.toString('utf8').slice(0, 2000)}`);
  }
  return { name, run, report, jsonFile };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-hostile-'));
  writeFileSync(join(dir, 'ca.pem'), spec.caPem);
  dns = await startHostileDns({ records: spec.records, scripts: spec.dnsScripts });
  smtp = await startHostileSmtp(spec.servers);
  baseline = await runCliRaw([`nxdomain.${ZONE}`, ...commonArgs(), '--format', 'json']);
  mixedJson = await scan('mixed-json', mixedScenarios.map((s) => s.target), ['--allow-private'], 'json');
  [mixedTable, alone, guard] = await Promise.all([
    scan('mixed-table', mixedScenarios.map((s) => s.target), ['--allow-private', '--trace'], 'table'),
    scan('alone', goodScenarios.map((s) => s.target), ['--allow-private'], 'json'),
    scan('guard', [...guardScenarios.map((s) => s.target), `mx.good-modern.${ZONE}:${smtp.port}`], [], 'json'),
  ]);
}, { timeout: 90_000 });

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
  // MXREADY_HOSTILE_KEEP=1 keeps the reports and outputs for a look.
  if (dir && process.env['MXREADY_HOSTILE_KEEP'] === '1') {
    for (const scan of [mixedJson, mixedTable, alone, guard]) {
      if (scan === undefined) continue;
      writeFileSync(join(dir, `${scan.name}.stdout`), scan.run.stdout);
      writeFileSync(join(dir, `${scan.name}.stderr`), scan.run.stderr);
    }
    console.log(`hostile lab outputs kept in ${dir}`);
  } else if (dir) {
    rmSync(dir, { recursive: true, force: true });
  }
});

function target(report: Report, domain: string): TargetReport {
  const t = report.targets.find((x) => x.domain === domain || x.input === domain);
  assert.ok(t, `no target ${domain} in the report`);
  return t;
}

function firstProbe(t: TargetReport): ProbeResult | undefined {
  return t.mx[0]?.addresses[0]?.probe;
}

function ids(t: TargetReport): string[] {
  return [...new Set(t.findings.map((f) => f.id))].sort();
}

function brief(t: TargetReport): string {
  const p = firstProbe(t);
  const probe = p === undefined ? 'no probe' : `probe ${p.status}/${p.error?.phase ?? '-'}/${p.error?.code ?? '-'} in ${p.timings.totalMs} ms`;
  return `target ${t.status} (${t.error?.code ?? '-'}), dns ${t.dns.mxSource}/${t.dns.error?.code ?? '-'}, ${probe}, findings ${ids(t).join(',')}`;
}

/** Asserts a scenario's documented outcome on one report. */
function assertOutcome(s: Scenario, report: Report): void {
  const t = target(report, s.target);
  const e = s.expect;
  const seen = brief(t);
  assert.equal(t.status, e.target, `target status; saw ${seen}`);
  if (e.dnsError !== undefined) assert.equal(t.dns.error?.code, e.dnsError, `dns.error.code; saw ${seen}`);
  if (e.mxSource !== undefined) assert.equal(t.dns.mxSource, e.mxSource, `dns.mxSource; saw ${seen}`);
  if (e.mxError !== undefined) assert.equal(t.mx[0]?.error?.code, e.mxError, `mx[0].error.code; saw ${seen}`);
  if (e.targetError !== undefined) assert.equal(t.error?.code, e.targetError, `target error.code; saw ${seen}`);
  if (e.probe !== undefined) {
    const p = firstProbe(t);
    assert.ok(p, `a probe result; saw ${seen}`);
    assert.equal(p.status, e.probe.status, `probe status; saw ${seen}`);
    if (e.probe.phase !== undefined) assert.equal(p.error?.phase, e.probe.phase, `error.phase; saw ${seen}`);
    if (e.probe.codes !== undefined) assert.ok(e.probe.codes.includes(p.error?.code ?? ''), `error.code one of ${e.probe.codes.join('/')}; saw ${seen}`);
    if (e.probe.replyCode !== undefined) assert.equal(p.error?.reply?.code, e.probe.replyCode, `error.reply.code; saw ${seen}`);
    if (e.probe.legacyCheck === false) assert.equal(p.legacyCheck, undefined, `no legacy-check session; saw ${seen}`);
  }
  for (const id of e.findings ?? []) assert.ok(ids(t).includes(id), `finding ${id}; saw ${seen}`);
  for (const id of e.notFindings ?? []) assert.ok(!ids(t).includes(id), `no finding ${id}; saw ${seen}`);
  // Elapsed: each probe of the target within the deadline plus the slack (DNS work is timed by the servers, below).
  for (const a of t.mx.flatMap((mx) => mx.addresses)) {
    const ms = a.probe.timings.totalMs;
    assert.ok(ms <= PROBE_TIMEOUT_MS + SLACK_MS, `${a.ip}: ${a.probe.status} after ${ms} ms; saw ${seen}`);
    if (s.maxTotalMs !== undefined) assert.ok(ms <= s.maxTotalMs, `${a.ip}: ${a.probe.status} after ${ms} ms (at most ${s.maxTotalMs}); saw ${seen}`);
    // A deadline that fires early is as wrong as one that fires late: the greeting may take the whole probe deadline.
    if (a.probe.status === 'timeout') assert.ok(ms >= PROBE_TIMEOUT_MS - 50, `${a.ip}: timed out after only ${ms} ms; saw ${seen}`);
  }
  if (s.probedIp !== undefined) assert.equal(canonicalIp(t.mx[0]?.addresses[0]?.ip ?? ''), canonicalIp(s.probedIp), `the address reported; saw ${seen}`);
  assert.ok(!ids(t).includes('probe.internal-error') && t.error?.code !== 'internal-error', `no internal error; saw ${seen}`);
}

/** One spelling per address ("::ffff:7f00:1" and "::ffff:127.0.0.1" are the same). */
function canonicalIp(ip: string): string {
  return isIPv6(ip) ? new SocketAddress({ address: ip, family: 'ipv6' }).address : ip;
}

/** The deadline a scenario runs under, in words. */
function deadlineOf(s: Scenario): string {
  if (s.deadlineMs === PROBE_TIMEOUT_MS) return `the probe deadline ${PROBE_TIMEOUT_MS}`;
  const probes = s.expect.probe !== undefined && s.expect.probe.status !== 'refused-private';
  return probes ? `DNS ${DNS_DEADLINE_MS} and the probe deadline ${PROBE_TIMEOUT_MS}` : `DNS ${DNS_DEADLINE_MS} (${DNS_ATTEMPTS} × ${DNS_TIMEOUT_MS})`;
}

function expectation(s: Scenario): string {
  const e = s.expect;
  const parts = [`target ${e.target}`];
  if (e.probe) parts.push(`probe ${e.probe.status}${e.probe.phase ? ` (phase ${e.probe.phase})` : ''}${e.probe.codes ? ` ${e.probe.codes.join('|')}` : ''}`);
  if (e.dnsError) parts.push(`dns.error.code ${e.dnsError}`);
  if (e.targetError) parts.push(`error.code ${e.targetError}`);
  if (e.mxError) parts.push(`mx[0].error.code ${e.mxError}`);
  if (e.mxSource) parts.push(`mxSource ${e.mxSource}`);
  if (e.findings?.length) parts.push(`findings ${e.findings.join(', ')}`);
  return parts.join(', ');
}

// ---------------------------------------------------------------- the checker itself

describe('the inert-output checker (so its silence means something)', () => {
  const cases: [string, Buffer, boolean][] = [
    ['plain ASCII with TAB, CR, LF', Buffer.from('a\tb\r\nc'), true],
    ['non-ASCII text', Buffer.from('Prüfung — ok', 'utf8'), true],
    ['an escaped ESC', Buffer.from('\\x1B[31m', 'latin1'), true],
    ['a raw ESC', Buffer.from('\x1b[31m', 'latin1'), false],
    ['a raw DEL', Buffer.from('a\x7fb', 'latin1'), false],
    ['a raw NUL', Buffer.from('a\x00b', 'latin1'), false],
    ['a raw C1 byte 0x9b (not UTF-8)', Buffer.from('a\x9bb', 'latin1'), false],
    ['U+0085 as UTF-8', Buffer.from('a\u0085b', 'utf8'), false],
    ['invalid UTF-8 0xff', Buffer.from([0x61, 0xff]), false],
    ['an overlong 0xc0 0xaf', Buffer.from([0xc0, 0xaf]), false],
    ['a surrogate 0xed 0xa0 0x80', Buffer.from([0xed, 0xa0, 0x80]), false],
    ['a raw RIGHT-TO-LEFT OVERRIDE U+202E', Buffer.from('a\u202eb', 'utf8'), false],
    ['a raw FIRST STRONG ISOLATE U+2068', Buffer.from('a\u2068b', 'utf8'), false],
    ['a raw LINE SEPARATOR U+2028', Buffer.from('a\u2028b', 'utf8'), false],
    ['a raw ZERO WIDTH SPACE U+200B', Buffer.from('a\u200bb', 'utf8'), false],
    ['an escaped \\u202E', Buffer.from('a\\u202Eb', 'utf8'), true],
  ];
  for (const [name, bytes, inert] of cases) {
    it(`Given ${name} Then it is ${inert ? 'accepted' : 'flagged'}`, () => {
      assert.equal(rawOutputViolations(bytes).length === 0, inert);
    });
  }
  it('Given a JSON value with a CR or ESC in a string Then it is flagged with its path', () => {
    assert.match(jsonStringViolations({ a: [{ b: 'x\ry' }] })[0] ?? '', /^\$\.a\[0\]\.b: U\+000D/);
    assert.match(jsonStringViolations({ a: 'x\u001by' })[0] ?? '', /U\+001B/);
    assert.deepEqual(jsonStringViolations({ a: 'line\nnext\ttab' }), []);
  });
});

// ---------------------------------------------------------------- every scenario, every run

describe('the mixed scan (every scenario and the good hosts, --allow-private)', () => {
  for (const which of ['mixed-json', 'mixed-table'] as const) {
    const get = (): Scan => (which === 'mixed-json' ? mixedJson : mixedTable);
    it(`When ${which} runs Then it exits 1 (gaps exist) with a report that meets the contract and no stack trace`, () => {
      const scan = get();
      assert.equal(scan.run.signal, null, `${which} was killed`);
      assert.equal(scan.run.code, 1, scan.run.stderr.toString('utf8'));
      assert.deepEqual(contractViolations(scan.report), []);
      assert.equal(scan.report.targets.length, mixedScenarios.length);
      assert.doesNotMatch(scan.run.stderr.toString('utf8'), /\n\s+at |Error:|ERR_/);
    });
    for (const s of mixedScenarios) {
      it(`Given ${s.given} (${s.id}) When ${which} scans ${s.target} Then ${expectation(s)}, within ${deadlineOf(s)} + ${SLACK_MS} ms`, () =>
        assertOutcome(s, get().report));
    }
  }

  it('Then the --json file of the JSON run holds the same report as its stdout', () => {
    assert.deepEqual(JSON.parse(mixedJson.jsonFile.toString('utf8')), mixedJson.report);
  });
});

// ---------------------------------------------------------------- deadlines

describe('deadlines: every scenario ends within its deadline plus one second', () => {
  it('Given a server that never answers QUIT Then, seen from the server, each session was closed promptly (QUIT delays nothing)', () => {
    const ip = target(mixedJson.report, `quit-ignored.${ZONE}`).mx[0]?.addresses[0]?.ip;
    assert.ok(ip);
    const connections = smtp.server(ip).connections;
    assert.ok(connections.length >= 2);
    for (const c of connections) assert.ok(c.closedAt !== null && c.closedAt - c.openedAt <= 1_500, `open for ${c.closedAt === null ? 'ever' : Math.round(c.closedAt - c.openedAt)} ms`);
  });

  it('Then the trickling server saw its connection closed although it was still sending bytes', () => {
    const s = mixedScenarios.find((x) => x.id === 'tcp.trickle-greeting');
    const ip = s && target(mixedJson.report, s.target).mx[0]?.addresses[0]?.ip;
    assert.ok(ip);
    const connections = smtp.server(ip).connections;
    assert.ok(connections.length >= 2, 'one connection per mixed run');
    for (const c of connections) assert.ok(c.closedAt !== null && c.closedAt - c.openedAt <= PROBE_TIMEOUT_MS + SLACK_MS);
  });

  /** mixed-json ran alone: its DNS queries and SMTP connections are those inside its lifetime. */
  function mixedJsonWindow(): { firstQuery: number; firstAccept: number; lastClose: number } {
    const inRun = (at: number): boolean => at >= mixedJson.run.startedAt && at <= mixedJson.run.endedAt;
    const queries = dns.queries.filter((q) => inRun(q.at));
    const connections = spec.servers.flatMap((s) => smtp.server(s.ip).connections).filter((c) => inRun(c.openedAt));
    assert.ok(queries.length > 0 && connections.length > 0);
    return {
      firstQuery: Math.min(...queries.map((q) => q.at)),
      firstAccept: Math.min(...connections.map((c) => c.openedAt)),
      lastClose: Math.max(...connections.map((c) => c.closedAt ?? Number.POSITIVE_INFINITY)),
    };
  }

  it(`Then the DNS phase of mixed-json (first query → first SMTP connection, timed by the servers) took at most ${DNS_DEADLINE_MS} + ${SLACK_MS} ms`, () => {
    const { firstQuery, firstAccept } = mixedJsonWindow();
    const dnsPhase = firstAccept - firstQuery;
    assert.ok(dnsPhase <= DNS_DEADLINE_MS + SLACK_MS, `the DNS phase took ${Math.round(dnsPhase)} ms`);
    // The dropped lookup really waited for its three attempts.
    assert.ok(dnsPhase >= DNS_DEADLINE_MS - 50, `the DNS phase took only ${Math.round(dnsPhase)} ms: were the retries skipped?`);
  });

  it(`Then the probe phase of mixed-json (first connection → last close, timed by the servers) took at most ${PROBE_TIMEOUT_MS} + ${SLACK_MS} ms, and the CLI exited within ${SLACK_MS} ms of it`, (t) => {
    const { firstQuery, firstAccept, lastClose } = mixedJsonWindow();
    t.diagnostic(`mixed-json: start→first query ${Math.round(firstQuery - mixedJson.run.startedAt)} ms, DNS ${Math.round(firstAccept - firstQuery)} ms, probes ${Math.round(lastClose - firstAccept)} ms, last close→exit ${Math.round(mixedJson.run.endedAt - lastClose)} ms`);
    assert.ok(lastClose - firstAccept <= PROBE_TIMEOUT_MS + SLACK_MS, `the probe phase took ${Math.round(lastClose - firstAccept)} ms`);
    assert.ok(mixedJson.run.endedAt - lastClose <= SLACK_MS, `the CLI exited ${Math.round(mixedJson.run.endedAt - lastClose)} ms after the last connection closed`);
  });

  it(`Then every CLI run ended within DNS ${DNS_DEADLINE_MS} + probe ${PROBE_TIMEOUT_MS} + ${SLACK_MS} ms, plus at most ${STARTUP_ALLOWANCE_MS} ms to start and stop node`, (t) => {
    t.diagnostic(`wall ms: baseline (one NXDOMAIN) ${Math.round(baseline.wallMs)}, ${[mixedJson, mixedTable, alone, guard].map((x) => `${x.name} ${Math.round(x.run.wallMs)}`).join(', ')}`);
    for (const scan of [mixedJson, mixedTable, alone, guard]) {
      const budget = STARTUP_ALLOWANCE_MS + DNS_DEADLINE_MS + PROBE_TIMEOUT_MS + SLACK_MS;
      assert.ok(scan.run.wallMs <= budget, `${scan.name} took ${Math.round(scan.run.wallMs)} ms (budget ${budget})`);
    }
  });
});

// ---------------------------------------------------------------- scenario details

describe('scenario details', () => {
  it('Given every UDP query dropped When resolved Then the client made its 3 attempts, then reported dns-timeout', () => {
    const q = dns.queries.filter((x) => x.name === `drop.${ZONE}` && x.type === 'MX' && x.at >= mixedJson.run.startedAt && x.at <= mixedJson.run.endedAt);
    assert.equal(q.length, 3, `queries seen: ${q.length}`);
    assert.ok(q.every((x) => x.transport === 'udp'));
    assert.equal(new Set(q.map((x) => x.id)).size, 3, 'a fresh id per attempt');
  });

  it('Given truncated UDP answers When resolved Then the client asked again over TCP and used that answer', () => {
    const tcp = dns.queries.filter((x) => x.name === `truncated.${ZONE}` && x.type === 'MX' && x.transport === 'tcp');
    assert.ok(tcp.length >= 1);
    assert.equal(target(mixedJson.report, `truncated.${ZONE}`).mx[0]?.host, `mx.truncated.${ZONE}`);
  });

  it('Given forged answers (wrong id, wrong question, wrong source) When resolved Then the real MX is used and no trap was ever dialled', () => {
    for (const label of ['wrong-id', 'wrong-question', 'wrong-source']) {
      assert.equal(target(mixedJson.report, `${label}.${ZONE}`).mx[0]?.host, `mx.${label}.${ZONE}`, label);
    }
  });

  it('Given every trap address (forgeries, SERVFAIL/REFUSED fallbacks, MX names that look like addresses, guarded loopback) Then it saw no connection in any run', () => {
    const traps = new Set(spec.scenarios.flatMap((s) => s.traps ?? []));
    assert.ok(traps.size >= 6);
    for (const ip of traps) assert.equal(smtp.server(ip).connections.length, 0, `${ip} was dialled`);
  });

  it('Given an MX exchange that looks like an address When scanned Then it was looked up as a name', () => {
    const q = dns.queries.filter((x) => x.name === '127.77.9.9' && (x.type === 'A' || x.type === 'AAAA'));
    assert.ok(q.length >= 1, 'no A/AAAA query for the name "127.77.9.9"');
    const t = target(mixedJson.report, `mx-ip-literal.${ZONE}`);
    assert.deepEqual(t.mx[0]?.addresses, []);
  });

  it('Given plaintext injected after the 220 When probed Then exactly those bytes were discarded and none reached the EHLO inside TLS', () => {
    for (const scan of [mixedJson, mixedTable]) {
      const p = firstProbe(target(scan.report, `starttls-injected.${ZONE}`));
      assert.equal(p?.plaintextDiscardedBytes, Buffer.byteLength(INJECTED, 'latin1'), scan.name);
      assert.ok((p?.extensionsAfterTls ?? []).length > 0);
      assert.ok(!(p?.extensionsAfterTls ?? []).some((line) => line.includes('INJECTED')), JSON.stringify(p?.extensionsAfterTls));
      assert.equal(p?.tls?.protocol, 'TLSv1.3');
    }
  });

  it('Given a server that speaks only TLS 1.0 When probed Then the legacy check\'s session is the record: TLSv1', () => {
    const p = firstProbe(target(mixedJson.report, `tls10-only.${ZONE}`));
    assert.equal(p?.legacyCheck, 'negotiated');
    assert.equal(p?.tls?.protocol, 'TLSv1');
  });

  it('Given a server that does not speak TLS at all after the 220 (alert, plaintext) Then no legacy version is claimed for it', () => {
    for (const label of ['alert-protocol-version', 'alert-handshake-failure', 'plaintext-instead-of-serverhello', 'reset-mid-handshake']) {
      const p = firstProbe(target(mixedJson.report, `${label}.${ZONE}`));
      assert.ok(p?.legacyCheck !== 'negotiated' && p?.tls === undefined, `${label}: legacyCheck ${String(p?.legacyCheck)}, tls ${JSON.stringify(p?.tls)}`);
    }
  });

  it('Given a certificate DER the X.509 parser rejects When probed Then the TLS facts are kept and the certificate is omitted', () => {
    const p = firstProbe(target(mixedJson.report, `unparsable-certificate.${ZONE}`));
    assert.ok(p?.tls, 'TLS facts kept');
    assert.equal(p?.certificate, undefined);
  });

  it('Given EHLO refused and HELO accepted Then the report says STARTTLS could not be negotiated, with no extensions', () => {
    const p = firstProbe(target(mixedJson.report, `ehlo-rejected.${ZONE}`));
    assert.equal(p?.starttls, false);
    assert.deepEqual(p?.extensions, []);
    assert.match(p?.error?.message ?? '', /EHLO/);
  });

  it('Given greetings 421 and 554 Then both keep the banner and are told apart from "no STARTTLS"', () => {
    for (const [label, code] of [['greeting-421', 421], ['greeting-554', 554]] as const) {
      const p = firstProbe(target(mixedJson.report, `${label}.${ZONE}`));
      assert.notEqual(p?.status, 'no-starttls');
      assert.equal(p?.error?.reply?.code, code);
      assert.ok((p?.banner ?? '').length > 0, `${label}: banner kept`);
    }
  });

  it('Given a CNAME loop and an overlong chain Then neither was followed for ever (a bounded number of queries)', () => {
    for (const label of ['cname-loop', 'cname-overlong']) {
      const q = dns.queries.filter((x) => x.name.endsWith(`${label}.${ZONE}`) && x.at >= mixedJson.run.startedAt && x.at <= mixedJson.run.endedAt);
      assert.ok(q.length <= 30, `${label}: ${q.length} queries`);
    }
  });

  it('Given the MX exchange is a CNAME Then the MX entry records the alias chain', () => {
    const mx = target(mixedJson.report, `mx-cname.${ZONE}`).mx[0];
    assert.deepEqual(mx?.cname, [`real.dns-mx-cname.${ZONE}`]);
  });
});

// ---------------------------------------------------------------- hostile text stays inert

describe('hostile text stays inert', () => {
  const outputs = (): [string, Buffer][] => [
    ['mixed-json stdout (JSON)', mixedJson.run.stdout],
    ['mixed-json stderr', mixedJson.run.stderr],
    ['mixed-json --json file', mixedJson.jsonFile],
    ['mixed-table stdout (table)', mixedTable.run.stdout],
    ['mixed-table stderr', mixedTable.run.stderr],
    ['mixed-table --json file', mixedTable.jsonFile],
    ['guard stdout', guard.run.stdout],
    ['guard stderr', guard.run.stderr],
  ];
  for (const name of ['mixed-json stdout (JSON)', 'mixed-json stderr', 'mixed-json --json file', 'mixed-table stdout (table)', 'mixed-table stderr', 'mixed-table --json file', 'guard stdout', 'guard stderr']) {
    it(`Given banners, EHLO lines, replies and certificates full of control bytes Then ${name} holds no C0 (but TAB/LF/CR), DEL, C1 or non-UTF-8 byte`, () => {
      const bytes = outputs().find(([n]) => n === name)?.[1];
      assert.ok(bytes);
      assert.deepEqual(rawOutputViolations(bytes), []);
    });
  }

  it('Then no string in the JSON report carries a control character once parsed (jq -r prints them raw), DNS-named text aside', () => {
    const others = { ...mixedJson.report, targets: mixedJson.report.targets.filter((t) => t.domain !== `hostile-dns-names.${ZONE}`) };
    assert.deepEqual(jsonStringViolations(others), []);
  });

  it('Given MX exchanges and a CNAME target whose labels carry control bytes Then mx hosts, CNAME chains, errors and findings carry them escaped once parsed', () => {
    // Labels are octet strings (RFC 2181 §11); a name is network text like a banner. Escaped, the names stay
    // legible (RFC 4343's \DDD or the sanitiser's \xNN) and `jq -r .targets[].mx[].host` cannot drive a terminal.
    const t = target(mixedJson.report, `hostile-dns-names.${ZONE}`);
    assert.deepEqual(jsonStringViolations(t), []);
  });

  it('Given an MX exchange label with bytes that are not UTF-8 (0xff 0xfe 0x85 0x9b) Then the host shows them as escapes, not as U+FFFD', () => {
    const host = target(mixedJson.report, `hostile-dns-names.${ZONE}`).mx.find((m) => m.preference === 30)?.host ?? '';
    assert.ok(!host.includes('\uFFFD'), `bytes lost as U+FFFD: ${JSON.stringify(host)}`);
    assert.match(host, /\\xFF|\\255/i, `0xff not escaped: ${JSON.stringify(host)}`);
  });

  it('Then the hostile banner is kept with each hostile byte escaped: invalid UTF-8 as \\xNN, C1 code points as \\u00NN', () => {
    const banner = firstProbe(target(mixedJson.report, `hostile-text.${ZONE}`))?.banner ?? '';
    for (const escape of BANNER_ESCAPES) assert.ok(banner.includes(escape), `banner lacks ${escape}: ${JSON.stringify(banner)}`);
    assert.equal(banner.split('\n').length, 4, 'one line per greeting line');
  });

  it('Given --trace Then the dialogue with the hostile server shows every hostile byte escaped, in the JSON and in the table', () => {
    const p = firstProbe(target(mixedTable.report, `hostile-text.${ZONE}`));
    const entries = (p?.transcript ?? []).flatMap((session) => session.entries);
    const greeting = entries.filter((e) => e.kind === 'received' && e.text.startsWith('220')).map((e) => e.text).join('\n');
    for (const escape of BANNER_ESCAPES) assert.ok(greeting.includes(escape), `transcript greeting lacks ${escape}: ${JSON.stringify(greeting)}`);
    assert.ok(entries.some((e) => e.kind === 'sent' && e.text === 'STARTTLS'));
    for (const e of entries) assert.deepEqual(textViolations(e.text, new Set()), [], e.text);
    const table = mixedTable.run.stdout.toString('utf8');
    const trace = table.slice(table.lastIndexOf('\nTrace\n'));
    assert.ok(trace.length > 10, 'the table has a Trace section');
    assert.ok(trace.includes('\\x1B[31mRED'), 'the escaped ESC sequence of the banner is in the trace');
  });

  it('Then the hostile EHLO lines, before and inside TLS, are kept escaped and STARTTLS was still recognised', () => {
    const p = firstProbe(target(mixedJson.report, `hostile-text.${ZONE}`));
    assert.equal(p?.status, 'ok');
    assert.ok(p?.extensions.includes('X-\\x1B[31mRED\\x1B[0m'), JSON.stringify(p?.extensions));
    assert.ok(p?.extensions.some((l) => l.includes('\\x7F') && l.includes('\\x85') && l.includes('\\x9B')), JSON.stringify(p?.extensions));
    assert.ok(p?.extensionsAfterTls?.some((l) => l.includes('\\x1B[2J')), JSON.stringify(p?.extensionsAfterTls));
    for (const line of [...(p?.extensions ?? []), ...(p?.extensionsAfterTls ?? [])]) assert.deepEqual(textViolations(line, new Set([0x09])), [], line);
  });

  it('Then the hostile certificate is summarised with every field escaped', () => {
    const cert = firstProbe(target(mixedJson.report, `hostile-text.${ZONE}`))?.certificate;
    assert.ok(cert, 'the certificate is read');
    assert.match(cert.subject, /RED/);
    assert.ok(cert.subjectAltNames.length >= 2, JSON.stringify(cert.subjectAltNames));
    assert.deepEqual(jsonStringViolations(cert), []);
  });
});

// ---------------------------------------------------------------- good hosts unaffected

/** The report without what changes from run to run (times, durations, days remaining, summary) and the transcript only the --trace run records. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (['timings', 'startedAt', 'finishedAt', 'daysRemaining', 'transcript'].includes(key) || key.endsWith('Ms')) continue;
    out[key] = stable(item);
  }
  return out;
}

describe('good hosts among hostile ones', () => {
  it('Given the good hosts scanned alone Then that scan exits 1 (the plaintext host is a gap) and meets the contract', () => {
    assert.equal(alone.run.code, 1, alone.run.stderr.toString('utf8'));
    assert.deepEqual(contractViolations(alone.report), []);
  });
  for (const s of goodScenarios) {
    for (const which of ['mixed-json', 'mixed-table'] as const) {
      it(`Given ${s.target} When scanned among every hostile scenario (${which}) Then it is reported exactly as when scanned alone`, () => {
        const mixed = target((which === 'mixed-json' ? mixedJson : mixedTable).report, s.target);
        assert.deepEqual(stable(mixed), stable(target(alone.report, s.target)));
      });
    }
    it(`Given ${s.target} scanned alone Then ${expectation(s)}`, () => assertOutcome(s, alone.report));
  }
});

// ---------------------------------------------------------------- the address guard

describe('the address guard (no --allow-private): nothing dialled, each address reported', () => {
  it('Then the guard scan exits 1 or 3, meets the contract, and the named relay (a control) was probed', () => {
    assert.ok(guard.run.code === 3 || guard.run.code === 1, `exit ${guard.run.code}: ${guard.run.stderr.toString('utf8')}`);
    assert.deepEqual(contractViolations(guard.report), []);
    const relay = guard.report.targets.find((t) => t.kind === 'host');
    assert.equal(relay && firstProbe(relay)?.status, 'ok');
  });
  for (const s of guardScenarios) {
    it(`Given ${s.given} When scanned without --allow-private Then it is refused-private (phase guard), with no connection timing and finding address.private`, () => {
      assertOutcome(s, guard.report);
      const p = firstProbe(target(guard.report, s.target));
      assert.equal(p?.timings.connectMs, null);
      assert.equal(p?.timings.greetingMs, null);
      assert.equal(p?.timings.tlsMs, null);
      for (const ip of s.traps ?? []) assert.equal(smtp.server(ip).connections.length, 0, `${ip} was dialled`);
    });
  }
});
