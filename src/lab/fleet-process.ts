/**
 * A fleet lab process (the fleet benchmark and the fleet test start two):
 *
 *   node dist/lab/fleet-process.js dns HOSTS    the synthetic DNS server (./synthetic.ts)
 *   node dist/lab/fleet-process.js smtp HOSTS   HOSTS STARTTLS servers, mxK.fleet.test on
 *                                               syntheticAddress(K), one port, one wildcard
 *                                               certificate from a CA made at start-up
 *
 * Prints one JSON line ({host, port} for dns; {port, caPem} for smtp) and serves
 * until its stdin closes; a line "queries" on stdin is answered with
 * {"queries": N}, the DNS queries answered so far (dns). Loopback only.
 */
import { createInterface } from 'node:readline';
import { createCa } from './certs.js';
import { startLab } from './lab.js';
import { startSyntheticDns, syntheticAddress, SYNTHETIC_ZONE } from './synthetic.js';

const [role, count] = process.argv.slice(2);
const hosts = Number(count);
if ((role !== 'dns' && role !== 'smtp') || !Number.isInteger(hosts) || hosts < 1 || hosts > 60_000) {
  process.stderr.write('usage: fleet-process.js dns|smtp HOSTS (1-60000)\n');
  process.exit(2);
}

let close: () => Promise<void>;
let queries = (): number => 0;
if (role === 'dns') {
  const dns = await startSyntheticDns(hosts);
  process.stdout.write(`${JSON.stringify({ host: dns.host, port: dns.port })}\n`);
  close = () => dns.close();
  queries = () => dns.queries;
} else {
  const ca = await createCa({ commonName: 'fleet CA' });
  const cert = await ca.issue({ commonName: `*.${SYNTHETIC_ZONE}`, dnsNames: [`*.${SYNTHETIC_ZONE}`] });
  const servers = Array.from({ length: hosts }, (_, k) => ({
    ip: syntheticAddress(k),
    hostname: `mx${k}.${SYNTHETIC_ZONE}`,
    starttls: true,
    tls: { key: cert.keyPem, cert: cert.chainPem, ecdhCurve: 'X25519' },
  }));
  const lab = await startLab({ servers, records: [] });
  process.stdout.write(`${JSON.stringify({ port: lab.port, caPem: ca.certPem })}\n`);
  close = () => lab.close();
}
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'queries') process.stdout.write(`${JSON.stringify({ queries: queries() })}\n`);
});
input.on('close', () => {
  void close().then(() => process.exit(0));
});
