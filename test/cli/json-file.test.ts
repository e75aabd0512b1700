/**
 * `--json PATH` in every kind of place: `-`, descriptor paths (/dev/stdout,
 * /dev/fd/N), a FIFO, a device that fails every write (/dev/full), a symbolic
 * link, an existing file, a folder that cannot take it. Where a path must be
 * refused before any traffic, the run is `demo` (its lab is on loopback, started
 * by the CLI itself: its start-up line tells whether it began); where the file's
 * handling is the point, `report SAVED` writes the same JSON without a scan.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, createReadStream, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportFile } from '../../src/cli/report-file.js';
import { DEMO_TARGETS } from '../../src/lab/demo.js';
import type { Report } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';

/** --json writes files, FIFOs and devices: each run is a process of its own (a FIFO's open blocks the process that opens it). */
const FILES = { process: true } as const;

let dir: string;
/** A demo report saved by the first run, re-rendered by the others. */
let saved: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-json-'));
  saved = join(dir, 'saved.json');
  const run = await runCli(['demo', '--json', saved], FILES);
  assert.equal(run.code, 1, run.stderr);
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The JSON documents in a text that may hold a table before them. */
function reportsIn(text: string): Report[] {
  const reports: Report[] = [];
  for (const match of text.matchAll(/^\{\n {2}"schemaVersion": 2,[\s\S]*?^\}\n/gm)) reports.push(JSON.parse(match[0]) as Report);
  return reports;
}

const leftovers = (folder: string): string[] => readdirSync(folder).filter((name) => name.endsWith('.tmp'));

/** A folder of the test's own: the tests run at once, and each checks what its folder holds. */
const own = (): string => mkdtempSync(join(dir, 'case-'));

describe('--json PATH', { concurrency: 4 }, () => {
  it('Given "-" Then exit 2 pointing to --format json, and no file named "-" is made', async () => {
    const cwd = own();
    const run = await runCli(['demo', '--json', '-'], { ...FILES, cwd });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxready: --json -: the JSON report goes to stdout with --format json/);
    assert.doesNotMatch(run.stderr, /starting the offline lab/, 'nothing was started');
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('Given /dev/stdout Then it is settled as written in place (never renamed over)', () => {
    for (const path of ['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']) {
      const file = ReportFile.open(path);
      try {
        assert.equal(file.inPlace, true, path);
      } finally {
        file.discard();
      }
    }
  });

  for (const path of ['/dev/stdout', '/dev/fd/1']) {
    it(`Given ${path} and the table Then stdout holds the table, then the JSON appended, and ${path} is left as it was`, async (t) => {
      // Only once the in-process check above holds is the CLI run with a system path (as root, a rename would replace it).
      const probe = ReportFile.open(path);
      probe.discard();
      if (!probe.inPlace) return t.skip('not settled in place: the CLI is not run with a system path');
      const before = lstatSync(path);
      const link = before.isSymbolicLink() ? readlinkSync(path) : null;
      const run = await runCli(['report', saved, '--json', path], FILES);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /^VERDICT +DELIVERY/);
      const reports = reportsIn(run.stdout);
      assert.equal(reports.length, 1);
      assert.ok(run.stdout.indexOf('"schemaVersion"') > run.stdout.indexOf('VERDICT'), 'the JSON follows the table');
      const afterwards = lstatSync(path);
      assert.equal(afterwards.isSymbolicLink(), before.isSymbolicLink());
      assert.equal(afterwards.ino, before.ino);
      if (link !== null) assert.equal(readlinkSync(path), link);
    });
  }

  it('Given a FIFO Then the report is written into it for its reader, and it stays a FIFO', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const chunks: Buffer[] = [];
    const reader = new Promise<string>((resolve, reject) => {
      createReadStream(fifo)
        .on('data', (chunk) => chunks.push(Buffer.from(chunk)))
        .on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
        .on('error', reject);
    });
    const run = await runCli(['report', saved, '--json', fifo], FILES);
    const text = await reader;
    assert.equal(run.code, 1, run.stderr);
    assert.equal((JSON.parse(text) as Report).schemaVersion, 2);
    assert.ok(lstatSync(fifo).isFIFO());
    rmSync(fifo);
  });

  for (const format of ['table', 'json'] as const) {
    it(`Given a device that fails every write (/dev/full) and --format ${format} Then one stderr line, exit 74, and the JSON report once on stdout`, async () => {
      const run = await runCli(['report', saved, '--format', format, '--json', '/dev/full'], FILES);
      assert.equal(run.code, 74);
      const lines = run.stderr.split('\n').filter((l) => l.startsWith('mxready: '));
      assert.deepEqual(lines, [`mxready: cannot write --json "/dev/full": no space left on the device; the JSON report ${format === 'json' ? 'is on stdout' : 'follows on stdout'}`]);
      const reports = format === 'json' ? [JSON.parse(run.stdout) as Report] : reportsIn(run.stdout);
      assert.equal(reports.length, 1);
      assert.equal(reports[0]?.summary.targets, DEMO_TARGETS.length);
    });
  }

  it('Given a symbolic link to a report Then the link stays, its target is replaced, with its permissions kept', async () => {
    const here = own();
    const real = join(here, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'r.json'), 'old');
    chmodSync(join(real, 'r.json'), 0o640);
    const link = join(here, 'link.json');
    symlinkSync(join('real', 'r.json'), link);
    const run = await runCli(['report', saved, '--json', link], FILES);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal(readlinkSync(link), join('real', 'r.json'));
    assert.equal((JSON.parse(readFileSync(join(real, 'r.json'), 'utf8')) as Report).summary.targets, DEMO_TARGETS.length);
    assert.equal(statSync(join(real, 'r.json')).mode & 0o777, 0o640);
    assert.deepEqual(leftovers(real), []);
    assert.deepEqual(leftovers(here), []);
  });

  it('Given a dangling symbolic link Then the file it names is made, and the link stays', async () => {
    const here = own();
    const link = join(here, 'dangling.json');
    symlinkSync('made-by-scan.json', link);
    const run = await runCli(['report', saved, '--json', link], FILES);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal((JSON.parse(readFileSync(join(here, 'made-by-scan.json'), 'utf8')) as Report).schemaVersion, 2);
  });

  it('Given a folder as the path Then exit 2 before the lab starts', async () => {
    const run = await runCli(['demo', '--json', dir], FILES);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot write --json .*: is a directory/);
    assert.doesNotMatch(run.stderr, /starting the offline lab/);
  });

  it('Given a symbolic link loop Then exit 2 naming it, before the lab starts', async () => {
    const a = join(dir, 'loop-a');
    const b = join(dir, 'loop-b');
    symlinkSync(b, a);
    symlinkSync(a, b);
    const run = await runCli(['demo', '--json', a], FILES);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot write --json ".*loop-a": too many symbolic links/);
    rmSync(a);
    rmSync(b);
  });

  it('Given a folder that cannot be written Then exit 2 before the lab starts, and nothing is left', async (t) => {
    if (process.getuid?.() === 0) {
      // Root writes any folder; a read-only mount is the one refusal it gets: /proc's root takes no new file.
      const run = await runCli(['demo', '--json', '/proc/mxready-report.json'], FILES);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^mxready: cannot write --json "\/proc\/mxready-report\.json": /);
      assert.doesNotMatch(run.stderr, /starting the offline lab/);
      return;
    }
    const locked = join(dir, 'locked');
    mkdirSync(locked, 0o555);
    t.after(() => rmSync(locked, { recursive: true, force: true }));
    const run = await runCli(['demo', '--json', join(locked, 'r.json')], FILES);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /cannot write --json ".*locked\/r\.json": permission denied/);
    assert.doesNotMatch(run.stderr, /starting the offline lab/);
  });

  it('Given an existing report Then it is replaced whole and no temporary file is left', async () => {
    const here = own();
    const path = join(here, 'existing.json');
    writeFileSync(path, 'x'.repeat(100_000));
    const run = await runCli(['report', saved, '--json', path], FILES);
    assert.equal(run.code, 1, run.stderr);
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as Report).summary.targets, DEMO_TARGETS.length);
    assert.deepEqual(readdirSync(here), ['existing.json']);
  });
});
