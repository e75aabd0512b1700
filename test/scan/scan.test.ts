/** The scan pipeline in-process against a lab: deduplication, seen from the servers' side. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCa } from '../../src/lab/certs.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { startLab, type RunningLab } from '../../src/lab/lab.js';
import { scan } from '../../src/scan/scan.js';

const HOSTS = 20;
const DOMAINS = 500;
let lab: RunningLab;
let caPem: string;

before(async () => {
  const ca = await createCa({ commonName: 'scale CA' });
  caPem = ca.certPem;
  const servers = await Promise.all(
    Array.from({ length: HOSTS }, async (_, i) => {
      const hostname = `mx${i}.provider.test`;
      const cert = await ca.issue({ commonName: hostname, dnsNames: [hostname] });
      return { ip: `127.0.1.${i + 1}`, hostname, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem } };
    }),
  );
  const records: LabZoneRecord[] = [];
  for (let i = 0; i < HOSTS; i += 1) records.push({ name: `mx${i}.provider.test`, type: 'A', data: `127.0.1.${i + 1}` });
  for (let i = 0; i < DOMAINS; i += 1) records.push({ name: `d${i}.customers.test`, type: 'MX', data: { preference: 10, exchange: `mx${i % HOSTS}.provider.test` } });
  lab = await startLab({ servers, records });
});

after(async () => {
  await lab.close();
});

describe('scan at scale', () => {
  it('Given 500 domains that share 20 MX addresses When scanned Then each address sees exactly one session and every domain passes', async () => {
    const targets = Array.from({ length: DOMAINS }, (_, i) => `d${i}.customers.test`);
    const report = await scan(targets, {
      resolvers: [{ host: lab.dns.host, port: lab.dns.port }],
      port: lab.port,
      extraCa: [caPem],
      allowPrivate: true,
      concurrency: 8,
      timeoutMs: 10_000,
    });
    assert.equal(report.summary.probes, HOSTS);
    assert.deepEqual(lab.smtp.map((s) => s.sessions), Array.from({ length: HOSTS }, () => 1));
    assert.equal(report.summary.pass, DOMAINS);
    assert.deepEqual(report.targets.map((t) => t.input), targets, 'results in input order');
    // Each shared probe is judged by name per domain's MX entry: all match their own MX host.
    assert.ok(report.targets.every((t) => t.mx[0]?.addresses[0]?.probe.certificate?.hostnameMatch === true));
  });
});
