/**
 * Scanning politely, measured on the server side of the lab: retries after 421
 * and their back-off, the per-address and per-provider caps, the connection
 * rate, the opt-out list, and the fleet-mode defaults. The CLI runs as a child
 * process; the lab's servers count what reached them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../src/lab/certs.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { startLab, type LabServerSpec, type RunningLab } from '../../src/lab/lab.js';
import type { LabSmtpServer } from '../../src/lab/smtp-server.js';
import type { NdjsonEnd, NdjsonLine } from '../../src/model/ndjson.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let tls: { key: string; cert: string };
let caFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-polite-'));
  const ca = await createCa({ commonName: 'polite CA' });
  const cert = await ca.issue({ commonName: 'mx.polite.test', dnsNames: ['*.polite.test', '*.bigmail.test'] });
  tls = { key: cert.keyPem, cert: cert.chainPem };
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.certPem);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A STARTTLS server of the lab. */
function server(ip: string, hostname: string, extra: Partial<LabServerSpec> = {}): LabServerSpec {
  return { ip, hostname, starttls: true, tls, ...extra };
}

/** domain MX → host A ip, for each pair. */
function zone(entries: readonly (readonly [domain: string, host: string, ips: readonly string[]])[]): LabZoneRecord[] {
  return entries.flatMap(([domain, host, ips]) => [
    { name: domain, type: 'MX' as const, data: { preference: 10, exchange: host } },
    ...ips.map((ip) => ({ name: host, type: ip.includes(':') ? ('AAAA' as const) : ('A' as const), data: ip })),
  ]);
}

function labArgs(lab: RunningLab): string[] {
  return ['--resolver', `${lab.dns.host}:${lab.dns.port}`, '--port', String(lab.port), '--ca-file', caFile, '--allow-private', '--no-dane', '--no-mta-sts', '--no-tls-rpt', '--no-progress', '--timeout', '10000', '--dns-timeout', '2000'];
}

/** One scan of the lab in a format; its stdout, after an exit that reports (0, 1 or 3). */
async function scanned(targets: readonly string[], lab: RunningLab, format: 'json' | 'ndjson', extra: readonly string[]): Promise<string> {
  const run = await runCli([...targets, ...labArgs(lab), '--format', format, ...extra], { timeoutMs: 90_000 });
  assert.ok(run.code === 0 || run.code === 1 || run.code === 3, `exit ${run.code}: ${run.stderr}`);
  return run.stdout;
}

async function scanJson(targets: readonly string[], lab: RunningLab, extra: readonly string[]): Promise<Report> {
  return JSON.parse(await scanned(targets, lab, 'json', extra)) as Report;
}

async function scanNdjson(targets: readonly string[], lab: RunningLab, extra: readonly string[]): Promise<NdjsonLine[]> {
  return (await scanned(targets, lab, 'ndjson', extra)).trim().split('\n').map((line) => JSON.parse(line) as NdjsonLine);
}

function only(report: Report | TargetReport[]): TargetReport {
  const targets = Array.isArray(report) ? report : report.targets;
  assert.equal(targets.length, 1);
  return targets[0] as TargetReport;
}

/** Sessions open at once over several servers: from each accept until the client leaves (QUIT, or the connection closes). */
function openAtOnce(servers: readonly LabSmtpServer[]): { peak: () => number; dispose: () => void } {
  let open = 0;
  let peak = 0;
  const stops = servers.map((s) =>
    s.onSessionStart((left) => {
      open += 1;
      peak = Math.max(peak, open);
      void left.then(() => (open -= 1));
    }),
  );
  return { peak: () => peak, dispose: () => stops.forEach((stop) => stop()) };
}

describe('retries and back-off', () => {
  it('Given a host that says 421 to its first connection Then with a retry it ends ok, attempts 2, the second accept at least the delay minus 20 % after the first', async () => {
    const lab = await startLab({ servers: [server('127.0.60.1', 'mx.busy.polite.test', { busyFirst: 1 })], records: zone([['busy.polite.test', 'mx.busy.polite.test', ['127.0.60.1']]]) });
    try {
      const report = await scanJson(['busy.polite.test'], lab, ['--retries', '1', '--retry-delay', '400']);
      const probe = only(report).mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'ok');
      assert.equal(probe?.attempts, 2);
      const smtp = lab.smtp[0] as LabSmtpServer;
      assert.equal(smtp.sessions, 2);
      const gap = (smtp.accepts[1] as number) - (smtp.accepts[0] as number);
      assert.ok(gap >= 400 * 0.8, `the server saw the retry ${gap.toFixed(0)} ms after the first connection`);
      assert.equal(report.summary.politeness?.retries, 1);
      assert.equal(report.summary.politeness?.retriedOk, 1);
      assert.ok((report.summary.politeness?.waitedMs ?? 0) >= 400 * 0.8);
    } finally {
      await lab.close();
    }
  });

  it('Given the same host and --retries 0 Then it ends smtp-rejected after one connection, as without retries', async () => {
    const lab = await startLab({ servers: [server('127.0.60.2', 'mx.busy.polite.test', { busyFirst: 1 })], records: zone([['busy.polite.test', 'mx.busy.polite.test', ['127.0.60.2']]]) });
    try {
      const report = await scanJson(['busy.polite.test'], lab, ['--retries', '0']);
      const probe = only(report).mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'smtp-rejected');
      assert.equal(probe?.error?.reply?.code, 421);
      assert.equal(probe?.attempts, undefined);
      assert.equal(lab.smtp[0]?.sessions, 1);
      assert.equal(report.summary.politeness?.retries, 0);
    } finally {
      await lab.close();
    }
  });

  it('Given a host that always says 421 and --retries 2 Then it is tried three times and ends smtp-rejected with attempts 3', async () => {
    const lab = await startLab({ servers: [server('127.0.60.3', 'mx.busy.polite.test', { busyFirst: 1_000 })], records: zone([['busy.polite.test', 'mx.busy.polite.test', ['127.0.60.3']]]) });
    try {
      const report = await scanJson(['busy.polite.test'], lab, ['--retries', '2', '--retry-delay', '50']);
      const probe = only(report).mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'smtp-rejected');
      assert.equal(probe?.attempts, 3);
      assert.equal(lab.smtp[0]?.sessions, 3);
      const [a, b, c] = lab.smtp[0]?.accepts ?? [];
      assert.ok((c as number) - (b as number) >= 2 * 50 * 0.8, 'the second retry waits twice the delay (less jitter)');
      assert.ok((b as number) - (a as number) >= 50 * 0.8);
      assert.equal(report.summary.politeness?.retriedOk, 0);
    } finally {
      await lab.close();
    }
  });

  it('Given a refused connection Then it is retried too; a host that answers 554 is not', async () => {
    const lab = await startLab({
      servers: [server('127.0.60.4', 'mx.closed.polite.test', { greetingCode: 554 })],
      records: zone([
        ['refused.polite.test', 'mx.refused.polite.test', ['127.0.60.5']],
        ['closed.polite.test', 'mx.closed.polite.test', ['127.0.60.4']],
      ]),
    });
    try {
      const report = await scanJson(['refused.polite.test', 'closed.polite.test'], lab, ['--retries', '1', '--retry-delay', '20']);
      const probeOf = (domain: string) => report.targets.find((t) => t.domain === domain)?.mx[0]?.addresses[0]?.probe;
      assert.equal(probeOf('refused.polite.test')?.status, 'connection-refused');
      assert.equal(probeOf('refused.polite.test')?.attempts, 2);
      assert.equal(probeOf('closed.polite.test')?.status, 'smtp-rejected');
      assert.equal(probeOf('closed.polite.test')?.attempts, undefined);
      assert.equal(lab.smtp[0]?.sessions, 1);
    } finally {
      await lab.close();
    }
  });
});

describe('fleet-mode defaults', () => {
  it('Given --help Then each politeness option names its default in both modes', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    const help = run.stdout.replace(/\s+/g, ' ');
    assert.match(help, /--per-host <n> .*\(default 2; 1 with NDJSON output: --format ndjson or --resume\)/);
    assert.match(help, /--per-provider <n> .*\(default 0; 8 with NDJSON output\)/);
    assert.match(help, /--retries <n> .*\(default 0; 1 with NDJSON output\)/);
    assert.match(help, /--retry-delay <ms> .*\(default 30000\)/);
    assert.match(help, /--rate <n>/);
    assert.match(help, /--exclude <file>/);
  });

  it('Given NDJSON output Then one session per address and one retry; given JSON output, two and none', async () => {
    // One slow address on three ports, and a host busy for three connections.
    const lab = await startLab({ servers: [server('127.0.61.1', 'mx.busy.polite.test', { busyFirst: 3 })], records: zone([['busy.polite.test', 'mx.busy.polite.test', ['127.0.61.1']]]) });
    const { startSmtpServer } = await import('../../src/lab/smtp-server.js');
    const slow = await Promise.all([0, 1, 2].map(() => startSmtpServer({ host: '127.0.61.2', hostname: 'relay.polite.test', starttls: true, tls, replyDelayMs: 150 })));
    const relays = slow.map((s) => `127.0.61.2:${s.port}`);
    try {
      const counter = openAtOnce(slow);
      const lines = await scanNdjson(['busy.polite.test', ...relays], lab, ['--retry-delay', '100']);
      counter.dispose();
      assert.equal(counter.peak(), 1, 'NDJSON output: one session at a time per address');
      const busy = lines.find((l) => l.type === 'target' && l.target.domain === 'busy.polite.test');
      assert.ok(busy?.type === 'target');
      assert.equal(busy.target.mx[0]?.addresses[0]?.probe.attempts, 2);
      assert.equal(lab.smtp[0]?.sessions, 2);
      const end = lines.at(-1) as NdjsonEnd;
      assert.equal(end.type, 'end');
      assert.equal(end.politeness?.retries, 1);
      assert.deepEqual(end.summary.politeness, end.politeness);

      const again = openAtOnce(slow);
      const report = await scanJson(['busy.polite.test', ...relays], lab, []);
      again.dispose();
      assert.equal(again.peak(), 2, 'JSON output: two sessions at once per address');
      const probe = report.targets.find((t) => t.domain === 'busy.polite.test')?.mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'smtp-rejected', 'JSON output: no retry');
      assert.equal(probe?.attempts, undefined);
      assert.equal(lab.smtp[0]?.sessions, 3);
    } finally {
      await Promise.all([lab.close(), ...slow.map((s) => s.close())]);
    }
  });
});

describe('--per-provider', () => {
  it('Given 40 addresses whose MX names share a registrable domain and 40 that do not Then the shared provider never sees more than 3 sessions at once, and the others fill the rest of --concurrency', async () => {
    const shared = Array.from({ length: 40 }, (_, i) => [`s${i}.polite.test`, `mx${i}.bigmail.test`, [`127.0.62.${i + 1}`]] as const);
    const own = Array.from({ length: 40 }, (_, i) => [`o${i}.polite.test`, `mx.own${i}.test`, [`127.0.63.${i + 1}`]] as const);
    const servers = [...shared, ...own].map(([, host, [ip]]) => server(ip as string, host, { replyDelayMs: 150 }));
    const lab = await startLab({ servers, records: zone([...shared, ...own]) });
    const targets = [...shared, ...own].map(([domain]) => domain);
    try {
      const big = openAtOnce(lab.smtp.slice(0, 40));
      const others = openAtOnce(lab.smtp.slice(40));
      const report = await scanJson(targets, lab, ['--per-provider', '3', '--concurrency', '40']);
      big.dispose();
      others.dispose();
      assert.equal(report.summary.byStatus['ok'], 80);
      assert.ok(big.peak() <= 3, `the shared provider saw ${big.peak()} sessions at once`);
      assert.equal(big.peak(), 3, 'the cap is reached, not merely respected');
      // Global slots the shared provider cannot use go to the others: 40 - 3 at once.
      assert.ok(others.peak() >= 30, `the other providers saw only ${others.peak()} sessions at once`);

      const uncapped = openAtOnce(lab.smtp.slice(0, 40));
      await scanJson(targets, lab, ['--per-provider', '0', '--concurrency', '40']);
      uncapped.dispose();
      assert.ok(uncapped.peak() > 3, `without the cap the shared provider saw ${uncapped.peak()} at once`);
    } finally {
      await lab.close();
    }
  });
});

describe('--rate', () => {
  it('Given --rate 20 over 200 lab addresses Then no one-second window holds more than 20 accepts (±1 at the edges) and the run takes 9 s or more', async () => {
    const servers = Array.from({ length: 200 }, (_, i) => server(`127.0.64.${i + 1}`, `mx${i}.rate.test`));
    const lab = await startLab({ servers, records: [] });
    try {
      const started = performance.now();
      const report = await scanJson(servers.map((s) => s.ip), lab, ['--rate', '20', '--concurrency', '64']);
      const seconds = (performance.now() - started) / 1000;
      assert.equal(report.summary.byStatus['ok'], 200);
      const accepts = lab.smtp.flatMap((s) => s.accepts).sort((a, b) => a - b);
      assert.equal(accepts.length, 200);
      let most = 0;
      for (let i = 0, j = 0; i < accepts.length; i += 1) {
        while ((accepts[i] as number) - (accepts[j] as number) >= 1000) j += 1;
        most = Math.max(most, i - j + 1);
      }
      assert.ok(most <= 21, `${most} accepts within one second`);
      assert.ok(seconds >= 9, `the run took ${seconds.toFixed(1)} s`);
    } finally {
      await lab.close();
    }
  });
});

describe('--exclude', () => {
  let lab: RunningLab;
  let optout: string;

  before(async () => {
    lab = await startLab({
      servers: [server('127.0.65.1', 'mx.keep.polite.test'), server('127.0.66.1', 'mx.keep.polite.test'), server('::1', 'mx.keep.polite.test'), server('127.0.65.2', 'mx.optout.test')],
      records: zone([
        ['gone.polite.test', 'mx.keep.polite.test', ['127.0.66.1']],
        ['sub.gone.polite.test', 'mx.keep.polite.test', ['127.0.66.1']],
        ['keep.polite.test', 'mx.keep.polite.test', ['127.0.65.1', '127.0.66.1', '::1']],
        ['named.polite.test', 'mx.optout.test', ['127.0.65.2']],
      ]),
    });
    optout = join(dir, 'optout.txt');
    writeFileSync(optout, '# opt-out requests\ngone.polite.test\n127.0.66.0/24\n::1\noptout.test   # a provider\n');
  });

  after(() => lab.close());

  it('Given a domain entry, a CIDR, an IPv6 address and an MX name Then excluded targets are absent, excluded addresses never see a connection, with findings and counts', async () => {
    const before = lab.smtp.map((s) => s.sessions);
    const report = await scanJson(['gone.polite.test', 'sub.gone.polite.test', 'keep.polite.test', 'named.polite.test'], lab, ['--exclude', optout]);
    assert.deepEqual(report.targets.map((t) => t.domain), ['keep.polite.test', 'named.polite.test']);
    assert.deepEqual(lab.smtp.map((s, i) => s.sessions - (before[i] as number)), [1, 0, 0, 0], 'only 127.0.65.1 was connected to');
    const keep = report.targets[0] as TargetReport;
    assert.equal(keep.status, 'pass');
    assert.deepEqual(keep.mx[0]?.addresses.map((a) => a.ip), ['127.0.65.1']);
    assert.deepEqual(keep.mx[0]?.addressesExcluded, [
      { ip: '127.0.66.1', port: lab.port, by: 'address' },
      { ip: '::1', port: lab.port, by: 'address' },
    ]);
    assert.deepEqual(keep.findings.filter((f) => f.id === 'address.excluded').map((f) => f.severity), ['info', 'info']);
    const named = report.targets[1] as TargetReport;
    assert.deepEqual(named.mx[0]?.addressesExcluded, [{ ip: '127.0.65.2', port: lab.port, by: 'name' }]);
    assert.ok(named.findings.some((f) => f.id === 'dns.mx.no-address'), 'a host left with no address is one without a usable address');
    assert.notEqual(named.status, 'pass');
    assert.equal(report.summary.excluded, 2);
    assert.deepEqual({ ...report.summary.politeness, waitedMs: 0 }, { retries: 0, retriedOk: 0, waitedMs: 0, excludedTargets: 2, excludedAddresses: 3 });
  });

  it('Given NDJSON output Then excluded targets have no line and the end line counts them', async () => {
    const lines = await scanNdjson(['gone.polite.test', 'keep.polite.test', 'sub.gone.polite.test'], lab, ['--exclude', optout]);
    assert.deepEqual(lines.filter((l) => l.type === 'target').map((l) => (l.type === 'target' ? l.target.domain : '')), ['keep.polite.test']);
    const end = lines.at(-1) as NdjsonEnd;
    assert.equal(end.summary.excluded, 2);
    assert.equal(end.politeness?.excludedTargets, 2);
    assert.equal(end.politeness?.excludedAddresses, 2);
  });

  it('Given a malformed entry Then exit 2 with one line naming the file and line, before any traffic', async () => {
    const bad = join(dir, 'bad-optout.txt');
    writeFileSync(bad, 'example.org\n# fine\n10.0.0.0/40\n');
    const before = lab.smtp.map((s) => s.sessions);
    const run = await runCli(['keep.polite.test', ...labArgs(lab), '--exclude', bad]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /bad-optout\.txt":3: "10\.0\.0\.0\/40" has an invalid prefix length/);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.deepEqual(lab.smtp.map((s) => s.sessions), before);
  });
});

describe('--enumerate within --per-host', () => {
  it('Given one address Then at per-host 2 its next session opens while a handshake runs (two at once), at per-host 1 one at a time; the facts are the same', async () => {
    const { startSmtpServer } = await import('../../src/lab/smtp-server.js');
    const relay = await startSmtpServer({ host: '127.0.62.1', hostname: 'relay.polite.test', starttls: true, tls, replyDelayMs: 5 });
    const target = `127.0.62.1:${relay.port}`;
    const args = ['--enumerate', '--ca-file', caFile, '--allow-private', '--no-progress', '--timeout', '10000'];
    const enumeration = (report: Report) => {
      const probe = only(report).mx[0]?.addresses[0]?.probe;
      assert.ok(probe?.enumeration !== undefined && probe.enumeration.error === undefined, JSON.stringify(probe?.enumeration?.error));
      return probe.enumeration;
    };
    try {
      const two = openAtOnce([relay]);
      const overlapped = JSON.parse((await runCli([target, ...args, '--format', 'json'], { timeoutMs: 90_000 })).stdout) as Report;
      two.dispose();
      const sessionsTwo = relay.sessions;
      const one = openAtOnce([relay]);
      const serial = JSON.parse((await runCli([target, ...args, '--per-host', '1', '--format', 'json'], { timeoutMs: 90_000 })).stdout) as Report;
      one.dispose();
      assert.equal(two.peak(), 2, 'per-host 2: the next session overlaps the handshake');
      assert.equal(one.peak(), 1, 'per-host 1: one session at a time');
      const a = enumeration(overlapped);
      const b = enumeration(serial);
      assert.deepEqual({ ...a, handshakes: 0 }, { ...b, handshakes: 0 });
      // One session per handshake either way: the plain probe's and the enumeration's, none opened for nothing.
      assert.equal(sessionsTwo, a.handshakes + 1);
      assert.equal(relay.sessions - sessionsTwo, b.handshakes + 1);
    } finally {
      await relay.close();
    }
  });

  it('Given two ports of one address, both enumerated, Then at per-host 2 the address never has more than two sessions at once', async () => {
    const { startSmtpServer } = await import('../../src/lab/smtp-server.js');
    const relays = await Promise.all([0, 1].map(() => startSmtpServer({ host: '127.0.62.2', hostname: 'relay.polite.test', starttls: true, tls, replyDelayMs: 5 })));
    try {
      const counter = openAtOnce(relays);
      const run = await runCli([...relays.map((r) => `127.0.62.2:${r.port}`), '--enumerate', '--ca-file', caFile, '--allow-private', '--no-progress', '--timeout', '10000', '--format', 'json'], { timeoutMs: 90_000 });
      counter.dispose();
      const report = JSON.parse(run.stdout) as Report;
      assert.equal(report.targets.length, 2);
      for (const t of report.targets) assert.equal(t.mx[0]?.addresses[0]?.probe.enumeration?.error, undefined);
      assert.equal(counter.peak(), 2);
    } finally {
      await Promise.all(relays.map((r) => r.close()));
    }
  });
});
