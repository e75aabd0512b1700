/**
 * The inventory at scale (fleet tier): a 20,000-domain synthetic NDJSON file read
 * back by `mxready report` as a stream, every marginal equal to its map, and the
 * domains brute-forced against them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { render } from '../../src/report/index.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { reportFrom } from '../helpers/checks.js';
import { runCli } from '../helpers/cli.js';
import { failedProbe, okProbe, tlsFacts, certificate } from '../helpers/factories.js';
import { assertInventoryConsistent } from '../helpers/inventory.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-inventory-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the inventory of a 20,000-domain NDJSON file', () => {
  it('Given 20,000 synthetic domains over 3,000 addresses of eight kinds Then every marginal is its map and domains are brute-forced', async () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const kinds: ProbeResult[] = [
      okProbe(),
      okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2', cipher: { name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' } }), certificate: certificate({ keyType: 'rsa', keyBits: 2048 }) }),
      okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2', keyExchange: { type: 'ECDH', group: 'P-256', bits: 256 } }) }),
      okProbe({ tls: tlsFacts({ protocol: 'TLSv1' }), legacyCheck: 'negotiated' }),
      failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain ESMTP' }),
      failedProbe('tls-failed', 'tls', 'tls-handshake-failed', { banner: 'mx ESMTP', starttls: true }),
      failedProbe('connection-refused', 'connect', 'connect-refused'),
      failedProbe('timeout', 'greeting', 'greeting-timeout'),
    ];
    const ips = Array.from({ length: 3000 }, (_, i) => `8.${8 + Math.floor(i / 250)}.${i % 250}.1`);
    const resolved: ResolvedTarget[] = Array.from({ length: 20_000 }, (_, i) => ({
      input: `d${i}.example`, domain: `d${i}.example`, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
      hosts: Array.from({ length: 1 + next(2) }, (_, h) => ({ name: `mx${h}.p${next(50)}.example`, preference: 10 * (h + 1), addresses: Array.from({ length: 1 + next(2) }, () => ips[next(ips.length)] as string) })),
    }));
    const plan = planScan(resolved, { allowPrivate: false });
    const probes = new Map(plan.probes.map((p) => [p.key, kinds[Number(p.ip.split('.')[2]) % kinds.length] as ProbeResult]));
    const report = reportFrom(plan, probes, PRESETS.encrypt);
    const file = join(dir, 'synthetic.ndjson');
    writeFileSync(file, render(report, 'ndjson', { color: false }));
    const run = await runCli(['report', file, '--format', 'json'], { timeoutMs: 120_000 });
    assert.ok(run.code === 1 || run.code === 3, run.stderr);
    const rebuilt = JSON.parse(run.stdout) as Report;
    assert.equal(rebuilt.targets.length, 20_000);
    assertInventoryConsistent(rebuilt.summary, rebuilt.targets);
    assert.equal(rebuilt.summary.inventory?.length, 5, "TLS 1.3, two TLS 1.2, TLS 1.0, and no protection");
    assert.ok((rebuilt.summary.unreached ?? 0) > 0);
  });
});

