/**
 * How the CLI names a resolver it cannot use: no route to it (a network
 * namespace of our own, with no interface up, gives ENETUNREACH for real), and
 * one resolver refusing while another stays silent. Nothing here reaches the
 * system resolver: every run names its resolvers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/model/report.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startSilentResolver, type SilentResolver } from '../helpers/silent-resolver.js';

/** stderr's lines that mxready wrote (the message lines). */
const messages = (stderr: string): string[] => stderr.split('\n').filter((line) => line.startsWith('mxready: '));

/** Why the no-route tests cannot run here, or undefined when `unshare -n` works. */
function noNamespace(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'needs root for `unshare -n` (a network namespace with no route anywhere)';
  const tried = spawnSync('unshare', ['-n', 'true'], { stdio: 'ignore' });
  return tried.status === 0 ? undefined : `\`unshare -n\` failed here (${tried.error?.message ?? `exit ${String(tried.status)}`})`;
}

interface NamespacedRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** IPv4 datagrams the namespace's kernel found no route for (/proc/net/snmp Ip: OutNoRoutes): one per UDP connect tried. */
  readonly ipv4NoRoutes: number;
}

/** The CLI in a fresh network namespace (no interface up: every address but none is unroutable), then its IPv4 counters. */
function runWithoutNetwork(args: readonly string[], dir: string): Promise<NamespacedRun> {
  const out = join(dir, `run-${String(Math.random()).slice(2)}`);
  // sh runs the CLI and then reads the namespace's counters before the namespace goes away.
  const script = '"$0" "$@" >"$OUT.stdout" 2>"$OUT.stderr"; echo $? >"$OUT.code"; cat /proc/net/snmp >"$OUT.snmp"';
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-n', 'sh', '-c', script, process.execPath, BIN, ...args], {
      env: { ...process.env, NO_COLOR: '1', OUT: out },
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      const snmp = readFileSync(`${out}.snmp`, 'utf8').split('\n').filter((line) => line.startsWith('Ip: '));
      const names = snmp[0]?.split(' ') ?? [];
      const values = snmp[1]?.split(' ') ?? [];
      resolve({
        code: Number(readFileSync(`${out}.code`, 'utf8').trim()),
        stdout: readFileSync(`${out}.stdout`, 'utf8'),
        stderr: readFileSync(`${out}.stderr`, 'utf8'),
        ipv4NoRoutes: Number(values[names.indexOf('OutNoRoutes')]),
      });
    });
  });
}

/** The error a one-target JSON report ends with. */
function errorOf(stdout: string): { code: string; message: string } | undefined {
  const [target] = (JSON.parse(stdout) as Report).targets;
  return target?.dns.error ?? target?.error;
}

// Only the MX lookup: one lookup, so the no-route count is its attempts.
const ONE_LOOKUP = ['x.example', '--no-dane', '--no-mta-sts', '--no-tls-rpt', '--format', 'json', '--dns-timeout', '2000'];

describe('a resolver with no route to it', { skip: noNamespace(), concurrency: 2 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mxready-noroute-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('Given an IPv4 resolver with no route When scanning Then dns-unreachable after one attempt, and stderr names the resolvers', async () => {
    const run = await runWithoutNetwork([...ONE_LOOKUP, '--resolver', '192.0.2.1'], dir);
    assert.equal(run.code, 3, run.stderr);
    const error = errorOf(run.stdout);
    assert.equal(error?.code, 'dns-unreachable');
    assert.equal(error?.message, 'UDP to 192.0.2.1:53: network unreachable (ENETUNREACH)');
    // The kernel saw one connect with no route: given up at once, never retried (it was 3 before).
    assert.equal(run.ipv4NoRoutes, 1);
    assert.deepEqual(messages(run.stderr), [
      'mxready: DNS could not be reached (no route); the resolvers in use are --resolver: 192.0.2.1; give working ones with --resolver IP[:PORT]',
    ]);
  });

  it('Given an IPv6 resolver with no route Then dns-unreachable too, given up at once', async () => {
    const run = await runWithoutNetwork([...ONE_LOOKUP, '--resolver', '[2001:db8::1]:53'], dir);
    assert.equal(run.code, 3, run.stderr);
    const error = errorOf(run.stdout);
    assert.equal(error?.code, 'dns-unreachable');
    // IPv6 with no address at all fails as EADDRNOTAVAIL on some kernels: a no-route failure too.
    assert.match(error?.message ?? '', /^UDP to \[2001:db8::1\]:53: (?:network unreachable \(ENETUNREACH\)|address not available \(EADDRNOTAVAIL\))$/);
    assert.deepEqual(messages(run.stderr), [
      'mxready: DNS could not be reached (no route); the resolvers in use are --resolver: [2001:db8::1]:53; give working ones with --resolver IP[:PORT]',
    ]);
  });

  it('Given an IPv4 and an IPv6 resolver, neither routed Then dns-unreachable naming both, each tried once', async () => {
    const run = await runWithoutNetwork([...ONE_LOOKUP, '--resolver', '192.0.2.1', '--resolver', '[2001:db8::1]:53'], dir);
    assert.equal(run.code, 3, run.stderr);
    const error = errorOf(run.stdout);
    assert.equal(error?.code, 'dns-unreachable');
    assert.match(error?.message ?? '', /^UDP to 192\.0\.2\.1:53: network unreachable \(ENETUNREACH\); UDP to \[2001:db8::1\]:53: (?:network unreachable \(ENETUNREACH\)|address not available \(EADDRNOTAVAIL\))$/);
    // The IPv4 resolver asked once; the IPv6 one given up as well (a failure taken for silence would make it a dns-timeout).
    assert.equal(run.ipv4NoRoutes, 1);
    assert.deepEqual(messages(run.stderr), [
      'mxready: DNS could not be reached (no route); the resolvers in use are --resolver: 192.0.2.1, [2001:db8::1]:53; give working ones with --resolver IP[:PORT]',
    ]);
  });
});

describe('one resolver refuses, another stays silent', () => {
  let silent: SilentResolver;
  before(async () => {
    silent = await startSilentResolver();
  });
  after(() => silent.close());

  it('Given --resolver 127.0.0.1:9 (refused) and a silent one Then the lookup is a dns-timeout that names the refusal too', async () => {
    const run = await runCli([...ONE_LOOKUP.slice(0, -1), '200', '--resolver', '127.0.0.1:9', '--resolver', silent.address]);
    assert.equal(run.code, 3, run.stderr);
    const error = errorOf(run.stdout);
    assert.equal(error?.code, 'dns-timeout');
    assert.match(error?.message ?? '', new RegExp(`no answer over UDP from 127\\.0\\.0\\.1:${silent.port} within 200 ms`));
    assert.match(error?.message ?? '', /UDP to 127\.0\.0\.1:9: connection refused/);
    // The refusing one was given up: the two attempts left went to the silent one.
    assert.equal(silent.received(), 2);
    // Not the "could not be reached" note: one resolver was reached, it just did not answer.
    assert.deepEqual(messages(run.stderr), []);
  });

  it('Given only a silent resolver, MTA-STS and TLS-RPT on Then the policy records are not asked for after the MX lookup timed out: not-run, saying why', async () => {
    const before = silent.received();
    const run = await runCli(['x.example', '--no-dane', '--format', 'json', '--dns-timeout', '200', '--resolver', silent.address]);
    assert.equal(run.code, 3, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    const target = report.targets[0];
    assert.equal(target?.error?.code, 'dns-timeout');
    // The MX lookup's three attempts, and nothing for _mta-sts or _smtp._tls.
    assert.equal(silent.received() - before, 3);
    for (const id of ['mta-sts', 'tls-rpt']) {
      const check: { readonly status?: string; readonly reason?: string } | undefined = target?.checks?.[id];
      assert.equal(check?.status, 'not-run', id);
      assert.match(check?.reason ?? '', /did not answer x\.example's own lookup in time \(dns-timeout\); not asked again/);
    }
  });
});
