/**
 * Hardening round two, class 1: a reader of stdout that goes away. Every command
 * that writes to stdout stops writing quietly (no stack trace, nothing more on
 * stderr), still writes a --json file whole, and exits 141, unless a code that
 * outranks it applies (70, 130/143, 74, 2).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDnsServer, type LabDnsServer } from '../../src/lab/dns-server.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startHostileSmtp, type HostileSmtpLab } from './servers.js';

const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/report-v1-strict.json', import.meta.url));

interface Closed {
  readonly code: number | null;
  readonly stderr: string;
}

/** Runs the CLI with stdout a pipe whose reading end is closed at once; `onSpawn` may act on the child (a signal). */
function withClosedStdout(args: readonly string[], onSpawn?: (child: ReturnType<typeof spawn>) => void, env: NodeJS.ProcessEnv = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', ...env } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    onSpawn?.(child);
  });
}

function assertQuiet(run: Closed, allowed: RegExp[] = []): void {
  const lines = run.stderr.split('\n').filter((line) => line !== '' && !allowed.some((re) => re.test(line)));
  assert.deepEqual(lines, [], 'nothing on stderr: no stack trace, no EPIPE');
}

let dir: string;
let dns: LabDnsServer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-stdout-'));
  dns = await startDnsServer({ records: [] });
});
after(async () => {
  await dns.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a closed stdout', () => {
  const commands: [string, string[]][] = [
    ['--help', ['--help']],
    ['--version', ['--version']],
    ['scan --help', ['scan', '--help']],
    ['report --help', ['report', '--help']],
  ];
  for (const [name, args] of commands) {
    it(`Given ${name} When stdout is closed Then exit 141, quietly`, async () => {
      const run = await withClosedStdout(args);
      assert.equal(run.code, 141);
      assertQuiet(run);
    });
  }

  for (const format of ['json', 'table']) {
    it(`Given report --format ${format} --json PATH When stdout is closed Then exit 141 and the file is whole`, async () => {
      const path = join(dir, `report-${format}.json`);
      const run = await withClosedStdout(['report', FIXTURE, '--format', format, '--json', path]);
      assert.equal(run.code, 141);
      assertQuiet(run);
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { schemaVersion: number; targets: unknown[] };
      assert.equal(saved.schemaVersion, 2);
      assert.equal(saved.targets.length, 14);
    });
  }

  it('Given policy show When stdout is closed Then exit 141, quietly', async () => {
    const run = await withClosedStdout(['policy', 'show', 'strict']);
    assert.equal(run.code, 141);
    assertQuiet(run);
  });

  it('Given a scan that could not assess its target (exit 3) When stdout is closed Then 141 wins over 3, and --json is written', async () => {
    const path = join(dir, 'scan.json');
    // --no-dane: the lab's DNS does not validate, and the DNSSEC note on stderr is not what this test is about.
    const run = await withClosedStdout(['missing.example', '--resolver', `${dns.host}:${dns.port}`, '--format', 'json', '--json', path, '--no-dane']);
    assert.equal(run.code, 141);
    assertQuiet(run);
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { targets: { error?: { code: string } }[] };
    assert.equal(saved.targets[0]?.error?.code, 'nxdomain');
  });

  it('Given a scan whose DNS answers are not authenticated (a note on stderr after the report) When stdout is closed Then the note is not written either', async () => {
    // DANE on (the default): after the report, the scan would say on stderr that no answer was authenticated.
    const open = await runCli(['missing.example', '--resolver', `${dns.host}:${dns.port}`, '--format', 'json']);
    assert.match(open.stderr, /DNSSEC/, 'the note this test silences');
    const run = await withClosedStdout(['missing.example', '--resolver', `${dns.host}:${dns.port}`, '--format', 'json']);
    assert.equal(run.code, 141);
    assertQuiet(run);
  });

  it('Given GitHub Actions (annotations on stderr after the report) When stdout is closed Then no annotation is written', async () => {
    const env = { GITHUB_ACTIONS: 'true' };
    const open = await runCli(['report', FIXTURE, '--format', 'json'], { env });
    assert.match(open.stderr, /^::(error|warning|notice)/m, 'the annotations this test silences');
    const run = await withClosedStdout(['report', FIXTURE, '--format', 'json'], undefined, env);
    assert.equal(run.code, 141);
    assertQuiet(run);
  });

  it('Given the demo (exit 1) When stdout is closed Then 141 wins over 1', async () => {
    const run = await withClosedStdout(['demo', '--format', 'table']);
    assert.equal(run.code, 141);
    assertQuiet(run, [/^mxready demo: starting the offline lab/]);
  });

  it('Given a usage error When stdout is closed Then it is still exit 2, with its one line', async () => {
    const run = await withClosedStdout(['--format', 'yaml', 'example.com']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxready: .*yaml/);
  });

  it('Given an interrupted scan When stdout is closed too Then 130 wins over 141', async () => {
    // A server that takes the connection and says nothing until the scan is interrupted, then hangs up (so the
    // in-flight probe ends at once instead of after the 5 s grace).
    let connected!: () => void;
    let release!: () => void;
    const seen = new Promise<void>((resolve) => (connected = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const smtp: HostileSmtpLab = await startHostileSmtp([
      {
        ip: '127.77.141.1',
        script: async (c) => {
          connected();
          await released;
          c.end();
        },
      },
    ]);
    try {
      const run = await withClosedStdout([`127.77.141.1:${smtp.port}`, '--format', 'json', '--no-progress'], (child) => {
        void seen.then(() => {
          child.kill('SIGINT');
          child.stderr?.once('data', () => release());
        });
      });
      assert.equal(run.code, 130);
      assert.doesNotMatch(run.stderr, /EPIPE|Error:|\n\s+at /);
    } finally {
      await smtp.close();
    }
  });
});
