/**
 * The bench:peers farm, in a process of its own so its CPU is not the measured one's:
 * N STARTTLS endpoints on loopback, each on its own address (127.1.0.1, 127.1.0.2, …,
 * so --per-host never binds) and one port, each with its own EC P-256 certificate
 * issued by an intermediate under one test CA (the chain sent is leaf + intermediate).
 *
 *   node peers-farm.mjs N REPLY_DELAY_MS FOLDER
 *
 * Writes into FOLDER: ca.pem (the root), targets.txt (IP:PORT a line: mxready's relay
 * targets), fleet.txt ("IP:PORT NAME" a line: the bare client and the OpenSSL fleet).
 * Prints one line, "ready", and serves until its stdin closes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa } from '../dist/lab/certs.js';
import { startLab } from '../dist/lab/lab.js';

const [count, replyDelayMs] = process.argv.slice(2, 4).map(Number);
const folder = process.argv[4];
if (!Number.isInteger(count) || count < 1 || count > 254 * 256) throw new Error('peers-farm: N must be 1 to 65,024');

const root = await createCa({ commonName: 'mxready bench:peers root' });
const issuer = await root.intermediate({ commonName: 'mxready bench:peers issuing CA' });
// 254 addresses a /24 (no .0, no .255), from 127.1.0.1 on.
const address = (i) => `127.1.${Math.floor(i / 254)}.${(i % 254) + 1}`;
const servers = [];
// Leaves are made a batch at a time: WebCrypto's work runs on the thread pool.
for (let start = 0; start < count; start += 16) {
  const batch = Array.from({ length: Math.min(16, count - start) }, (_, k) => start + k);
  const certs = await Promise.all(batch.map((i) => issuer.issue({ commonName: `peer${i}.bench.test`, dnsNames: [`peer${i}.bench.test`] })));
  batch.forEach((i, k) => {
    const ip = address(i);
    servers.push({ ip, hostname: `peer${i}.bench.test`, starttls: true, replyDelayMs, tls: { key: certs[k].keyPem, cert: certs[k].chainPem } });
  });
}
const lab = await startLab({ servers, records: [] });
writeFileSync(join(folder, 'ca.pem'), root.certPem);
writeFileSync(join(folder, 'targets.txt'), `${servers.map((s) => `${s.ip}:${lab.port}`).join('\n')}\n`);
writeFileSync(join(folder, 'fleet.txt'), `${servers.map((s) => `${s.ip}:${lab.port} ${s.hostname}`).join('\n')}\n`);
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void lab.close().then(() => process.exit(0));
});
