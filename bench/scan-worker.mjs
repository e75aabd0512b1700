/**
 * One benchmark run in a fresh process: scans M domains of the lab (started
 * by bench.mjs in another process) with the built library, samples its own
 * memory, prints one JSON line.
 */
import { scan } from '../dist/index.js';

const [concurrency, domains] = process.argv.slice(2, 4).map(Number);
const lab = JSON.parse(process.argv[4]);

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 5);

const started = performance.now();
const report = await scan(
  Array.from({ length: domains }, (_, i) => `d${i}.bench.test`),
  {
    resolvers: [lab.dns],
    port: lab.port,
    extraCa: [lab.caPem],
    allowPrivate: true,
    concurrency,
    perHost: 2,
    timeoutMs: 20_000,
  },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
if (report.summary.pass !== domains) {
  console.error(`expected every domain to pass, got ${JSON.stringify(report.summary)}`);
  process.exit(1);
}
console.log(
  JSON.stringify({
    concurrency,
    probes: report.summary.probes,
    seconds,
    probesPerSecond: report.summary.probes / seconds,
    peakRssMiB: peakRss / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
  }),
);
