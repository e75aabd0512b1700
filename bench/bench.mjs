#!/usr/bin/env node
/**
 * npm run bench: probes per second, peak memory and DNS queries per domain for a
 * scan of the lab at concurrency 1, 8 and 64, with DANE on and off. The lab runs
 * in its own process; each scan runs in a fresh process so its peak RSS is its own.
 * Traffic stays on loopback.
 *
 *   BENCH_HOSTS (200), BENCH_DOMAINS (2000), BENCH_GREETING_DELAY_MS (50: stands in for
 *   network latency, so concurrency has something to overlap), BENCH_CONCURRENCY ("1,8,64"),
 *   BENCH_DANE ("on,off": each level with TLSA lookups, and with --no-dane's setting),
 *   BENCH_DNSSEC (1: the lab's resolver authenticates bench.test and every host has a
 *   matching TLSA record, so DANE does its whole work; 0: an unsigned zone),
 *   BENCH_POLICIES (on; off: what --no-mta-sts --no-tls-rpt set)
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const levels = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const hosts = Number(process.env.BENCH_HOSTS ?? 200);
const domains = Number(process.env.BENCH_DOMAINS ?? 2000);
const greetingDelayMs = Number(process.env.BENCH_GREETING_DELAY_MS ?? 50);
const daneModes = (process.env.BENCH_DANE ?? 'on,off').split(',');
const dnssec = (process.env.BENCH_DNSSEC ?? '1') === '1';
if (hosts > 254) throw new Error('BENCH_HOSTS: at most 254 (one 127.0.2.x address each)');
if (daneModes.some((m) => m !== 'on' && m !== 'off')) throw new Error('BENCH_DANE: a list of "on" and "off"');

const labProcess = spawn(process.execPath, [here('./lab-process.mjs'), String(hosts), String(domains), String(greetingDelayMs), dnssec ? '1' : '0'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const labTimer = setTimeout(() => labProcess.kill('SIGKILL'), 1_200_000);
const labLines = createInterface({ input: labProcess.stdout })[Symbol.asyncIterator]();
const labExit = new Promise((_, reject) => labProcess.once('exit', (code) => reject(new Error(`lab exited with ${code}`))));
const nextLabLine = async () => (await Promise.race([labLines.next(), labExit])).value;
const firstLine = await nextLabLine();
/** The DNS queries the lab has answered so far. */
async function labQueries() {
  labProcess.stdin.write('queries\n');
  return JSON.parse(await nextLabLine()).queries;
}

console.log(
  `mxready bench: ${domains} domains over ${hosts} lab SMTP hosts (TLS 1.3, ECDSA P-256, greeting after ${greetingDelayMs} ms, lab in its own process; ` +
    `${dnssec ? 'zone authenticated by the lab resolver, a matching TLSA 3 1 1 per host' : 'unsigned zone'}), node ${process.version}`,
);
console.log('concurrency  dane  probes  seconds  probes/s  peak RSS MiB  peak heap MiB  DNS queries/domain');
let failed = false;
outer: for (const concurrency of levels) {
  for (const dane of daneModes) {
    const before = await labQueries();
    const run = spawnSync(process.execPath, [here('./scan-worker.mjs'), String(concurrency), String(domains), firstLine, dane], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) {
      console.error(run.stderr || run.stdout || `scan worker ended with ${run.signal}`);
      failed = true;
      break outer;
    }
    const perDomain = ((await labQueries()) - before) / domains;
    const r = JSON.parse(run.stdout.trim().split('\n').pop());
    // DANE did its whole work, or none: a matched record on every address entry, or on none.
    const expectedValid = dnssec && dane === 'on' ? r.addressEntries : 0;
    if (r.daneValid !== undefined && r.daneValid !== expectedValid) {
      console.error(`expected DANE to match on ${expectedValid} addresses, it matched on ${r.daneValid}`);
      failed = true;
      break outer;
    }
    console.log(
      `${String(concurrency).padStart(11)}  ${dane.padStart(4)}  ${String(r.probes).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.probesPerSecond.toFixed(1).padStart(8)}  ${r.peakRssMiB.toFixed(1).padStart(12)}  ${r.peakHeapMiB.toFixed(1).padStart(13)}  ${perDomain.toFixed(2).padStart(18)}`,
    );
  }
}
labProcess.stdin.end();
await new Promise((resolve) => labProcess.once('exit', resolve));
clearTimeout(labTimer);
process.exit(failed ? 1 : 0);
