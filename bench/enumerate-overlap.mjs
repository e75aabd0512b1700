#!/usr/bin/env node
/**
 * bench:enumerate's slow-replies leg: what overlapping the enumeration's sessions within
 * --per-host buys when a server takes its time. One lab STARTTLS host (dist/lab) on
 * 127.0.70.1, every SMTP reply after 0, 50 and 200 ms (BENCH_OVERLAP_DELAYS), enumerated by
 * the built CLI with --per-host 1 (one session at a time) and 2 (the default: the next
 * session's greeting, EHLO and STARTTLS run while a handshake does). Prints the wall time,
 * the sessions the host saw and the handshakes the report counts for each. Loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const { createCa } = await import(here('../dist/lab/certs.js'));
const { startSmtpServer } = await import(here('../dist/lab/smtp-server.js'));
const delays = (process.env.BENCH_OVERLAP_DELAYS ?? '0,50,200').split(',').map(Number);

const ca = await createCa({ commonName: 'overlap bench CA' });
const cert = await ca.issue({ commonName: 'mx.overlap.test', dnsNames: ['mx.overlap.test'] });
const dir = mkdtempSync(join(tmpdir(), 'mxready-overlap-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, ca.certPem);

function enumerate(port, perHost) {
  return new Promise((resolve, reject) => {
    const args = [here('../bin/mxready.js'), `127.0.70.1:${port}`, '--enumerate', '--per-host', String(perHost), '--ca-file', caFile, '--allow-private', '--format', 'json', '--no-progress'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

console.log(`enumeration with slow replies: one lab host, --per-host 1 against 2, node ${process.version}`);
try {
  for (const delay of delays) {
    const server = await startSmtpServer({ host: '127.0.70.1', hostname: 'mx.overlap.test', starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem }, replyDelayMs: delay });
    try {
      const walls = [];
      for (const perHost of [1, 2]) {
        const before = server.sessions;
        const started = performance.now();
        const report = JSON.parse(await enumerate(server.port, perHost));
        const wall = (performance.now() - started) / 1000;
        walls.push(wall);
        const handshakes = report.targets[0]?.mx[0]?.addresses[0]?.probe?.enumeration?.handshakes;
        console.log(`  replies after ${String(delay).padStart(3)} ms, --per-host ${perHost}: ${wall.toFixed(2)} s wall, ${server.sessions - before} sessions, ${handshakes} enumeration handshakes`);
      }
      console.log(`  replies after ${String(delay).padStart(3)} ms: --per-host 2 takes ${(walls[1] / walls[0]).toFixed(2)}x the time of --per-host 1`);
    } finally {
      await server.close();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
