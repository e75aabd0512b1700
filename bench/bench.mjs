#!/usr/bin/env node
/**
 * npm run bench: probes per second and peak memory for a scan of the lab at
 * concurrency 1, 8 and 64. The lab runs in its own process; each scan runs in
 * a fresh process so its peak RSS is its own. Traffic stays on loopback.
 *
 *   BENCH_HOSTS (200), BENCH_DOMAINS (2000), BENCH_GREETING_DELAY_MS (50: stands in for
 *   network latency, so concurrency has something to overlap), BENCH_CONCURRENCY ("1,8,64")
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const levels = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const hosts = Number(process.env.BENCH_HOSTS ?? 200);
const domains = Number(process.env.BENCH_DOMAINS ?? 2000);
const greetingDelayMs = Number(process.env.BENCH_GREETING_DELAY_MS ?? 50);
if (hosts > 254) throw new Error('BENCH_HOSTS: at most 254 (one 127.0.2.x address each)');

const labProcess = spawn(process.execPath, [here('./lab-process.mjs'), String(hosts), String(domains), String(greetingDelayMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
const labTimer = setTimeout(() => labProcess.kill('SIGKILL'), 600_000);
const firstLine = await new Promise((resolve, reject) => {
  createInterface({ input: labProcess.stdout }).once('line', resolve);
  labProcess.once('exit', (code) => reject(new Error(`lab exited with ${code}`)));
});

console.log(`mxready bench: ${domains} domains over ${hosts} lab SMTP hosts (TLS 1.3, ECDSA P-256, greeting after ${greetingDelayMs} ms, lab in its own process), node ${process.version}`);
console.log('concurrency  probes  seconds  probes/s  peak RSS MiB  peak heap MiB');
let failed = false;
for (const concurrency of levels) {
  const run = spawnSync(process.execPath, [here('./scan-worker.mjs'), String(concurrency), String(domains), firstLine], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) {
    console.error(run.stderr || run.stdout || `scan worker ended with ${run.signal}`);
    failed = true;
    break;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').pop());
  console.log(
    `${String(concurrency).padStart(11)}  ${String(r.probes).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.probesPerSecond.toFixed(1).padStart(8)}  ${r.peakRssMiB.toFixed(1).padStart(12)}  ${r.peakHeapMiB.toFixed(1).padStart(13)}`,
  );
}
labProcess.stdin.end();
await new Promise((resolve) => labProcess.once('exit', resolve));
clearTimeout(labTimer);
process.exit(failed ? 1 : 0);
