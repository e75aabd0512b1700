#!/usr/bin/env node
/**
 * npm run bench: probes per second and peak memory for a scan of the lab at
 * concurrency 1, 8 and 64. Each run is a fresh child process so the peak RSS
 * belongs to that run alone. Traffic stays on loopback.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const worker = fileURLToPath(new URL('./scan-worker.mjs', import.meta.url));
const levels = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const hosts = Number(process.env.BENCH_HOSTS ?? 64);
const domains = Number(process.env.BENCH_DOMAINS ?? 256);

console.log(`mxready bench: ${domains} domains over ${hosts} lab SMTP hosts (TLS 1.3, ECDSA P-256), node ${process.version}`);
console.log('concurrency  probes  seconds  probes/s  peak RSS MiB  peak heap MiB');
for (const concurrency of levels) {
  const run = spawnSync(process.execPath, ['--expose-gc', worker, String(concurrency), String(hosts), String(domains)], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) {
    console.error(run.stderr || run.stdout);
    process.exit(1);
  }
  const r = JSON.parse(run.stdout.trim().split('\n').pop());
  console.log(
    `${String(concurrency).padStart(11)}  ${String(r.probes).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)}  ${r.probesPerSecond.toFixed(1).padStart(8)}  ${r.peakRssMiB.toFixed(1).padStart(12)}  ${r.peakHeapMiB.toFixed(1).padStart(13)}`,
  );
}
