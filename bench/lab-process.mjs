/**
 * The benchmark's lab in a process of its own, so the scanner's CPU time and
 * memory are measured apart from the servers'. Starts N SMTP hosts on
 * 127.0.2.x and a DNS server with M domains spread over them, prints one JSON
 * line ({dns, port, caPem}) and serves until its stdin closes.
 */
import { createCa } from '../dist/lab/certs.js';
import { startLab } from '../dist/lab/lab.js';

const [hosts, domains, greetingDelayMs] = process.argv.slice(2).map(Number);
const ca = await createCa({ commonName: 'bench CA' });
const servers = [];
const records = [];
for (let i = 0; i < hosts; i += 1) {
  const hostname = `mx${i}.bench.test`;
  const cert = await ca.issue({ commonName: hostname, dnsNames: [hostname] });
  const ip = `127.0.2.${i + 1}`;
  servers.push({ ip, hostname, greetingDelayMs, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem, ecdhCurve: 'X25519' } });
  records.push({ name: hostname, type: 'A', data: ip });
}
for (let i = 0; i < domains; i += 1) {
  records.push({ name: `d${i}.bench.test`, type: 'MX', data: { preference: 10, exchange: `mx${i % hosts}.bench.test` } });
}
const lab = await startLab({ servers, records });
process.stdout.write(`${JSON.stringify({ dns: { host: lab.dns.host, port: lab.dns.port }, port: lab.port, caPem: ca.certPem })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void lab.close().then(() => process.exit(0));
});
