#!/usr/bin/env node
/**
 * npm run bench:fleet: a streaming scan of 10⁴, 10⁵ (and 10⁶) synthetic domains.
 *
 *   - a synthetic DNS server in its own process (dist/lab/fleet-process.js dns H):
 *     dN.fleet.test MX → mx(N mod H).fleet.test, each MX name → its own 127.10.x.y;
 *     it computes answers from the name and holds no zone;
 *   - H lab STARTTLS servers (default 2,000, one address each, one port) in another;
 *   - the built CLI, `--format ndjson` to a file, one run per size.
 *
 * For each size: targets/s, CPU ms per target, peak RSS (getrusage), RSS at 20, 50,
 * 80 and 100 % of the run (sampled from /proc), bytes per line, DNS queries (counted
 * by the server), probes and reprobed (the end line).
 *
 * With BENCH_FLEET_PROVIDERS=1 (the default) the MX hosts are spread over providers as on the
 * internet (mxK.pP-fleet.test, P = floor(log2(K + 1)): the largest provider holds half the hosts),
 * so fleet mode's per-provider cap meets what it would meet. "max/addr" is the most sessions any
 * one lab address had open at once during the run (counted by the servers).
 *
 *   BENCH_FLEET_RENDER=1: also render each size's file with `report --format inventory` and `--format sarif`
 *   (time, peak RSS, output size)
 *   BENCH_FLEET_ARGS: extra scan options (e.g. "--per-host 2 --per-provider 0 --retries 0", batch
 *   mode's politeness, to compare with fleet mode's defaults)
 *   BENCH_FLEET_SIZES ("10000,100000"; add 1000000 for the full run), BENCH_FLEET_HOSTS (2000),
 *   BENCH_FLEET_CONCURRENCY (64), BENCH_FLEET_PARTS (1: also, for the last size, a run killed twice and
 *   resumed against an uninterrupted one, and 4 shards merged to NDJSON and to JSON)
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const sizes = (process.env.BENCH_FLEET_SIZES ?? '10000,100000').split(',').map(Number);
const hosts = Number(process.env.BENCH_FLEET_HOSTS ?? 2000);
const concurrency = Number(process.env.BENCH_FLEET_CONCURRENCY ?? 64);
const providers = (process.env.BENCH_FLEET_PROVIDERS ?? '1') === '1';
const extraArgs = (process.env.BENCH_FLEET_ARGS ?? '').split(' ').filter(Boolean);
const PROCESS = here('../dist/lab/fleet-process.js');
const BIN = here('../bin/mxready.js');
const dir = mkdtempSync(join(tmpdir(), 'mxready-fleet-bench-'));

async function start(role) {
  const child = spawn(process.execPath, [PROCESS, role, String(hosts), ...(providers ? ['providers'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fleet ${role} exited with ${code}`)));
  });
  lines.close();
  return { child, info: JSON.parse(first) };
}

/** RSS of a process now, in MiB (VmRSS), or null once it is gone. */
function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** A targets file d0.fleet.test … d(n-1).fleet.test. */
async function writeTargets(n) {
  const path = join(dir, `targets-${n}.txt`);
  const out = createWriteStream(path);
  for (let i = 0; i < n; i += 1) if (!out.write(`d${i}.fleet.test\n`)) await new Promise((r) => out.once('drain', r));
  await new Promise((r) => out.end(r));
  return path;
}

const dns = await start('dns');
const smtp = await start('smtp');
writeFileSync(join(dir, 'ca.pem'), smtp.info.caPem);
console.log(`mxready bench:fleet: ${hosts} STARTTLS hosts${providers ? ' spread over providers' : ' under one provider'}, concurrency ${concurrency}, node ${process.version} (servers in two processes of their own)${extraArgs.length > 0 ? `, options ${extraArgs.join(' ')}` : ', fleet-mode defaults'}`);
console.log('targets    seconds  targets/s  CPU ms/target  peak RSS MiB  RSS at 20/50/80/100 % MiB      bytes/line  DNS queries  probes  reprobed  max/addr');
await peakSessions();
let failed = false;
for (const n of sizes) {
  const targets = await writeTargets(n);
  const output = join(dir, `out-${n}.ndjson`);
  const usage = join(dir, `usage-${n}.json`);
  const queriesBefore = await queries();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_FLEET_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', here('./usage-hook.mjs'), BIN, '-f', targets, '--resolver', `${dns.info.host}:${dns.info.port}`, '--port', String(smtp.info.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--concurrency', String(concurrency), '--format', 'ndjson', '--no-progress', '--quiet', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_USAGE_FILE: usage } },
  );
  child.stdout.pipe(createWriteStream(output));
  const samples = [];
  const sampler = setInterval(() => {
    const rss = rssMiB(child.pid);
    if (rss !== null) samples.push({ t: performance.now() - started, rss });
  }, 100);
  const code = await new Promise((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    console.error(`the scan of ${n} exited with ${code}`);
    failed = true;
    break;
  }
  const u = JSON.parse(readFileSync(usage, 'utf8'));
  const at = (fraction) => {
    const t = seconds * 1000 * fraction;
    const sample = samples.reduce((best, s) => (Math.abs(s.t - t) < Math.abs(best.t - t) ? s : best), samples[0] ?? { rss: 0, t: 0 });
    return sample.rss.toFixed(0);
  };
  let lines = 0;
  let last = '';
  for await (const line of createInterface({ input: createReadStream(output) })) {
    lines += 1;
    last = line;
  }
  const end = JSON.parse(last);
  const bytesPerLine = statSync(output).size / lines;
  const dnsQueries = (await queries()) - queriesBefore;
  const perAddress = await peakSessions();
  console.log(
    `${String(n).padStart(7)}  ${seconds.toFixed(1).padStart(8)}  ${(n / seconds).toFixed(0).padStart(9)}  ${((u.userMs + u.systemMs) / n).toFixed(2).padStart(13)}  ${(u.maxRssKiB / 1024).toFixed(1).padStart(12)}  ${[0.2, 0.5, 0.8, 1].map(at).join(' / ').padEnd(29)}  ${bytesPerLine.toFixed(0).padStart(10)}  ${String(dnsQueries).padStart(11)}  ${String(end.summary.probes).padStart(6)}  ${String(end.reprobed).padStart(8)}  ${String(perAddress).padStart(8)}`,
  );
  // BENCH_FLEET_RENDER=1: the inventory and the SARIF log of this size's file (time, peak RSS).
  if (process.env.BENCH_FLEET_RENDER === '1') {
    for (const format of ['inventory', 'sarif']) {
      const renderUsage = join(dir, `usage-render-${format}.json`);
      const begun = performance.now();
      const child = spawn(process.execPath, ['--import', here('./usage-hook.mjs'), BIN, 'report', output, '--format', format], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_USAGE_FILE: renderUsage } });
      let bytes = 0;
      child.stdout.on('data', (chunk) => (bytes += chunk.length));
      const exit = await new Promise((resolve) => child.on('close', resolve));
      const ru = JSON.parse(readFileSync(renderUsage, 'utf8'));
      console.log(`  report ${n}-target NDJSON --format ${format}: ${((performance.now() - begun) / 1000).toFixed(1)} s, peak RSS ${(ru.maxRssKiB / 1024).toFixed(1)} MiB, ${(bytes / 1024).toFixed(1)} KiB out, exit ${exit}`);
    }
  }
  rmSync(output, { force: true });
  rmSync(targets, { force: true });
}
// BENCH_FLEET_PARTS=1: for the last size, a run killed twice (SIGKILL at a third and two thirds of an
// uninterrupted run's time) and resumed, against one uninterrupted run; then 4 shards one after another,
// merged to NDJSON and to JSON (time and peak RSS of each merge).
if (!failed && process.env.BENCH_FLEET_PARTS === '1') {
  const n = sizes.at(-1);
  const targets = await writeTargets(n);
  const lab = ['--resolver', `${dns.info.host}:${dns.info.port}`, '--port', String(smtp.info.port), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--concurrency', String(concurrency), '--no-progress', '--quiet'];
  /** One CLI run; stdout to `out` (or ignored); killed after `killMs` when given. */
  const cli = async (args, out, killMs) => {
    const usage = join(dir, 'usage-part.json');
    rmSync(usage, { force: true });
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', here('./usage-hook.mjs'), BIN, ...args], { stdio: ['ignore', out ? 'pipe' : 'ignore', 'inherit'], env: { ...process.env, BENCH_USAGE_FILE: usage } });
    if (out) child.stdout.pipe(createWriteStream(out));
    const timer = killMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killMs);
    const code = await new Promise((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    let peak = null;
    try {
      peak = JSON.parse(readFileSync(usage, 'utf8')).maxRssKiB / 1024;
    } catch {
      // killed: no usage written
    }
    return { code, seconds: (performance.now() - started) / 1000, peak };
  };
  const whole = await cli(['-f', targets, ...lab, '--resume', join(dir, 'whole.ndjson')]);
  const file = join(dir, 'killed.ndjson');
  let total = 0;
  for (const fraction of [1 / 3, 1 / 3]) total += (await cli(['-f', targets, ...lab, '--resume', file], null, whole.seconds * 1000 * fraction)).seconds;
  const last = await cli(['-f', targets, ...lab, '--resume', file]);
  total += last.seconds;
  const keys = new Set();
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    const parsed = JSON.parse(line);
    if (parsed.type === 'target') {
      lines += 1;
      keys.add(parsed.key);
    }
  }
  console.log(`\n${n} targets, --resume: uninterrupted ${whole.seconds.toFixed(1)} s (exit ${whole.code}); killed twice and resumed ${total.toFixed(1)} s in all (exit ${last.code}), ${lines} target lines, ${keys.size} distinct keys`);
  const parts = [];
  let shardSeconds = 0;
  for (let i = 0; i < 4; i += 1) {
    const part = join(dir, `part-${i}.ndjson`);
    shardSeconds += (await cli(['-f', targets, ...lab, '--format', 'ndjson', '--shard', `${i}/4`], part)).seconds;
    parts.push(part);
  }
  const mergedNdjson = await cli(['merge', ...parts, '--format', 'ndjson'], join(dir, 'merged.ndjson'));
  const mergedJson = await cli(['merge', ...parts, '--format', 'json'], join(dir, 'merged.json'));
  console.log(`4 shards one after another: ${shardSeconds.toFixed(1)} s; merge --format ndjson ${mergedNdjson.seconds.toFixed(1)} s, peak RSS ${mergedNdjson.peak?.toFixed(1)} MiB; merge --format json ${mergedJson.seconds.toFixed(1)} s, peak RSS ${mergedJson.peak?.toFixed(1)} MiB`);
}
dns.child.stdin.end();
smtp.child.stdin.end();
rmSync(dir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

/** Asks a lab process one question on its stdin ("queries", "peak") and reads the JSON line it answers. */
async function ask(lab, question) {
  const lines = createInterface({ input: lab.child.stdout });
  const answer = new Promise((resolve) => lines.once('line', resolve));
  lab.child.stdin.write(`${question}\n`);
  const value = JSON.parse(await answer)[question];
  lines.close();
  return value;
}

/** How many queries the DNS process answered so far. */
function queries() {
  return ask(dns, 'queries');
}

/** The most sessions any one lab address had open at once since the last call (the SMTP process counts). */
function peakSessions() {
  return ask(smtp, 'peak');
}
