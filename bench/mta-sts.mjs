#!/usr/bin/env node
/**
 * npm run bench:mta-sts: the time one domain's MTA-STS and TLS-RPT work takes
 * (the two TXT lookups, the policy host's addresses, the HTTPS fetch and the
 * parse), one domain at a time so each time is its own: median, p90 and max over
 * BENCH_DOMAINS (200) domains that publish a valid policy and a TLS-RPT record,
 * and over as many that publish neither. Against the lab's DNS server and its
 * policy server on loopback (the lab in this process: the times include the
 * servers' share of the CPU).
 */
import { rootCertificates } from 'node:tls';
import { discoverMtaSts } from '../dist/checks/mta-sts/check.js';
import { discoverTlsRpt } from '../dist/checks/tls-rpt/check.js';
import { createDnsClient } from '../dist/dns/client.js';
import { createCa } from '../dist/lab/certs.js';
import { startDnsServer } from '../dist/lab/dns-server.js';
import { startPolicyServer } from '../dist/lab/policy-server.js';

const domains = Number(process.env.BENCH_DOMAINS ?? 200);
const name = (i) => `d${i}.bench.test`;
const ca = await createCa({ commonName: 'bench CA' });
const hosts = Array.from({ length: domains }, (_, i) => `mta-sts.${name(i)}`);
const cert = await ca.issue({ commonName: hosts[0], dnsNames: hosts });
const policy = 'version: STSv1\r\nmode: enforce\r\nmx: mx.bench.test\r\nmax_age: 86400\r\n';
const server = await startPolicyServer({ host: '127.0.0.80', keyPem: cert.keyPem, certPem: cert.chainPem, sites: Object.fromEntries(hosts.map((h) => [h, { body: policy }])) });
const records = [];
for (let i = 0; i < domains; i += 1) {
  records.push({ name: `_mta-sts.${name(i)}`, type: 'TXT', data: `v=STSv1; id=b${i};` });
  records.push({ name: `mta-sts.${name(i)}`, type: 'A', data: '127.0.0.80' });
  records.push({ name: `_smtp._tls.${name(i)}`, type: 'TXT', data: `v=TLSRPTv1; rua=mailto:r@${name(i)}` });
}
const dnsServer = await startDnsServer({ records });
const dns = createDnsClient({ servers: [{ host: dnsServer.host, port: dnsServer.port }], timeoutMs: 2000 });
const signal = new AbortController().signal;
const trustAnchors = [...rootCertificates, ca.certPem];

async function timeOne(domain) {
  const context = { domain, kind: 'domain', mtaStsPort: server.port, options: { heloName: 'bench.invalid', timeouts: { probeMs: 30_000 }, trustAnchors }, io: { dns, refuse: () => null }, depth: {}, trace: false, signal };
  const started = performance.now();
  const [sts, rpt] = await Promise.all([discoverMtaSts(context), discoverTlsRpt(context)]);
  return { ms: performance.now() - started, sts: sts.status, rpt: rpt.status };
}

function summary(label, runs, expected) {
  const bad = runs.filter((r) => r.sts !== expected.sts || r.rpt !== expected.rpt);
  if (bad.length > 0) throw new Error(`${label}: ${bad.length} domains ended ${JSON.stringify(bad[0])}, expected ${JSON.stringify(expected)}`);
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  const at = (q) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(2);
  console.log(`${label.padEnd(34)} ${String(ms.length).padStart(5)}  median ${at(0.5).padStart(6)} ms  p90 ${at(0.9).padStart(6)} ms  max ${ms.at(-1).toFixed(2).padStart(7)} ms`);
}

console.log(`mxready bench:mta-sts: ${domains} domains each way, one at a time, node ${process.version}`);
const withPolicy = [];
for (let i = 0; i < domains; i += 1) withPolicy.push(await timeOne(name(i)));
summary('policy fetched + TLS-RPT record', withPolicy, { sts: 'valid', rpt: 'valid' });
const without = [];
for (let i = 0; i < domains; i += 1) without.push(await timeOne(`none${i}.bench.test`));
summary('neither published (two NXDOMAIN)', without, { sts: 'none', rpt: 'none' });
dns.close();
await Promise.all([server.close(), dnsServer.close()]);
