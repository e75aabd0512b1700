/** The STARTTLS check's rules: certificate depth, legacy protocols, forward secrecy, not-measured facts and finding overrides. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChainCertificate, ProbeResult } from '../../../src/model/probe.js';
import { evaluateAddress } from '../../../src/policy/evaluate.js';
import { exitCodeFor } from '../../../src/policy/exit-code.js';
import { PRESETS, type Policy } from '../../../src/policy/presets.js';
import { certificate, okProbe, tlsFacts } from '../../helpers/factories.js';

const at = (probe: ProbeResult) => ({ host: 'mx.example', ip: '8.8.8.8', port: 25, probe });
const ids = (probe: ProbeResult, policy: Policy) =>
  evaluateAddress(at(probe), policy)
    .findings.map((f) => `${f.severity}:${f.id}`)
    .sort();

function link(subject: string, issuer: string, extra: Partial<ChainCertificate> = {}): ChainCertificate {
  return {
    subject,
    issuer,
    notBefore: '2026-01-01T00:00:00.000Z',
    notAfter: '2027-01-01T00:00:00.000Z',
    keyType: 'ec',
    keyBits: 256,
    signatureAlgorithm: 'ecdsa-with-SHA256',
    fingerprintSha256: subject,
    selfSigned: subject === issuer,
    ...extra,
  };
}

const LEAF = link('CN=mx.example', 'CN=Issuing CA');
const ISSUING = link('CN=Issuing CA', 'CN=Root CA');
const ROOT = link('CN=Root CA', 'CN=Root CA');
const STRAY = link('CN=Other', 'CN=Other');

/** A probe whose legacy acceptance was measured (refused), so strict has every fact it needs. */
function withChain(chain: ChainCertificate[], extra: Partial<ReturnType<typeof certificate>> = {}): ProbeResult {
  return okProbe({ certificate: certificate({ ...chain[0], chain, chainAsSent: true, ...extra }), legacyAccepted: null });
}

describe('chain rules', () => {
  const cases: [string, ProbeResult, Policy, string[]][] = [
    ['a leaf and its intermediate, in order', withChain([LEAF, ISSUING]), PRESETS.verify, []],
    ['the root sent along, in order', withChain([LEAF, ISSUING, ROOT]), PRESETS.verify, []],
    ['intermediate before the leaf', withChain([LEAF, ROOT, ISSUING]), PRESETS.verify, ['warn:cert.chain.order']],
    ['a stray certificate', withChain([LEAF, STRAY, ISSUING]), PRESETS.encrypt, ['warn:cert.chain.order']],
    [
      'a missing intermediate under verify',
      withChain([LEAF], { trusted: false, validationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      PRESETS.verify,
      ['fail:cert.chain.incomplete', 'fail:cert.untrusted'],
    ],
    [
      'a missing intermediate under encrypt',
      withChain([LEAF], { trusted: false, validationError: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' }),
      PRESETS.encrypt,
      ['warn:cert.chain.incomplete', 'warn:cert.untrusted'],
    ],
    ['an intermediate signed with SHA-1 under verify', withChain([LEAF, { ...ISSUING, signatureAlgorithm: 'sha1WithRSAEncryption' }]), PRESETS.verify, ['warn:cert.sha1-signature']],
    ['an intermediate signed with SHA-1 under strict', withChain([LEAF, { ...ISSUING, signatureAlgorithm: 'sha1WithRSAEncryption' }]), PRESETS.strict, ['fail:cert.sha1-signature']],
    ['a SHA-1 self-signed root', withChain([LEAF, ISSUING, { ...ROOT, signatureAlgorithm: 'sha1WithRSAEncryption' }]), PRESETS.strict, []],
    ['an RSA 1024 leaf under encrypt', withChain([{ ...LEAF, keyType: 'rsa', keyBits: 1024 }, ISSUING]), PRESETS.encrypt, ['warn:cert.key.weak']],
    ['an RSA 1024 leaf under strict', withChain([{ ...LEAF, keyType: 'rsa', keyBits: 1024 }, ISSUING]), PRESETS.strict, ['fail:cert.key.weak']],
    ['an RSA 2048 leaf under strict', withChain([{ ...LEAF, keyType: 'rsa', keyBits: 2048 }, ISSUING]), PRESETS.strict, []],
    ['a P-224 intermediate under strict', withChain([LEAF, { ...ISSUING, keyBits: 224 }]), PRESETS.strict, ['fail:cert.key.weak']],
  ];
  for (const [name, probe, policy, expected] of cases) {
    it(`Given ${name} under ${policy.name} Then ${expected.join(', ') || 'no finding'}`, () => {
      assert.deepEqual(ids(probe, policy), expected.sort());
    });
  }
});

describe('strict', () => {
  it('Given a host that negotiates TLS 1.3 but still accepts TLS 1.0 Then strict finds a gap; verify judges the legacy-acceptance session not at all, the enumeration with a warning', () => {
    const probe = withChain([LEAF, ISSUING], {});
    const legacy = { ...probe, legacyAccepted: 'TLSv1' };
    assert.equal(evaluateAddress(at(legacy), PRESETS.strict).outcome, 'gap');
    assert.deepEqual(ids(legacy, PRESETS.strict), ['fail:tls.legacy-protocol.accepted']);
    // verify does not ask for that session: a report made with it, judged under verify, says what a verify scan says
    assert.deepEqual(ids(legacy, PRESETS.verify), []);
    const { legacyAccepted: _session, ...enumerated } = legacy;
    const protocols = { SSLv3: null, TLSv1: true, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true };
    const withEnumeration = { ...enumerated, enumeration: { protocols, ciphers: {}, serverOrder: {}, groups: [], groupsNotTestable: [], dhBits: null, notTestable: [], handshakes: 4 } };
    assert.deepEqual(ids(withEnumeration, PRESETS.verify), ['warn:tls.legacy-protocol.accepted']);
    assert.deepEqual(ids(withEnumeration, PRESETS.strict), ['fail:tls.legacy-protocol.accepted']);
    assert.equal(evaluateAddress(at({ ...probe, legacyAccepted: null }), PRESETS.strict).outcome, 'meets');
  });
  it('Given static RSA Then strict fails it for forward secrecy', () => {
    const probe = okProbe({
      tls: tlsFacts({ protocol: 'TLSv1.3', cipher: { name: 'AES128-GCM-SHA256', standardName: 'TLS_RSA_WITH_AES_128_GCM_SHA256' }, forwardSecrecy: false }),
      legacyAccepted: null,
    });
    assert.ok(ids(probe, PRESETS.strict).includes('fail:tls.forward-secrecy.missing'));
  });
});

describe('not measured', () => {
  it('Given strict and no session that offered only TLS 1.0/1.1 Then one policy.not-measured names the flag and the address is not assessed', () => {
    const probe = withChain([LEAF, ISSUING]);
    const { legacyAccepted: _measured, ...unmeasured } = probe;
    const evaluation = evaluateAddress(at(unmeasured), PRESETS.strict);
    assert.equal(evaluation.outcome, 'unassessed');
    const notMeasured = evaluation.findings.filter((f) => f.id === 'policy.not-measured');
    assert.equal(notMeasured.length, 1);
    assert.equal(notMeasured[0]?.severity, 'warn');
    assert.match(notMeasured[0]?.message ?? '', /--legacy-acceptance/);
    assert.equal(evaluation.error?.code, 'not-measured');
    // encrypt and verify do not need the fact: no finding, the address meets them
    assert.equal(evaluateAddress(at(unmeasured), PRESETS.verify).outcome, 'meets');
  });
  it('Given strict, no legacy acceptance measured, and a gap Then the address is a gap, not merely not assessed', () => {
    const { legacyAccepted: _measured, ...unmeasured } = withChain([LEAF, ISSUING], { hostnameMatch: false });
    assert.equal(evaluateAddress(at(unmeasured), PRESETS.strict).outcome, 'gap');
  });
  it('Given --min-tls 1.0 and a server offering neither TLS 1.2 nor 1.3 with the legacy check off Then whether it meets is not measured', () => {
    const probe: ProbeResult = {
      status: 'tls-failed',
      banner: 'mx ESMTP',
      extensions: ['STARTTLS'],
      starttls: true,
      tlsMode: 'starttls',
      error: { phase: 'tls', code: 'tls-version-unsupported', message: 'the server negotiates neither TLSv1.2 nor TLSv1.3' },
      timings: { connectMs: 1, greetingMs: 2, tlsMs: null, totalMs: 3 },
    };
    const tls10: Policy = { ...PRESETS.encrypt, minTlsVersion: 'TLSv1' };
    assert.deepEqual(ids(probe, tls10), ['warn:policy.not-measured']);
    assert.equal(evaluateAddress(at(probe), tls10).outcome, 'unassessed');
    // Under TLS 1.2 it is a gap whatever it speaks below
    assert.deepEqual(ids(probe, PRESETS.encrypt), ['fail:tls.handshake.failed']);
    // With the legacy check refused, no version works at all: a gap under any minimum
    assert.deepEqual(ids({ ...probe, legacyCheck: 'refused' }, tls10), ['fail:tls.handshake.failed']);
  });
});

describe('finding overrides', () => {
  it('Given a policy that turns starttls.missing into a warning Then the address is no longer a gap', () => {
    const probe = okProbe({ status: 'no-starttls', tls: undefined, certificate: undefined, error: { phase: 'ehlo', code: 'starttls-not-offered', message: 'x' } });
    assert.equal(evaluateAddress(at(probe), PRESETS.encrypt).outcome, 'gap');
    const lenient: Policy = { ...PRESETS.encrypt, name: 'lenient', findings: { 'starttls.missing': 'warn' } };
    assert.equal(evaluateAddress(at(probe), lenient).outcome, 'meets', 'the policy says this is no gap');
    assert.deepEqual(ids(probe, lenient), ['warn:starttls.missing']);
    const off: Policy = { ...PRESETS.encrypt, name: 'off', findings: { 'tls.no-tls13': 'off' } };
    const tls12 = okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2' }) });
    assert.deepEqual(ids(tls12, PRESETS.encrypt), ['info:tls.no-tls13']);
    assert.deepEqual(ids(tls12, off), []);
  });
});

describe('exit code with --fail-on', () => {
  const target = (status: 'pass' | 'fail' | 'error', severities: ('fail' | 'warn' | 'info')[]) => ({
    status,
    findings: severities.map((severity) => ({ id: 'x', severity, message: '' })),
  });
  const cases: [string, ReturnType<typeof target>[], 'fail' | 'warn', number][] = [
    ['a pass with a warning, fail-on fail', [target('pass', ['warn'])], 'fail', 0],
    ['a pass with a warning, fail-on warn', [target('pass', ['warn'])], 'warn', 1],
    ['a pass with info only, fail-on warn', [target('pass', ['info'])], 'warn', 0],
    ['a failing target', [target('fail', ['fail'])], 'fail', 1],
    ['an error, fail-on fail', [target('error', ['warn'])], 'fail', 3],
  ];
  for (const [name, targets, failOn, code] of cases) {
    it(`Given ${name} Then exit ${code}`, () => {
      assert.equal(exitCodeFor({ targets: targets as never }, failOn), code);
    });
  }
});

describe('cipher rules', () => {
  const suite = (standardName: string, protocol = 'TLSv1.2') => okProbe({ tls: tlsFacts({ protocol, cipher: { name: standardName, standardName } }), legacyAccepted: null });
  const cases: [string, ProbeResult, Policy, string[]][] = [
    ['ECDHE with AES-GCM under strict', suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'), PRESETS.strict, ['info:tls.no-tls13']],
    ['ECDHE with AES-CBC under strict', suite('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), PRESETS.strict, ['fail:tls.cipher.not-allowed', 'info:tls.no-tls13']],
    ['ECDHE with AES-CBC under verify', suite('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA'), PRESETS.verify, ['info:tls.no-tls13']],
    ['a TLS 1.3 suite under strict', suite('TLS_AES_256_GCM_SHA384', 'TLSv1.3'), PRESETS.strict, []],
  ];
  for (const [name, probe, policy, expected] of cases) {
    it(`Given ${name} Then ${expected.join(', ') || 'no finding'}`, () => {
      assert.deepEqual(ids(probe, policy), expected.sort());
    });
  }
  it('Given an enumeration with weak suites accepted Then a warning lists them', () => {
    const probe = okProbe({
      enumeration: {
        protocols: { SSLv3: null, TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true },
        ciphers: {
          'TLSv1.2': [
            { name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
            { name: 'AES128-GCM-SHA256', standardName: 'TLS_RSA_WITH_AES_128_GCM_SHA256' },
          ],
        },
        serverOrder: { 'TLSv1.2': true },
        groups: ['X25519'],
        groupsNotTestable: [],
        dhBits: null,
        notTestable: [],
        handshakes: 5,
      },
    });
    const found = evaluateAddress(at(probe), PRESETS.encrypt).findings.find((f) => f.id === 'tls.cipher.weak-accepted');
    assert.match(found?.message ?? '', /TLS_RSA_WITH_AES_128_GCM_SHA256 \(phase-out\)/);
    assert.equal(found?.severity, 'warn');
  });
});
