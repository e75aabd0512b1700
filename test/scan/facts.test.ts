/**
 * Facts are policy-free: the probe of every demo host is the same under every
 * policy and minimum (at the same depth), and a server a policy rejects keeps
 * every fact it showed. And the checks registry is open: a check written here,
 * passed through deps.checks, reaches the JSON and every format unaided.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CHECKS, type AddressCheck, type Check, type DomainCheck, type MxCheck } from '../../src/checks/registry.js';
import { startDemoLab, type DemoLab } from '../../src/lab/demo.js';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS, withOverrides, type Policy } from '../../src/policy/presets.js';
import { FORMATS, render } from '../../src/report/index.js';
import { scan } from '../../src/scan/scan.js';
import { contractViolations } from '../helpers/contract.js';

let lab: DemoLab;
before(async () => {
  lab = await startDemoLab();
});
after(async () => {
  await lab.close();
});

/** What differs between two runs against the same lab: how long things took. */
function timeless(probe: ProbeResult): unknown {
  const { timings: _timings, ...rest } = probe;
  return rest;
}

function probesOf(report: Report): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of report.targets) for (const mx of t.mx) for (const a of mx.addresses) out[`${t.input} ${mx.host} ${a.ip}`] = timeless(a.probe);
  return out;
}

describe('policy-free facts', () => {
  it('Given every demo host When scanned under encrypt, verify, strict, dane and --min-tls 1.0 to 1.3 at the same depth Then every probe is the same', async () => {
    const policies: Policy[] = [
      PRESETS.encrypt,
      PRESETS.verify,
      PRESETS.strict,
      PRESETS.dane,
      ...(['1.0', '1.1', '1.2', '1.3'] as const).map((v) => withOverrides(PRESETS.encrypt, { minTls: v })),
    ];
    const reports: Report[] = [];
    for (const policy of policies) reports.push(await scan(lab.targets, { ...lab.scanOptions, policy, legacyAcceptance: true }));
    const first = probesOf(reports[0] as Report);
    assert.ok(Object.keys(first).length >= 12);
    for (const [i, report] of reports.entries()) {
      assert.deepEqual(report.depth, { legacyCheck: true, legacyAcceptance: true, enumerate: false, dane: true, mtaSts: true, tlsRpt: true });
      assert.deepEqual(probesOf(report), first, `${policies[i]?.name} ${policies[i]?.minTlsVersion}`);
    }
    // …while the verdicts do differ: the TLS 1.2 host fails only under --min-tls 1.3, the TLS 1.0 host passes only under 1.0
    const status = (report: Report, input: string) => report.targets.find((t) => t.input === input)?.status;
    assert.deepEqual(reports.map((r) => status(r, 'tls12.mxready.test')), ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'fail']);
    assert.deepEqual(reports.map((r) => status(r, 'legacy.mxready.test')), ['fail', 'fail', 'fail', 'fail', 'pass', 'fail', 'fail', 'fail']);
  });

  it('Given a TLS 1.2-only server and --min-tls 1.3 Then it is ok with its certificate, cipher and EHLO after TLS, and the gap is tls.version.below-minimum', async () => {
    const report = await scan(['tls12.mxready.test'], { ...lab.scanOptions, policy: withOverrides(PRESETS.encrypt, { minTls: '1.3' }) });
    const target = report.targets[0];
    const probe = target?.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'ok');
    assert.equal(probe?.tls?.protocol, 'TLSv1.2');
    assert.match(probe?.tls?.cipher.standardName ?? '', /^TLS_ECDHE_RSA_WITH_AES_/);
    assert.equal(probe?.certificate?.subject, 'CN=mx.tls12.mxready.test');
    assert.ok((probe?.extensionsAfterTls ?? []).length > 0);
    assert.equal(target?.status, 'fail');
    assert.deepEqual(target?.findings.map((f) => f.id), ['tls.version.below-minimum']);
    assert.equal(target?.mx[0]?.addresses[0]?.assessment.protocol, 'gap');
  });

  it('Given a TLS 1.0-only server under the default policy Then the legacy session\'s certificate and cipher are the facts', async () => {
    const report = await scan(['legacy.mxready.test'], lab.scanOptions);
    const probe = report.targets[0]?.mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'ok');
    assert.equal(probe?.legacyCheck, 'negotiated');
    assert.equal(probe?.tls?.protocol, 'TLSv1');
    assert.ok(probe?.tls?.cipher.name);
    assert.equal(probe?.certificate?.subject, 'CN=mx.legacy.mxready.test');
    assert.equal(probe?.certificate?.trusted, true, "OpenSSL's verdict at security level 0 in that session");
  });
});

describe('a check written outside src/', () => {
  // Address scope: one fact (the length of the banner), one info rule.
  const bannerCheck: AddressCheck = {
    id: 'banner-length',
    scope: 'address',
    description: 'how long the greeting is',
    findings: { 'banner.length': { severity: 'info', description: 'The greeting is this long.' } },
    rules: {
      address: [
        (address) => {
          const facts = address.checks['banner-length']?.facts as { length: number } | undefined;
          return facts ? [{ id: 'banner.length', message: `${address.host} greets in ${facts.length} characters`, host: address.host, ip: address.ip, port: address.port }] : [];
        },
      ],
    },
    gather: async ({ prior }) => {
      const banner = (prior['starttls']?.facts as ProbeResult | undefined)?.banner ?? '';
      return { status: 'completed', facts: { length: banner.length } };
    },
  };
  const mxCheck: MxCheck = {
    id: 'mx-label-count',
    scope: 'mx',
    description: 'labels in the MX host name',
    findings: {},
    rules: {},
    gather: async ({ host }) => ({ status: 'completed', facts: { labels: host.split('.').length } }),
  };
  const domainCheck: DomainCheck = {
    id: 'always-fails-to-gather',
    scope: 'domain',
    description: 'a check whose gather throws: its result is an error, nothing else is lost',
    findings: {},
    rules: {},
    gather: async () => {
      throw new Error('gather exploded');
    },
  };
  const checks: Check[] = [...DEFAULT_CHECKS, bannerCheck, mxCheck, domainCheck];

  it('Given the check in deps.checks When the demo is scanned Then its fact is in the JSON and its finding in every format', async () => {
    const report = await scan(['modern.mxready.test', 'tls12.mxready.test'], lab.scanOptions, { checks });
    assert.deepEqual(contractViolations(report), []);
    const address = report.targets[0]?.mx[0]?.addresses[0];
    const banner = address?.probe.banner ?? '';
    assert.deepEqual(address?.checks?.['banner-length'], { status: 'completed', facts: { length: banner.length } });
    assert.ok(banner.length > 0);
    const json = JSON.parse(render(report, 'json', { color: false })) as Report;
    assert.deepEqual(json.targets[0]?.mx[0]?.addresses[0]?.checks?.['banner-length'], { status: 'completed', facts: { length: banner.length } });
    // Every format shows it, id and message, though both targets pass: markdown in its findings block, the inventory in its
    // findings by id (the first as the example), the enforcement formats on comment lines beside the destination.
    assert.deepEqual(report.targets.map((t) => t.status), ['pass', 'pass']);
    assert.ok(FORMATS.length >= 11);
    for (const format of FORMATS) {
      const text = render(report, format, { color: false });
      assert.match(text, /banner\.length/, format);
      assert.match(text, new RegExp(`greets in ${banner.length} characters`), format);
    }
    for (const format of ['postfix-policy', 'exim-hosts', 'attls']) {
      const comment = render(report, format, { color: false }).split('\n').find((l) => l.includes('banner.length'));
      assert.match(comment ?? '', /^#/, `${format}: a comment line, which the MTA ignores`);
    }
    // The other scopes walked too: once per MX host, once per target, a throw kept as an error result
    assert.deepEqual(report.targets[0]?.mx[0]?.checks?.['mx-label-count'], { status: 'completed', facts: { labels: 4 } });
    const failed = report.targets[1]?.checks?.['always-fails-to-gather'];
    assert.equal(failed?.status, 'error');
    assert.match(failed?.error?.message ?? '', /gather exploded/);
    assert.equal(report.targets[1]?.status, 'pass');
  });
});

describe("each check's status at its scope", () => {
  /** The default checks with the one named made to throw in its gather. */
  function throwing(id: string): Check[] {
    return DEFAULT_CHECKS.map((check) => (check.id === id ? ({ ...check, gather: async () => Promise.reject(new Error(`${id} exploded`)) } as Check) : check));
  }

  it('Given --enumerate When a STARTTLS host, a plaintext host and a relay are scanned Then every check whose facts live elsewhere records its status beside them, not-run with its reason, in the JSON and NDJSON', async () => {
    const relay = `mx.modern.mxready.test:${lab.scanOptions.port}`;
    const report = await scan(['modern.mxready.test', 'plaintext.mxready.test', relay], { ...lab.scanOptions, enumerate: true });
    assert.deepEqual(contractViolations(report), []);
    const [modern, plaintext, host] = report.targets;
    const modernAddress = modern?.mx[0]?.addresses[0];
    assert.deepEqual(modernAddress?.checks?.['starttls'], { status: 'completed', factsAt: 'probe' });
    assert.deepEqual(modernAddress?.checks?.['enumeration'], { status: 'completed', factsAt: 'probe.enumeration' });
    assert.ok(modernAddress?.probe.enumeration, 'the facts stay where they were');
    assert.equal((modernAddress?.checks?.['enumeration'] as { facts?: unknown }).facts, undefined, 'and are not copied');
    assert.deepEqual(modern?.mx[0]?.checks?.['dane'], { status: 'completed', factsAt: 'tlsa' });
    assert.deepEqual(modern?.checks?.['mta-sts'], { status: 'completed', factsAt: 'mtaSts' });
    assert.deepEqual(modern?.checks?.['tls-rpt'], { status: 'completed', factsAt: 'tlsRpt' });
    // The plaintext host: no handshake, so no enumeration, and the report says so
    const plainAddress = plaintext?.mx[0]?.addresses[0];
    assert.equal(plainAddress?.probe.status, 'no-starttls');
    assert.equal(plainAddress?.probe.enumeration, undefined);
    assert.deepEqual(plainAddress?.checks?.['enumeration'], { status: 'not-run', reason: 'no TLS handshake was reached' });
    // A relay has no MTA-STS policy or TLS-RPT record: not-run, with why
    assert.equal(host?.kind, 'host');
    assert.equal(host?.checks?.['mta-sts']?.status, 'not-run');
    assert.match(host?.checks?.['mta-sts']?.reason ?? '', /domain targets only/);
    assert.equal(host?.mtaSts, undefined);
    // The same in the JSON and in every NDJSON target line
    const json = JSON.parse(render(report, 'json', { color: false })) as Report;
    assert.deepEqual(json.targets[1]?.mx[0]?.addresses[0]?.checks?.['enumeration'], { status: 'not-run', reason: 'no TLS handshake was reached' });
    const lines = render(report, 'ndjson', { color: false }).trim().split('\n').map((l) => JSON.parse(l) as { type: string; target?: Report['targets'][number] });
    const plainLine = lines.find((l) => l.type === 'target' && l.target?.input === 'plaintext.mxready.test');
    assert.deepEqual(plainLine?.target?.mx[0]?.addresses[0]?.checks?.['enumeration'], { status: 'not-run', reason: 'no TLS handshake was reached' });
    assert.deepEqual(lines.find((l) => l.target?.input === 'modern.mxready.test')?.target?.checks?.['mta-sts'], { status: 'completed', factsAt: 'mtaSts' });
  });

  it('Given the enumeration, DANE and MTA-STS checks throwing When scanned Then each throw is kept as status error at its scope, with no facts, and the STARTTLS facts stay', async () => {
    const checks = throwing('enumeration').map((c) => (c.id === 'dane' || c.id === 'mta-sts' ? (throwing(c.id).find((t) => t.id === c.id) as Check) : c));
    const report = await scan(['modern.mxready.test'], { ...lab.scanOptions, enumerate: true }, { checks });
    assert.deepEqual(contractViolations(report), []);
    const target = report.targets[0];
    const address = target?.mx[0]?.addresses[0];
    assert.equal(address?.probe.status, 'ok');
    assert.deepEqual(address?.checks?.['starttls'], { status: 'completed', factsAt: 'probe' });
    const expect = (result: unknown, id: string) => {
      const r = result as { status: string; error?: { code: string; message: string }; facts?: unknown; factsAt?: string } | undefined;
      assert.equal(r?.status, 'error', id);
      assert.equal(r?.error?.code, 'internal-error', id);
      assert.match(r?.error?.message ?? '', new RegExp(`${id} exploded`), id);
      assert.equal(r?.facts, undefined, id);
      assert.equal(r?.factsAt, undefined, id);
    };
    expect(address?.checks?.['enumeration'], 'enumeration');
    assert.equal(address?.probe.enumeration, undefined);
    expect(target?.mx[0]?.checks?.['dane'], 'dane');
    assert.equal(target?.mx[0]?.tlsa, undefined);
    expect(target?.checks?.['mta-sts'], 'mta-sts');
    assert.equal(target?.mtaSts, undefined);
    assert.deepEqual(target?.checks?.['tls-rpt'], { status: 'completed', factsAt: 'tlsRpt' });
  });

  it('Given the STARTTLS check throwing When scanned Then the record is internal-error and checks.starttls says why', async () => {
    const report = await scan(['modern.mxready.test'], lab.scanOptions, { checks: throwing('starttls') });
    assert.deepEqual(contractViolations(report), []);
    const address = report.targets[0]?.mx[0]?.addresses[0];
    assert.equal(address?.probe.status, 'internal-error');
    assert.equal(address?.checks?.['starttls']?.status, 'error');
    assert.match(address?.checks?.['starttls']?.error?.message ?? '', /starttls exploded/);
    assert.equal(report.targets[0]?.status, 'error');
  });
});
