/**
 * A fleet lab process (the fleet benchmark and the fleet test start two):
 *
 *   node dist/lab/fleet-process.js dns HOSTS    the synthetic DNS server (./synthetic.ts)
 *   node dist/lab/fleet-process.js smtp HOSTS   HOSTS STARTTLS servers, mxK.fleet.test on
 *                                               syntheticAddress(K), one port, one wildcard
 *                                               certificate from a CA made at start-up
 *
 *   … HOSTS providers                             MX hosts spread over providers (mxK.pP-fleet.test)
 *
 * Prints one JSON line ({host, port} for dns; {port, caPem} for smtp) and serves
 * until its stdin closes; a line "queries" on stdin is answered with
 * {"queries": N}, the DNS queries answered so far (dns); a line "peak" with
 * {"peak": N}, the most sessions any one host had open at once since the last
 * "peak" (smtp: from the accept until the client's QUIT or close). Loopback only.
 */
import { createInterface } from 'node:readline';
import { createCa } from './certs.js';
import { startLab } from './lab.js';
import { startSyntheticDns, syntheticAddress, syntheticMxName, syntheticProvider, SYNTHETIC_ZONE } from './synthetic.js';

const [role, count, spread] = process.argv.slice(2);
const providers = spread === 'providers';
const hosts = Number(count);
if ((role !== 'dns' && role !== 'smtp') || !Number.isInteger(hosts) || hosts < 1 || hosts > 60_000) {
  process.stderr.write('usage: fleet-process.js dns|smtp HOSTS (1-60000)\n');
  process.exit(2);
}

let close: () => Promise<void>;
let queries = (): number => 0;
let peak = (): number => 0;
if (role === 'dns') {
  const dns = await startSyntheticDns(hosts, { providers });
  process.stdout.write(`${JSON.stringify({ host: dns.host, port: dns.port })}\n`);
  close = () => dns.close();
  queries = () => dns.queries;
} else {
  const ca = await createCa({ commonName: 'fleet CA' });
  const zones = providers ? Array.from({ length: syntheticProvider(hosts - 1) + 1 }, (_, p) => `p${p}-${SYNTHETIC_ZONE}`) : [SYNTHETIC_ZONE];
  const cert = await ca.issue({ commonName: `*.${zones[0]}`, dnsNames: zones.map((zone) => `*.${zone}`) });
  const servers = Array.from({ length: hosts }, (_, k) => ({
    ip: syntheticAddress(k),
    hostname: syntheticMxName(k, providers),
    starttls: true,
    tls: { key: cert.keyPem, cert: cert.chainPem, ecdhCurve: 'X25519' },
  }));
  const lab = await startLab({ servers, records: [] });
  process.stdout.write(`${JSON.stringify({ port: lab.port, caPem: ca.certPem })}\n`);
  close = () => lab.close();
  // Sessions open at once per host, and the most any host had since the last question.
  let most = 0;
  for (const server of lab.smtp) {
    let open = 0;
    server.onSessionStart((left) => {
      open += 1;
      most = Math.max(most, open);
      void left.then(() => (open -= 1));
    });
  }
  peak = () => {
    const value = most;
    most = 0;
    return value;
  };
}
const input = createInterface({ input: process.stdin });
input.on('line', (line) => {
  if (line.trim() === 'queries') process.stdout.write(`${JSON.stringify({ queries: queries() })}\n`);
  if (line.trim() === 'peak') process.stdout.write(`${JSON.stringify({ peak: peak() })}\n`);
});
input.on('close', () => {
  void close().then(() => process.exit(0));
});
