#!/usr/bin/env node
/**
 * npm run bench:peers: what a probe costs mxready beside what it costs the bare
 * runtime and an OpenSSL fleet, on the same loopback farm of STARTTLS endpoints
 * (peers-farm.mjs, a process of its own: each endpoint on its own address, with its
 * own EC P-256 certificate and intermediate).
 *
 *   BENCH_MODE          cpu (default): mxready, the bare client (socket and Duplex), the OpenSSL fleet
 *                       latency: mxready only, every reply delayed; wall against rounds × replies × delay
 *                       rss: mxready at concurrency 256 and 32 on slow endpoints; RSS per in-flight probe
 *                       startup: node -e 0 against mxready --version and --help
 *                       all: each of the above in turn
 *   BENCH_ENDPOINTS     N endpoints (2,000)
 *   BENCH_CONCURRENCY   C (64; latency: 100)
 *   BENCH_ROUNDS        rounds per leg, medians reported (cpu: 3; latency, rss: 1; startup: 20 runs)
 *   BENCH_REPLY_DELAY_MS  latency: the delay before every reply (500); rss: 200
 *
 * CPU and peak RSS of a Node process come from its own getrusage at exit
 * (usage-hook.mjs); the OpenSSL fleet's CPU is its processes' (bash's `times`).
 * Nothing leaves loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const BIN = here('../bin/mxready.js');
const HOOK = here('./usage-hook.mjs');
const env = process.env;
const mode = env.BENCH_MODE ?? 'cpu';
const MODES = ['cpu', 'latency', 'rss', 'startup', 'all'];
if (!MODES.includes(mode)) {
  console.error(`bench:peers: BENCH_MODE is "${mode}"; expected one of ${MODES.join(', ')}`);
  process.exit(2);
}
const endpoints = Number(env.BENCH_ENDPOINTS ?? 2000);
const number = (name, fallback) => (env[name] === undefined ? fallback : Number(env[name]));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const verdict = (met) => (met ? 'MET' : 'NOT MET');

/** Starts the farm; resolves with its folder once it serves, and a function that stops it. */
async function startFarm(replyDelayMs) {
  const folder = mkdtempSync(join(tmpdir(), 'mxready-peers-'));
  const farm = spawn(process.execPath, [here('./peers-farm.mjs'), String(endpoints), String(replyDelayMs), folder], { stdio: ['pipe', 'pipe', 'inherit'] });
  const guard = setTimeout(() => farm.kill('SIGKILL'), 3_600_000);
  await new Promise((resolve, reject) => {
    createInterface({ input: farm.stdout }).once('line', resolve);
    farm.once('exit', (code) => reject(new Error(`the farm exited with ${code}`)));
  });
  const stop = async () => {
    farm.stdin.end();
    await new Promise((resolve) => farm.once('exit', resolve));
    clearTimeout(guard);
    rmSync(folder, { recursive: true, force: true });
  };
  return { folder, stop };
}

/** Runs a Node script with the usage hook; resolves with wall ms, CPU ms, peak RSS KiB and its stdout. */
function measureNode(args) {
  const usageFile = join(tmpdir(), `mxready-usage-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', HOOK, ...args], { env: { ...env, BENCH_USAGE_FILE: usageFile, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let err = '';
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      try {
        const usage = JSON.parse(readFileSync(usageFile, 'utf8'));
        rmSync(usageFile, { force: true });
        resolve({ code, wallMs, cpuMs: usage.userMs + usage.systemMs, rssKiB: usage.maxRssKiB, stdout: Buffer.concat(out).toString('utf8'), stderr: err });
      } catch {
        reject(new Error(`no usage from ${args.join(' ')} (exit ${code}): ${err.slice(0, 500)}`));
      }
    });
  });
}

/** mxready on every endpoint as a relay target; checks that every probe reached TLS. */
async function mxready(folder, concurrency) {
  const run = await measureNode([
    BIN, '-f', join(folder, 'targets.txt'), '--format', 'json', '--concurrency', String(concurrency), '--allow-private', '--ca-file', join(folder, 'ca.pem'),
    '--no-progress', '--timeout', '120000',
  ]);
  const summary = JSON.parse(run.stdout).summary;
  if (summary.tlsProbes !== endpoints) throw new Error(`mxready: ${summary.tlsProbes} of ${endpoints} probes reached TLS (exit ${run.code}): ${run.stderr.slice(0, 300)}`);
  return run;
}

async function bare(folder, concurrency, transport) {
  const run = await measureNode([here('./bare-client.mjs'), join(folder, 'fleet.txt'), String(concurrency), transport, join(folder, 'ca.pem')]);
  const result = JSON.parse(run.stdout);
  if (result.ok !== endpoints) throw new Error(`bare client (${transport}): ${result.ok} of ${endpoints} probes completed`);
  return run;
}

/** `openssl s_client -starttls smtp` per endpoint, C at a time (xargs -P); CPU from bash's `times` (its waited-for children). */
function opensslFleet(folder, concurrency) {
  const log = join(folder, 'openssl.log');
  writeFileSync(log, '');
  const script = `xargs -P ${concurrency} -L 1 sh -c 'openssl s_client -starttls smtp -connect "$0" -servername "$1" -brief </dev/null >>"${log}" 2>&1' < "${join(folder, 'fleet.txt')}"; times`;
  const started = performance.now();
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 3_600_000 });
  const wallMs = performance.now() - started;
  const [, children = ''] = run.stdout.trim().split('\n');
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  const established = (readFileSync(log, 'utf8').match(/CONNECTION ESTABLISHED/g) ?? []).length;
  if (established !== endpoints) throw new Error(`OpenSSL fleet: ${established} of ${endpoints} handshakes (exit ${run.status}): ${run.stderr.slice(0, 300)}`);
  return { wallMs, cpuMs: (seconds[0] + seconds[1]) * 1000, rssKiB: NaN };
}

function row(name, runs) {
  const wall = median(runs.map((r) => r.wallMs)) / 1000;
  const cpu = median(runs.map((r) => r.cpuMs)) / 1000;
  const rss = median(runs.map((r) => r.rssKiB)) / 1024;
  console.log(`${name.padEnd(22)} ${fixed(wall).padStart(8)} ${fixed(cpu).padStart(8)} ${fixed((cpu * 1000) / endpoints, 3).padStart(13)} ${fixed(rss, 1).padStart(13)}`);
  return { wall, cpu, rss };
}

async function cpuMode() {
  const concurrency = number('BENCH_CONCURRENCY', 64);
  const rounds = number('BENCH_ROUNDS', 3);
  const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
  const farm = await startFarm(0);
  console.log(`bench:peers cpu: ${endpoints} STARTTLS endpoints (TLS 1.3, EC P-256 leaf + intermediate, each its own address), concurrency ${concurrency}, ${rounds} rounds (medians), node ${process.version}`);
  const legs = { mxready: [], bare: [], duplex: [], openssl: [] };
  try {
    for (let round = 1; round <= rounds; round += 1) {
      legs.mxready.push(await mxready(farm.folder, concurrency));
      legs.bare.push(await bare(farm.folder, concurrency, 'socket'));
      legs.duplex.push(await bare(farm.folder, concurrency, 'duplex'));
      if (haveOpenssl) legs.openssl.push(opensslFleet(farm.folder, concurrency));
      console.error(`  round ${round}/${rounds} done`);
    }
  } finally {
    await farm.stop();
  }
  console.log(`${'leg'.padEnd(22)} ${'wall s'.padStart(8)} ${'CPU s'.padStart(8)} ${'CPU ms/probe'.padStart(13)} ${'peak RSS MiB'.padStart(13)}`);
  const m = row('mxready', legs.mxready);
  const b = row('bare client (socket)', legs.bare);
  const d = row('bare client (Duplex)', legs.duplex);
  const o = haveOpenssl ? row(`openssl fleet (-P ${concurrency})`, legs.openssl) : null;
  if (!haveOpenssl) console.log('openssl fleet          skipped: openssl is not installed (apt-get install openssl)');
  console.log(`ratio CPU mxready/bare: ${fixed(m.cpu / b.cpu)}  mxready/bare-over-Duplex: ${fixed(m.cpu / d.cpu)}${o ? `  wall OpenSSL/mxready: ${fixed(o.wall / m.wall, 1)}  CPU OpenSSL/mxready: ${fixed(o.cpu / m.cpu, 1)}` : ''}`);
  console.log(`goal 1  CPU per probe <= 1.25x the bare client's: ${fixed(m.cpu / b.cpu)}x  ${verdict(m.cpu / b.cpu <= 1.25)}`);
  if (o) console.log(`goal 2  wall throughput >= 10x the OpenSSL fleet's: ${fixed(o.wall / m.wall, 1)}x  ${verdict(o.wall / m.wall >= 10)}`);
  else console.log('goal 2  not measured: openssl is not installed');
}

async function latencyMode() {
  const concurrency = number('BENCH_CONCURRENCY', 100);
  const delay = number('BENCH_REPLY_DELAY_MS', 500);
  const rounds = number('BENCH_ROUNDS', 1);
  const farm = await startFarm(delay);
  const runs = [];
  try {
    for (let round = 1; round <= rounds; round += 1) runs.push(await mxready(farm.folder, concurrency));
  } finally {
    await farm.stop();
  }
  // Four replies a probe wait out the delay: greeting, EHLO, STARTTLS, EHLO inside TLS.
  const ideal = Math.ceil(endpoints / concurrency) * 4 * (delay / 1000);
  const wall = median(runs.map((r) => r.wallMs)) / 1000;
  console.log(`bench:peers latency: ${endpoints} endpoints, every reply after ${delay} ms, concurrency ${concurrency}: mxready ${fixed(wall)} s wall against an ideal of ${fixed(ideal)} s (${Math.ceil(endpoints / concurrency)} rounds x 4 replies x ${delay} ms): ${fixed(wall / ideal, 3)}x`);
}

async function rssMode() {
  const delay = number('BENCH_REPLY_DELAY_MS', 200);
  const farm = await startFarm(delay);
  let high;
  let low;
  try {
    high = await mxready(farm.folder, 256);
    low = await mxready(farm.folder, 32);
  } finally {
    await farm.stop();
  }
  const perProbeKiB = (high.rssKiB - low.rssKiB) / 224;
  console.log(`bench:peers rss: ${endpoints} endpoints, every reply after ${delay} ms: peak RSS ${fixed(high.rssKiB / 1024, 1)} MiB at concurrency 256, ${fixed(low.rssKiB / 1024, 1)} MiB at 32 (${fixed(high.wallMs / 1000, 1)} s and ${fixed(low.wallMs / 1000, 1)} s wall)`);
  console.log(`goal 3  <= 150 KB of RSS per in-flight probe: ${fixed((perProbeKiB * 1024) / 1000, 1)} KB  ${verdict((perProbeKiB * 1024) / 1000 <= 150)}`);
}

function startupMode() {
  const runs = number('BENCH_ROUNDS', 20);
  const commands = { 'node -e 0': ['-e', '0'], 'mxready --version': [BIN, '--version'], 'mxready --help': [BIN, '--help'] };
  const times = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i += 1) {
    // Alternated, so a slow moment of the machine falls on all three alike.
    for (const [name, args] of Object.entries(commands)) {
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { stdio: 'ignore' });
      if (run.status !== 0) throw new Error(`${name} exited with ${run.status}`);
      times[name].push(performance.now() - started);
    }
  }
  const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(`bench:peers startup: medians of ${runs} alternated runs, node ${process.version}`);
  for (const [name, ms] of Object.entries(medians)) console.log(`  ${name.padEnd(18)} ${fixed(ms, 1).padStart(7)} ms`);
  const above = Math.max(medians['mxready --version'], medians['mxready --help']) - medians['node -e 0'];
  console.log(`goal 5  --version and --help <= 40 ms above node -e 0: ${fixed(above, 1)} ms above  ${verdict(above <= 40)}`);
}

try {
  if (mode === 'cpu' || mode === 'all') await cpuMode();
  if (mode === 'latency' || mode === 'all') await latencyMode();
  if (mode === 'rss' || mode === 'all') await rssMode();
  if (mode === 'startup' || mode === 'all') startupMode();
} catch (error) {
  console.error(`bench:peers: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
