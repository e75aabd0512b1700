/**
 * One benchmark run: starts a lab (DNS + N SMTP hosts on 127.0.2.x), scans M
 * domains spread over them with the built library, prints one JSON line.
 * The lab runs in this process too, so the figures include the servers' side.
 */
import { createCa } from '../dist/lab/certs.js';
import { startLab } from '../dist/lab/lab.js';
import { scan } from '../dist/index.js';

const [concurrency, hosts, domains] = process.argv.slice(2).map(Number);

const ca = await createCa({ commonName: 'bench CA' });
const servers = [];
const records = [];
for (let i = 0; i < hosts; i += 1) {
  const hostname = `mx${i}.bench.test`;
  const cert = await ca.issue({ commonName: hostname, dnsNames: [hostname] });
  const ip = `127.0.2.${i + 1}`;
  servers.push({ ip, hostname, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem, ecdhCurve: 'X25519' } });
  records.push({ name: hostname, type: 'A', data: ip });
}
for (let i = 0; i < domains; i += 1) {
  records.push({ name: `d${i}.bench.test`, type: 'MX', data: { preference: 10, exchange: `mx${i % hosts}.bench.test` } });
}
const lab = await startLab({ servers, records });

let peakRss = process.memoryUsage().rss;
let peakHeap = process.memoryUsage().heapUsed;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}, 10);

const started = performance.now();
const report = await scan(
  Array.from({ length: domains }, (_, i) => `d${i}.bench.test`),
  {
    resolvers: [{ host: lab.dns.host, port: lab.dns.port }],
    port: lab.port,
    extraCa: [ca.certPem],
    allowPrivate: true,
    concurrency,
    perHost: 2,
    timeoutMs: 20_000,
  },
);
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
await lab.close();
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
