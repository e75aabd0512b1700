/**
 * Fleet scans end to end: the built CLI against the fleet lab (a synthetic DNS
 * server and 200 STARTTLS servers, each in a child process: src/lab/fleet-process.ts).
 * 20,000 domains as NDJSON against the same as JSON; back-pressure; `| head`;
 * the progress line under a real TTY; `report` over NDJSON.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { NdjsonEnd, NdjsonLine, NdjsonTarget } from '../../src/model/ndjson.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { startFleetLab, type FleetLab } from '../helpers/fleet.js';
import { BIN, runCli } from '../helpers/cli.js';

const SCHEMA = fileURLToPath(new URL('../../../schema/ndjson-line.schema.json', import.meta.url));
const HOSTS = 200;
const DOMAINS = 20_000;

let dir: string;
let args: string[];
let fleet: FleetLab;


const domain = (i: number): string => `d${i}.fleet.test`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-fleet-'));
  fleet = await startFleetLab(HOSTS);
  writeFileSync(join(dir, 'ca.pem'), fleet.caPem);
  // Every domain once, and one repeated (it must appear once).
  writeFileSync(join(dir, 'targets.txt'), `${Array.from({ length: DOMAINS }, (_, i) => domain(i)).join('\n')}\n${domain(7)}\n`);
  writeFileSync(join(dir, 'small.txt'), Array.from({ length: 2000 }, (_, i) => domain(i)).join('\n'));
  args = ['--resolver', `${fleet.dns.host}:${fleet.dns.port}`, '--port', String(fleet.smtpPort), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--no-progress'];
});

after(() => {
  fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with stdout to a file (no pipe to buffer in this process). */
function runToFile(extra: readonly string[], out: string): number | null {
  const run = spawnSync(process.execPath, [BIN, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30, timeout: 180_000 });
  writeFileSync(out, run.stdout);
  return run.status;
}

/** A target without what differs between two runs: times and timings. */
function timeless(target: TargetReport): unknown {
  return JSON.parse(JSON.stringify(target, (key, value: unknown) => (key === 'timings' || key === 'daysRemaining' ? undefined : value)));
}

describe('a fleet scan as NDJSON', () => {
  let lines: NdjsonLine[];
  let json: Report;

  before(async () => {
    assert.equal(runToFile(['-f', join(dir, 'targets.txt'), ...args, '--concurrency', '64', '--format', 'ndjson'], join(dir, 'out.ndjson')), 0);
    assert.equal(runToFile(['-f', join(dir, 'targets.txt'), ...args, '--concurrency', '64', '--format', 'json'], join(dir, 'out.json')), 0);
    lines = readFileSync(join(dir, 'out.ndjson'), 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as NdjsonLine);
    json = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Report;
  });

  it('Then every line validates against the line schema, the header first and the end line last', () => {
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    for (const line of lines) assert.ok(validate(line), JSON.stringify(validate.errors?.slice(0, 3)));
    assert.equal(lines[0]?.type, 'header');
    assert.equal(lines.at(-1)?.type, 'end');
    assert.equal(lines.filter((l) => l.type === 'header' || l.type === 'end').length, 2);
    assert.equal((lines[0] as { targets: number }).targets, DOMAINS, 'the distinct targets, counted before the scan');
  });

  it('Then each distinct input has exactly one line, the indexes are 0…N−1 once each, and the repeated input appears once', () => {
    const targets = lines.filter((l): l is NdjsonTarget => l.type === 'target');
    assert.equal(targets.length, DOMAINS);
    assert.equal(new Set(targets.map((t) => t.key)).size, DOMAINS);
    const indexes = targets.map((t) => t.index).sort((a, b) => a - b);
    assert.ok(indexes.every((index, i) => index === i));
    assert.equal(targets.find((t) => t.index === 7)?.target.domain, domain(7));
    const end = lines.at(-1) as NdjsonEnd;
    assert.equal(end.written, DOMAINS);
    assert.equal(end.interrupted, false);
    assert.ok(end.window.peak <= end.window.limit, `window ${end.window.peak} of ${end.window.limit}`);
  });

  it('Then the target lines sorted by index equal the JSON report of the same input, times aside, and the summaries agree', () => {
    const targets = lines.filter((l): l is NdjsonTarget => l.type === 'target').sort((a, b) => a.index - b.index);
    assert.equal(json.targets.length, targets.length);
    for (const [i, t] of targets.entries()) assert.deepEqual(timeless(t.target), timeless(json.targets[i] as TargetReport), t.key);
    assert.deepEqual((lines.at(-1) as NdjsonEnd).summary, json.summary);
  });

  it('Given report FILE.ndjson --format json Then the same report, times aside; --format table renders it', async () => {
    const again = await runCli(['report', join(dir, 'out.ndjson'), '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(again.code, 0, again.stderr);
    const report = JSON.parse(again.stdout) as Report;
    assert.deepEqual(report.targets.map(timeless), json.targets.map(timeless));
    assert.deepEqual(report.summary, json.summary);
    const table = await runCli(['report', join(dir, 'out.ndjson'), '--format', 'table'], { timeoutMs: 120_000 });
    assert.equal(table.code, 0);
    assert.match(table.stdout, /Targets +20000: 20000 pass/);
  });
});

describe('resume, shards and merge', () => {
  /** Lines of an NDJSON file. */
  const read = (path: string): NdjsonLine[] => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as NdjsonLine);

  it('Given --resume killed with SIGKILL twice Then resumed runs end with every key exactly once, 20,000 of them, whole lines, the exit code of an uninterrupted run', async () => {
    const file = join(dir, 'resumed.ndjson');
    const runUntilKilled = (): Promise<void> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [BIN, '-f', join(dir, 'targets.txt'), ...args, '--resume', file], { stdio: ['ignore', 'ignore', 'ignore'] });
        // A kill at a moment of its own: once this run's header and a target line after it are in the file, after a random further wait.
        const wait = 200 + Math.floor(Math.random() * 1500);
        const headers = (text: string): number => text.split('"type":"header"').length - 1;
        const before = headers(existsSync(file) ? readFileSync(file, 'utf8') : '');
        const poll = setInterval(() => {
          const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
          if (headers(text) > before && text.lastIndexOf('"type":"target"') > text.lastIndexOf('"type":"header"')) {
            clearInterval(poll);
            setTimeout(() => child.kill('SIGKILL'), wait);
          }
        }, 50);
        child.on('close', () => {
          clearInterval(poll);
          resolve();
        });
      });
    await runUntilKilled();
    await runUntilKilled();
    let code: number | null = null;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const run = spawnSync(process.execPath, [BIN, '-f', join(dir, 'targets.txt'), ...args, '--resume', file], { encoding: 'utf8', timeout: 180_000 });
      code = run.status;
      const last = read(file).at(-1) as NdjsonEnd;
      if (last.type === 'end' && !last.interrupted) break;
    }
    assert.equal(code, 0, 'the exit code of an uninterrupted run of these targets');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    const lines = read(file);
    for (const line of lines) assert.ok(validate(line));
    const keys = lines.filter((l): l is NdjsonTarget => l.type === 'target').map((l) => l.key);
    assert.equal(keys.length, DOMAINS);
    assert.equal(new Set(keys).size, DOMAINS, 'each key exactly once');
    assert.ok(lines.filter((l) => l.type === 'header').length >= 3, 'a header per run');
  });

  it('Given a file to resume Then a half line is dropped with a note; a corrupt line, another policy, another shard and a held lock are each exit 2 on one line', async () => {
    const file = join(dir, 'small-resume.ndjson');
    const first = await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file], { timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);
    const whole = readFileSync(file, 'utf8');
    writeFileSync(file, `${whole}{"type":"tar`);
    const half = await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file], { timeoutMs: 120_000 });
    assert.equal(half.code, 0);
    assert.match(half.stderr, /dropped a partial last line \(12 bytes\)/);
    const ends = read(file).filter((l) => l.type === 'end');
    assert.equal((ends.at(-1) as NdjsonEnd).written, 0, 'nothing left to scan');
    const oneLine = (run: { code: number | null; stderr: string }, pattern: RegExp): void => {
      assert.equal(run.code, 2);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, pattern);
    };
    const corrupt = join(dir, 'corrupt.ndjson');
    writeFileSync(corrupt, `${whole.split('\n').slice(0, 3).join('\n')}\n{not json}\n`);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', corrupt]), /corrupt\.ndjson":4: not valid JSON/);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file, '--policy', 'verify']), /another policy \(encrypt\) than this run's \(verify\)/);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file, '--shard', '1/2']), /shard none, this run 1\/2/);
    writeFileSync(`${file}.lock`, `${process.pid}\n`);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file]), /is being resumed by process \d+/);
    rmSync(`${file}.lock`);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file, '--format', 'json']), /--resume writes NDJSON/);
    oneLine(await runCli(['-f', join(dir, 'small.txt'), ...args, '--resume', file, '--format', 'table']), /--format table cannot go with it/);
  });

  it('Given four shards merged Then the summary and every target (timings and SNI aside) equal one unsharded run', async () => {
    const parts: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const part = join(dir, `part-${i}.ndjson`);
      assert.equal(runToFile(['-f', join(dir, 'targets.txt'), ...args, '--concurrency', '64', '--format', 'ndjson', '--shard', `${i}/4`], part), 0);
      const count = read(part).filter((l) => l.type === 'target').length;
      assert.ok(Math.abs(count / DOMAINS - 0.25) <= 0.02, `shard ${i}: ${count}`);
      parts.push(part);
    }
    const merged = spawnSync(process.execPath, [BIN, 'merge', ...parts, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 120_000 });
    assert.equal(merged.status, 0, merged.stderr);
    const report = JSON.parse(merged.stdout) as Report;
    const whole = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Report;
    assert.deepEqual(report.summary, whole.summary);
    const strip = (t: TargetReport): unknown => JSON.parse(JSON.stringify(t, (key, value: unknown) => (key === 'timings' || key === 'sni' || key === 'daysRemaining' ? undefined : value)));
    const byDomain = new Map(whole.targets.map((t) => [t.domain, t]));
    assert.equal(report.targets.length, DOMAINS);
    for (const t of report.targets) assert.deepEqual(strip(t), strip(byDomain.get(t.domain) as TargetReport), t.domain);
    // A part with itself: duplicates dropped and counted; a part missing: named, and the exit code follows what is there.
    const twice = spawnSync(process.execPath, [BIN, 'merge', parts[0] as string, parts[0] as string, parts[1] as string, '--format', 'ndjson'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    assert.equal(twice.status, 0);
    assert.match(twice.stderr, new RegExp(`${read(parts[0] as string).filter((l) => l.type === 'target').length} target line\\(s\\) whose key was seen before were dropped`));
    assert.match(twice.stderr, /shards missing from the set: 2, 3 of 4/);
    const mergedLines = twice.stdout.trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine);
    assert.equal((mergedLines[0] as { shard: unknown }).shard, null);
    assert.equal((mergedLines.at(-1) as NdjsonEnd).summary.targets, mergedLines.length - 2);
  });

  it('Given parts made under different policies Then merge is exit 2 on one line', async () => {
    const other = join(dir, 'other-policy.ndjson');
    assert.notEqual(runToFile(['-f', join(dir, 'small.txt'), ...args, '--format', 'ndjson', '--policy', 'verify'], other), null);
    const plain = join(dir, 'plain.ndjson');
    assert.equal(runToFile(['-f', join(dir, 'small.txt'), ...args, '--format', 'ndjson'], plain), 0);
    const run = await runCli(['merge', plain, other]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /made under another policy \(verify\) than the first file \(encrypt\)/);
  });
});

describe('streaming and its reader', () => {
  it('Given a reader that pauses stdout for 2 s Then the window never exceeds its bound and every line arrives', async () => {
    const child = spawn(process.execPath, [BIN, '-f', join(dir, 'small.txt'), ...args, '--concurrency', '8', '--format', 'ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine);
    const end = lines.at(-1) as NdjsonEnd;
    assert.equal(end.written, 2000);
    assert.equal(end.window.limit, 256, 'max(256, 4 × 8)');
    assert.ok(end.window.peak <= 256, `peak ${end.window.peak}`);
  });

  it('Given `| head -n 3` under pipefail Then the scan stops promptly, exit 141, nothing on stderr', () => {
    const command = `set -o pipefail; '${process.execPath}' '${BIN}' -f '${join(dir, 'targets.txt')}' ${args.map((a) => `'${a}'`).join(' ')} --format ndjson | head -n 3 >/dev/null`;
    const started = Date.now();
    const run = spawnSync('bash', ['-c', command], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 141, run.stderr);
    assert.equal(run.stderr, '');
    assert.ok(Date.now() - started < 30_000, 'promptly: long before 20,000 targets would be done');
  });

  it('Given a real TTY on stderr Then the progress line appears, updates and is cleared; with --quiet or off a TTY, nothing', () => {
    const base = `'${process.execPath}' '${BIN}' -f '${join(dir, 'small.txt')}' ${args.filter((a) => a !== '--no-progress').map((a) => `'${a}'`).join(' ')} --format ndjson`;
    const tty = spawnSync('script', ['-qfec', `${base} >/dev/null`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(tty.status, 0, tty.stderr);
    const updates = tty.stdout.split('\r\x1b[2K').filter((s) => /targets · /.test(s));
    assert.ok(updates.length >= 1, JSON.stringify(tty.stdout.slice(0, 500)));
    assert.match(updates[0] ?? '', /^[\d,]+\/2,000 targets · [\d,]+\/s · [\d,]+ in flight · (ETA \S+ · )?fail \d+ · error \d+/);
    assert.ok(tty.stdout.includes('\r\x1b[2K'), 'cleared at the end');
    const quiet = spawnSync('script', ['-qfec', `${base} --quiet >/dev/null`, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    assert.doesNotMatch(quiet.stdout, /targets · /);
    const pipe = spawnSync('bash', ['-c', `${base} >/dev/null`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(pipe.stderr.includes('targets ·'), false);
  });

  it('Given SIGINT mid-run Then the output ends with an end line marked interrupted, no partial line, no line for an unfinished target, exit 130', async () => {
    const child = spawn(process.execPath, [BIN, '-f', join(dir, 'targets.txt'), ...args, '--format', 'ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let signalled = false;
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // The signal once the first target line has arrived.
      if (!signalled && Buffer.concat(chunks).toString('utf8').includes('"type":"target"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130);
    const text = Buffer.concat(chunks).toString('utf8');
    assert.ok(text.endsWith('\n'), 'no partial last line');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine);
    const end = lines.at(-1) as NdjsonEnd;
    assert.equal(end.type, 'end');
    assert.equal(end.interrupted, true);
    assert.ok(end.notScanned > 0 && end.written < DOMAINS, `${end.written} written, ${end.notScanned} not scanned`);
    const targets = lines.filter((l): l is NdjsonTarget => l.type === 'target');
    assert.equal(targets.length, end.written);
    for (const t of targets) assert.notEqual(t.target.error?.code, 'not-scanned', t.key);
  });

  for (const format of ['ndjson', 'json']) {
    it(`Given --extract-domains over a mail log (${format}) Then each domain once, and a stderr line counting them`, async () => {
      const log = join(dir, `mail-${format}.log`);
      writeFileSync(log, [
        'Dec  7 05:12:01 mx postfix/smtp[1]: A1: to=<alice@D1.fleet.test>, relay=mx1.fleet.test[127.10.1.2]:25, status=sent',
        'Dec  7 05:12:02 mx postfix/qmgr[2]: A1: from=<bounce@d2.fleet.test>, size=1, nrcpt=1',
        '2026-12-07 05:12:03 1rAbc-000 => bob@d1.fleet.test R=dnslookup T=remote_smtp',
        'Dec  7 05:12:04 mx postfix/anvil[3]: statistics: max connection rate 1/60s',
      ].join('\n'));
      const run = await runCli(['-f', log, '--extract-domains', ...args, '--format', format]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^mxready: 2 domains \(3 addresses\) from 4 lines \(1 lines had none\)$/m);
      const domains = format === 'json'
        ? (JSON.parse(run.stdout) as Report).targets.map((t) => t.domain)
        : run.stdout.trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine).filter((l): l is NdjsonTarget => l.type === 'target').map((l) => l.target.domain);
      assert.deepEqual(domains.sort(), ['d1.fleet.test', 'd2.fleet.test']);
    });
  }

  it('Given --shard 0/4 … 3/4 Then the shards are disjoint, their union is the input, each header names its shard and count, and index is the position in the whole input', async () => {
    const keys: string[][] = [];
    for (let i = 0; i < 4; i += 1) {
      const run = await runCli(['-f', join(dir, 'small.txt'), ...args, '--format', 'ndjson', '--shard', `${i}/4`], { timeoutMs: 120_000 });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as NdjsonLine);
      const header = lines[0] as { shard: unknown; targets: number };
      assert.deepEqual(header.shard, { index: i, count: 4 });
      const targets = lines.filter((l): l is NdjsonTarget => l.type === 'target');
      assert.equal(header.targets, targets.length);
      for (const t of targets) assert.equal(t.target.domain, domain(t.index), 'index: the position in the whole input');
      keys.push(targets.map((t) => t.key));
    }
    const all = keys.flat();
    assert.equal(new Set(all).size, all.length, 'disjoint');
    assert.deepEqual(new Set(all), new Set(Array.from({ length: 2000 }, (_, i) => `domain:${domain(i)}`)), 'the union is the input');
    const auto = await runCli(['-f', join(dir, 'small.txt'), ...args, '--format', 'json', '--shard', 'auto/4'], { env: { JOB_COMPLETION_INDEX: '1' }, timeoutMs: 120_000 });
    assert.deepEqual(new Set((JSON.parse(auto.stdout) as Report).targets.map((t) => `domain:${t.domain}`)), new Set(keys[1]));
    const bad = await runCli(['-f', join(dir, 'small.txt'), ...args, '--shard', 'auto/4'], { env: { JOB_COMPLETION_INDEX: 'none' } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /JOB_COMPLETION_INDEX is "none", not a whole number/);
  });

  it('Given --json with --format ndjson Then exit 2 with one line', async () => {
    const run = await runCli(['-f', join(dir, 'small.txt'), ...args, '--format', 'ndjson', '--json', join(dir, 'x.json')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--json needs the whole report/);
  });
});
