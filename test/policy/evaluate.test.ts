import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateAddress, targetVerdict } from '../../src/policy/evaluate.js';
import { FINDINGS } from '../../src/policy/findings.js';
import { PRESETS, parseTlsVersion, resolvePolicy, type Policy } from '../../src/policy/presets.js';
import type { ProbeResult } from '../../src/model/probe.js';
import { certificate, failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

const at = (probe: ProbeResult) => ({ host: 'mx.xn--bcher-kva.example', ip: '127.0.0.2', port: 25, probe });
const ids = (probe: ProbeResult, policy: Policy = PRESETS.encrypt) => evaluateAddress(at(probe), policy).findings.map((f) => `${f.severity}:${f.id}`).sort();

describe('evaluateAddress', () => {
  const cases: [string, ProbeResult, 'encrypt' | 'verify', string, string[]][] = [
    ['TLS 1.3, good certificate', okProbe(), 'encrypt', 'meets', []],
    ['TLS 1.2', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) }), 'encrypt', 'meets', ['info:tls.no-tls13']],
    ['TLS 1.1 negotiated', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.1' }) }), 'encrypt', 'gap', ['fail:tls.version.below-minimum']],
    ['no STARTTLS', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered'), 'encrypt', 'gap', ['fail:starttls.missing']],
    ['STARTTLS 454', failedProbe('starttls-rejected', 'starttls', 'starttls-rejected'), 'encrypt', 'gap', ['fail:starttls.rejected']],
    ['handshake failure', failedProbe('tls-failed', 'tls', 'tls-handshake-failed'), 'encrypt', 'gap', ['fail:tls.handshake.failed']],
    ['speaks only TLS 1.0 (the legacy check negotiated it)', okProbe({ tls: tlsFacts({ protocol: 'TLSv1' }), legacyCheck: 'negotiated' }), 'encrypt', 'gap', ['fail:tls.version.below-minimum', 'warn:tls.legacy-protocol.accepted']],
    ['speaks no TLS version at all', failedProbe('tls-failed', 'tls', 'tls-version-unsupported', { legacyCheck: 'refused' }), 'encrypt', 'gap', ['fail:tls.handshake.failed']],
    ['421 inside TLS', failedProbe('smtp-rejected', 'ehlo-after-tls', 'ehlo-after-tls-rejected', { tls: tlsFacts(), certificate: certificate() }), 'encrypt', 'gap', ['fail:smtp.rejected-after-tls']],
    ['greeting 421', failedProbe('smtp-rejected', 'greeting', 'greeting-rejected'), 'encrypt', 'unassessed', ['warn:probe.smtp-rejected']],
    ['refused', failedProbe('connection-refused', 'connect', 'connect-refused'), 'encrypt', 'unassessed', ['warn:probe.unreachable']],
    ['connect timeout', failedProbe('connection-timeout', 'connect', 'connect-timeout'), 'encrypt', 'unassessed', ['warn:probe.unreachable']],
    ['greeting timeout', failedProbe('timeout', 'greeting', 'greeting-timeout'), 'encrypt', 'unassessed', ['warn:probe.timeout']],
    ['closed after greeting', failedProbe('connection-closed', 'ehlo', 'connection-closed'), 'encrypt', 'unassessed', ['warn:probe.connection-closed']],
    ['garbage banner', failedProbe('protocol-error', 'greeting', 'reply-malformed'), 'encrypt', 'unassessed', ['warn:probe.protocol-error']],
    ['private address', failedProbe('refused-private', 'guard', 'private-address'), 'encrypt', 'unassessed', ['warn:address.private']],
    ['self-signed under encrypt', okProbe({ certificate: certificate({ trusted: false, selfSigned: true, validationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), 'encrypt', 'meets', ['warn:cert.untrusted']],
    ['self-signed under verify', okProbe({ certificate: certificate({ trusted: false, selfSigned: true, validationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), 'verify', 'gap', ['fail:cert.untrusted']],
    ['expired under verify', okProbe({ certificate: certificate({ trusted: false, daysRemaining: -3, validationError: 'CERT_HAS_EXPIRED' }) }), 'verify', 'gap', ['fail:cert.expired']],
    ['expired and self-signed', okProbe({ certificate: certificate({ trusted: false, selfSigned: true, daysRemaining: -3, validationError: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), 'verify', 'gap', ['fail:cert.expired', 'fail:cert.untrusted']],
    ['name mismatch under encrypt', okProbe({ certificate: certificate({ hostnameMatch: false }) }), 'encrypt', 'meets', ['warn:cert.hostname-mismatch']],
    ['name mismatch under verify', okProbe({ certificate: certificate({ hostnameMatch: false }) }), 'verify', 'gap', ['fail:cert.hostname-mismatch']],
    ['expiring in 5 days', okProbe({ certificate: certificate({ daysRemaining: 5 }) }), 'encrypt', 'meets', ['warn:cert.expiring-soon']],
    ['static RSA', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2', cipher: { name: 'AES128-GCM-SHA256', standardName: 'TLS_RSA_WITH_AES_128_GCM_SHA256' }, keyExchange: { type: 'RSA', group: null, bits: null }, forwardSecrecy: false }) }), 'encrypt', 'meets', ['info:tls.forward-secrecy.missing', 'info:tls.no-tls13']],
    ['plaintext injected', okProbe({ plaintextDiscardedBytes: 12 }), 'encrypt', 'meets', ['warn:tls.plaintext-injected']],
  ];
  for (const [name, probe, policy, outcome, expected] of cases) {
    it(`Given ${name} under ${policy} Then ${outcome} with ${expected.join(', ') || 'no findings'}`, () => {
      const evaluation = evaluateAddress(at(probe), PRESETS[policy]);
      assert.equal(evaluation.outcome, outcome);
      assert.deepEqual(ids(probe, PRESETS[policy]), [...expected].sort());
    });
  }
  it('Given any finding Then its id is in the catalogue and carries host and ip', () => {
    const evaluation = evaluateAddress(at(failedProbe('no-starttls', 'ehlo', 'starttls-not-offered')), PRESETS.encrypt);
    for (const f of evaluation.findings) {
      assert.ok(Object.hasOwn(FINDINGS, f.id));
      assert.equal(f.host, 'mx.xn--bcher-kva.example');
      assert.equal(f.ip, '127.0.0.2');
      assert.equal(f.resultType, 'starttls-not-supported');
    }
  });
});

describe('targetVerdict', () => {
  const cases: [string, Parameters<typeof targetVerdict>[0], string, boolean | null][] = [
    ['all addresses meet', { nullMx: false, outcomes: [{ outcome: 'meets' }, { outcome: 'meets' }] }, 'pass', true],
    ['one gap, one meets', { nullMx: false, outcomes: [{ outcome: 'gap' }, { outcome: 'meets' }] }, 'fail', true],
    ['only gaps', { nullMx: false, outcomes: [{ outcome: 'gap' }] }, 'fail', false],
    ['gap beats unassessed, but mail is not known to be stuck', { nullMx: false, outcomes: [{ outcome: 'gap' }, { outcome: 'unassessed' }] }, 'fail', null],
    ['unassessed and meets', { nullMx: false, outcomes: [{ outcome: 'unassessed' }, { outcome: 'meets' }] }, 'error', true],
    ['null MX', { nullMx: true, outcomes: [] }, 'pass', null],
    ['NXDOMAIN', { nullMx: false, outcomes: [], error: { code: 'nxdomain', message: 'no such domain' } }, 'error', null],
    ['no addresses', { nullMx: false, outcomes: [] }, 'error', null],
    ['only unassessed', { nullMx: false, outcomes: [{ outcome: 'unassessed' }] }, 'error', null],
    ['a DNS failure beside a gap', { nullMx: false, outcomes: [{ outcome: 'gap' }], error: { code: 'servfail', message: 'x' } }, 'fail', null],
  ];
  for (const [name, input, status, deliverable] of cases) {
    it(`Given ${name} Then ${status}, deliverable ${deliverable}`, () => {
      const verdict = targetVerdict(input);
      assert.equal(verdict.status, status);
      assert.equal(verdict.deliverable, deliverable);
      if (status === 'error') assert.ok(verdict.error?.code);
    });
  }
});

describe('presets', () => {
  it('Given --min-tls spellings Then they map to OpenSSL names', () => {
    const spellings: Record<string, string> = {
      '1.0': 'TLSv1', TLSv1: 'TLSv1', tlsv1: 'TLSv1', 'TLSv1.0': 'TLSv1', 'tlsv1.0': 'TLSv1', 'TLS1.0': 'TLSv1',
      '1.1': 'TLSv1.1', 'TLSv1.1': 'TLSv1.1', 'TLS1.1': 'TLSv1.1',
      '1.2': 'TLSv1.2', 'TLSv1.2': 'TLSv1.2', 'TLS1.2': 'TLSv1.2', 'tls1.2': 'TLSv1.2',
      '1.3': 'TLSv1.3', 'TLSv1.3': 'TLSv1.3', 'TLS1.3': 'TLSv1.3',
    };
    for (const [spelling, name] of Object.entries(spellings)) assert.equal(parseTlsVersion(spelling), name, spelling);
    assert.throws(() => parseTlsVersion('1.4'), /invalid TLS version "1.4"/);
  });
  it('Given a spelling outside the documented set Then a usage error that lists the set', () => {
    for (const bad of ['1', 'TLS1', 'TLS 1.2', 'TLS v1.2', ' 1.2', '1.2 ', 'TLSv1.4', 'TLSv1.2.0', 'SSLv3', 'v1.2', '1.2.', '']) {
      assert.throws(
        () => parseTlsVersion(bad),
        (error: unknown) => error instanceof Error && error.message === `invalid TLS version "${bad}" (expected 1.0, 1.1, 1.2 or 1.3, spelt "1.2", "TLSv1.2" or "TLS1.2" (any case), and "TLSv1" for 1.0)`,
        JSON.stringify(bad),
      );
    }
  });
  it('Given verify with --min-tls 1.3 Then only the minimum changes', () => {
    assert.deepEqual(resolvePolicy('verify', '1.3'), { ...PRESETS.verify, minTlsVersion: 'TLSv1.3' });
  });
  it('Given an unknown policy Then a usage error lists the presets', () => {
    assert.throws(() => resolvePolicy('paranoid'), /unknown policy "paranoid" \(a preset: encrypt, verify, strict, dane; or a JSON policy file's path\)/);
  });
});
