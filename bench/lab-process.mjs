/**
 * The benchmark's lab in a process of its own, so the scanner's CPU time and
 * memory are measured apart from the servers'. Starts N SMTP hosts on
 * 127.0.2.x and a DNS server with M domains spread over them, prints one JSON
 * line ({dns, port, caPem}) and serves until its stdin closes. Each line
 * "queries" on stdin is answered with a line {"queries": N}: the DNS queries
 * the lab has answered so far.
 *
 * With DNSSEC (the 4th argument "1"), the lab's DNS server plays a validating
 * resolver for bench.test (every answer authenticated) and every host has a
 * matching TLSA 3 1 1 record at _PORT._tcp.HOST, so a scan does DANE's work:
 * a TLSA lookup per host and a match per address. Older trees ignore it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createInterface } from 'node:readline';
import { createCa } from '../dist/lab/certs.js';
import { startLab } from '../dist/lab/lab.js';

const [hosts, domains, greetingDelayMs] = process.argv.slice(2, 5).map(Number);
const dnssec = process.argv[5] === '1';
const ca = await createCa({ commonName: 'bench CA' });
const servers = [];
const records = [];
const tlsa = [];
for (let i = 0; i < hosts; i += 1) {
  const hostname = `mx${i}.bench.test`;
  const cert = await ca.issue({ commonName: hostname, dnsNames: [hostname] });
  const ip = `127.0.2.${i + 1}`;
  servers.push({ ip, hostname, greetingDelayMs, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem, ecdhCurve: 'X25519' } });
  records.push({ name: hostname, type: 'A', data: ip });
  const spki = new X509Certificate(cert.certPem).publicKey.export({ type: 'spki', format: 'der' });
  tlsa.push({ hostname, certificate: createHash('sha256').update(spki).digest() });
}
for (let i = 0; i < domains; i += 1) {
  records.push({ name: `d${i}.bench.test`, type: 'MX', data: { preference: 10, exchange: `mx${i % hosts}.bench.test` } });
}
const lab = await startLab({
  servers,
  records: dnssec
    ? (port) => [...records, ...tlsa.map((t) => ({ name: `_${port}._tcp.${t.hostname}`, type: 'TLSA', data: { usage: 3, selector: 1, matchingType: 1, certificate: t.certificate } }))]
    : records,
  ...(dnssec ? { dnssec: { 'bench.test': 'secure' } } : {}),
});
process.stdout.write(`${JSON.stringify({ dns: { host: lab.dns.host, port: lab.dns.port }, port: lab.port, caPem: ca.certPem })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'queries') process.stdout.write(`${JSON.stringify({ queries: lab.dns.queries })}\n`);
});
lines.on('close', () => {
  void lab.close().then(() => process.exit(0));
});
