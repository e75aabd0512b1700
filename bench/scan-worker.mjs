/**
 * One benchmark run in a fresh process: scans M domains of the lab (started
 * by bench.mjs in another process) with the built library, samples its own
 * memory, prints one JSON line. Its 4th argument "off" sets what --no-dane sets.
 */
import { scan } from '../dist/index.js';

const [concurrency, domains] = process.argv.slice(2, 4).map(Number);
const lab = JSON.parse(process.argv[4]);
// "off": what --no-dane sets (no TLSA lookups); "on" (the default): DANE where the zone is secure.
const dane = process.argv[5] !== 'off';
// BENCH_POLICIES=off: what --no-mta-sts --no-tls-rpt set (no TXT lookups of the domains' policies).
const policies = process.env.BENCH_POLICIES !== 'off';

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
    dane,
    mtaSts: policies,
    tlsRpt: policies,
  },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
if (report.summary.pass !== domains) {
  console.error(`expected every domain to pass, got ${JSON.stringify(report.summary)}`);
  process.exit(1);
}
// Address entries (one per domain's MX address), and those where DANE matched: every one when
// the lab's zone is authenticated and DANE is on.
const addresses = report.targets.flatMap((t) => t.mx.flatMap((mx) => mx.addresses));
const daneValid = addresses.filter((a) => a.dane?.status === 'valid').length;
console.log(
  JSON.stringify({
    addressEntries: addresses.length,
    daneValid,
    concurrency,
    probes: report.summary.probes,
    seconds,
    probesPerSecond: report.summary.probes / seconds,
    peakRssMiB: peakRss / 2 ** 20,
    peakHeapMiB: peakHeap / 2 ** 20,
  }),
);
