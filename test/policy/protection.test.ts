/**
 * Effective protection (src/policy/protection.ts): the host rules in order,
 * DANE first, the ranking and the aggregation, as Given/When/Then tables over
 * model facts; then the protection check's rules and the require* knobs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { protectionRule } from '../../src/checks/protection/rules.js';
import type { ProtectionView } from '../../src/model/check.js';
import type { TlsaFacts } from '../../src/model/dane.js';
import type { MtaStsFacts } from '../../src/model/mta-sts.js';
import type { Mechanism, MxProtection, TargetProtection } from '../../src/model/protection.js';
import type { AddressReport, Finding, MxReport, TargetReport } from '../../src/model/report.js';
import { DEFAULT_CHECKS } from '../../src/checks/registry.js';
import { judgeTarget } from '../../src/policy/evaluate.js';
import { protectionMark } from '../../src/policy/marks.js';
import { mxProtection, protect, targetProtection } from '../../src/policy/protection.js';
import { depthFor, PRESETS, withImplications, type Policy } from '../../src/policy/presets.js';
import { failedProbe, okProbe } from '../helpers/factories.js';

const assessment = { outcome: 'meets', protocol: 'ok', cipher: null, certificate: null } as const;
const tls = (dane?: AddressReport['dane']): AddressReport => ({ ip: '127.0.0.9', port: 25, probe: okProbe(), assessment, ...(dane ? { dane } : {}) });
const plain: AddressReport = { ip: '127.0.0.8', port: 25, probe: failedProbe('no-starttls', 'starttls', 'starttls-not-offered', { banner: 'mx ESMTP' }), assessment };
const unreached: AddressReport = { ip: '127.0.0.7', port: 25, probe: failedProbe('connection-refused', 'connect', 'connect-refused'), assessment };
const usable = (status: TlsaFacts['status'] = 'secure'): TlsaFacts => ({ name: '_25._tcp.mx.example.test', status, records: status === 'secure' ? [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32), usable: true }] : [] });
const unusable: TlsaFacts = { name: '_25._tcp.mx.example.test', status: 'secure', records: [{ usage: 1, selector: 1, matchingType: 1, data: 'ab'.repeat(32), usable: false }] };
const valid = { status: 'valid', matched: { usage: 3, selector: 1, matchingType: 1, depth: 0 } } as const;
const mx = (host: string, addresses: AddressReport[], extra: Partial<MxReport> = {}): MxReport => ({ host, preference: 10, addresses, ...extra });
const sts = (mode: 'enforce' | 'testing' | 'none'): MtaStsFacts => ({ status: 'valid', id: '1', policy: { mode, mx: ['mx.example.test'], maxAge: 1 } });

describe('protection per MX host: the first rule that applies', () => {
  const cases: [string, MxReport, MtaStsFacts | undefined, Partial<MxProtection> | undefined][] = [
    ['usable secure TLSA that matched', mx('a', [tls(valid)], { tlsa: usable() }), undefined, { mechanism: 'dane', mandatory: true, authenticated: true, deliverable: true, reason: 'TLSA 3 1 1 matched at depth 0' }],
    ['usable secure TLSA that did not match', mx('a', [tls({ status: 'mismatch' })], { tlsa: usable() }), undefined, { mechanism: 'dane', authenticated: true, deliverable: false }],
    ['a DANE mismatch where MTA-STS enforce would accept the host (DANE first)', mx('a', [tls({ status: 'mismatch' })], { tlsa: usable(), mtaSts: { matched: 'mx.example.test', deliverable: true } }), sts('enforce'), { mechanism: 'dane', deliverable: false }],
    ['unusable TLSA only, a handshake', mx('a', [tls()], { tlsa: unusable }), undefined, { mechanism: 'dane', mandatory: true, authenticated: false, deliverable: true }],
    ['unusable TLSA only, no TLS', mx('a', [plain], { tlsa: unusable }), undefined, { mechanism: 'dane', authenticated: false, deliverable: false }],
    ['a bogus TLSA lookup', mx('a', [tls()], { tlsa: usable('bogus') }), undefined, { mechanism: 'dane', mandatory: true, authenticated: false, deliverable: false }],
    ['a failed TLSA lookup, nothing reached', mx('a', [unreached], { tlsa: usable('lookup-failed') }), undefined, { mechanism: 'dane', deliverable: false }],
    ['secure TLSA, nothing reached', mx('a', [unreached], { tlsa: usable() }), undefined, { mechanism: 'dane', deliverable: null }],
    ['insecure TLSA: ignored', mx('a', [tls()], { tlsa: { ...usable(), status: 'insecure' } }), undefined, { mechanism: 'opportunistic' }],
    ['MTA-STS enforce, accepted', mx('a', [tls()], { mtaSts: { matched: 'mx.example.test', deliverable: true } }), sts('enforce'), { mechanism: 'mta-sts-enforce', mandatory: true, authenticated: true, deliverable: true, reason: 'pattern mx.example.test matches' }],
    ['MTA-STS enforce, no pattern matches', mx('a', [tls()], { mtaSts: { matched: null, deliverable: false } }), sts('enforce'), { mechanism: 'mta-sts-enforce', deliverable: false, reason: 'no enforce pattern matches' }],
    ['MTA-STS enforce, nothing reached', mx('a', [unreached], { mtaSts: { matched: 'mx.example.test', deliverable: null } }), sts('enforce'), { mechanism: 'mta-sts-enforce', deliverable: null }],
    ['MTA-STS testing, reached without TLS', mx('a', [plain]), sts('testing'), { mechanism: 'mta-sts-testing', mandatory: false, authenticated: false, deliverable: true }],
    ['MTA-STS testing, nothing reached', mx('a', [unreached]), sts('testing'), { mechanism: 'mta-sts-testing', deliverable: null }],
    ['MTA-STS mode none: no policy', mx('a', [tls()]), sts('none'), { mechanism: 'opportunistic' }],
    ['an MTA-STS policy that could not be fetched: no policy', mx('a', [tls()]), { status: 'fetch-error', error: { code: 'timeout', message: 't' } }, { mechanism: 'opportunistic' }],
    ['a handshake, nothing else', mx('a', [plain, tls()]), undefined, { mechanism: 'opportunistic', mandatory: false, authenticated: false, deliverable: true }],
    ['reached without TLS', mx('a', [plain]), undefined, { mechanism: 'none', deliverable: true }],
    ['nothing reached, nothing applies', mx('a', [unreached]), undefined, undefined],
    ['no address at all', mx('a', []), undefined, undefined],
  ];
  for (const [given, entry, mtaSts, expected] of cases) {
    it(`Given ${given} Then ${expected?.mechanism ?? 'no protection'}`, () => {
      const got = mxProtection(entry, mtaSts);
      if (expected === undefined) assert.equal(got, undefined);
      else assert.deepEqual({ ...got, ...(expected.reason === undefined ? { reason: undefined } : {}) }, { ...got, ...expected, ...(expected.reason === undefined ? { reason: undefined } : {}) });
      if (expected !== undefined) assert.ok((got?.reason ?? '').length > 0, 'a reason');
    });
  }
});

const host = (mechanism: Mechanism, deliverable: boolean | null, authenticated = mechanism === 'dane' || mechanism === 'mta-sts-enforce'): MxProtection => ({
  mechanism,
  mandatory: mechanism === 'dane' || mechanism === 'mta-sts-enforce',
  authenticated,
  deliverable,
  reason: 'r',
});

describe('protection per destination: the weakest host, and the aggregates', () => {
  const cases: [string, (MxProtection | undefined)[], unknown][] = [
    ['two DANE hosts and one opportunistic', [host('dane', true), host('dane', true), host('opportunistic', true)], { level: 'opportunistic', mandatory: false, authenticated: false, deliverable: true }],
    ['a DANE host and an MTA-STS enforce host', [host('dane', true), host('mta-sts-enforce', true)], { level: 'mta-sts-enforce', mandatory: true, authenticated: true, deliverable: true }],
    ['DANE, one unauthenticated', [host('dane', true), host('dane', true, false)], { level: 'dane', mandatory: true, authenticated: false, deliverable: true }],
    ['every host unreachable under DANE', [host('dane', null), host('dane', null)], { level: 'dane', deliverable: null }],
    ['one host stuck, one unknown', [host('dane', false), host('dane', null)], { level: 'dane', deliverable: null }],
    ['every host stuck', [host('mta-sts-enforce', false), host('mta-sts-enforce', false)], { level: 'mta-sts-enforce', deliverable: false }],
    ['none beside testing', [host('mta-sts-testing', true), host('none', true)], { level: 'none', mandatory: false }],
    ['a host without protection beside a DANE one', [undefined, host('dane', true)], { level: 'dane', deliverable: true }],
  ];
  for (const [given, hosts, expected] of cases) {
    it(`Given ${given} Then ${JSON.stringify(expected)}`, () => {
      const got = targetProtection(hosts);
      assert.ok(got);
      assert.deepEqual({ ...got, ...(expected as object) }, got);
      const counted = Object.values(got.hosts).reduce((a, b) => a + b, 0);
      assert.equal(counted, hosts.filter((h) => h !== undefined).length);
    });
  }
  it('Given no host with a protection Then none; given a relay, a null MX or a DNS failure Then none either', () => {
    assert.equal(targetProtection([undefined, undefined]), undefined);
    const base: TargetReport = { input: 'x.test', domain: 'x.test', kind: 'domain', status: 'pass', deliverable: true, dns: { mxSource: 'mx' }, mx: [mx('a', [tls()])], findings: [] };
    assert.equal(protect(base).target?.level, 'opportunistic');
    assert.equal(protect({ ...base, kind: 'host' }).target, undefined);
    assert.equal(protect({ ...base, dns: { mxSource: 'null' } }).target, undefined);
    assert.equal(protect({ ...base, dns: { mxSource: 'mx', error: { code: 'servfail', message: 's' } } }).target, undefined);
  });
});

const view = (hosts: { host: string; p?: MxProtection; mtaSts?: { matched: string | null; deliverable: boolean | null } }[], extra: Partial<ProtectionView> = {}): ProtectionView => {
  const list = hosts.map((h) => h.p);
  const level = targetProtection(list);
  return {
    domain: 'example.test',
    kind: 'domain',
    dns: { mxSource: 'mx' },
    ...(level ? { protection: level } : {}),
    mx: hosts.map((h) => ({ host: h.host, ...(h.p ? { protection: h.p } : {}), ...(h.mtaSts ? { mtaSts: h.mtaSts } : {}), addresses: 1 })),
    ...extra,
  };
};
const ids = (findings: readonly { id: string; host?: string }[]) => findings.map((f) => (f.host ? `${f.id}@${f.host}` : f.id));
const policy = (knobs: Partial<typeof PRESETS.encrypt>) => withImplications({ ...PRESETS.encrypt, ...knobs });
const depth = depthFor(PRESETS.encrypt);

describe('the protection rules and the require* knobs', () => {
  const cases: [string, ProtectionView, Partial<typeof PRESETS.encrypt>, string[]][] = [
    ['DANE on one host of two', view([{ host: 'a', p: host('dane', true) }, { host: 'b', p: host('opportunistic', true) }]), {}, ['dane.partial']],
    ['DANE everywhere', view([{ host: 'a', p: host('dane', true) }, { host: 'b', p: host('dane', true) }]), { requireDane: true }, []],
    ['a DANE level nobody can deliver under', view([{ host: 'a', p: host('dane', false) }]), {}, ['protection.stuck']],
    ['an opportunistic level, neither published', view([{ host: 'a', p: host('opportunistic', true) }]), {}, []],
    ['requireDane, one host opportunistic and one DANE unauthenticated', view([{ host: 'a', p: host('opportunistic', true) }, { host: 'b', p: host('dane', true, false) }, { host: 'c', p: host('dane', true) }]), { requireDane: true }, ['dane.partial', 'dane.missing@a', 'dane.missing@b']],
    ['requireMtaSts, no policy', view([{ host: 'a', p: host('opportunistic', true) }]), { requireMtaSts: true }, ['mta-sts.missing']],
    ['requireMtaSts, enforce accepting every host', view([{ host: 'a', p: host('mta-sts-enforce', true), mtaSts: { matched: 'a', deliverable: true } }], { mtaSts: sts('enforce') }), { requireMtaSts: true }, []],
    ['requireMtaSts, enforce rejecting one host', view([{ host: 'a', p: host('mta-sts-enforce', true), mtaSts: { matched: 'a', deliverable: true } }, { host: 'b', p: host('mta-sts-enforce', false), mtaSts: { matched: null, deliverable: false } }], { mtaSts: sts('enforce') }), { requireMtaSts: true }, ['mta-sts.missing']],
    ['requireMtaSts, testing', view([{ host: 'a', p: host('mta-sts-testing', true), mtaSts: { matched: 'a', deliverable: true } }], { mtaSts: sts('testing') }), { requireMtaSts: true }, ['mta-sts.missing']],
    ['requireDaneOrMtaSts, DANE and enforce hosts', view([{ host: 'a', p: host('dane', true) }, { host: 'b', p: host('mta-sts-enforce', true) }]), { requireDaneOrMtaSts: true }, ['dane.partial']],
    ['requireDaneOrMtaSts, DANE unauthenticated', view([{ host: 'a', p: host('dane', true, false) }]), { requireDaneOrMtaSts: true }, ['protection.missing']],
    ['requireDaneOrMtaSts, testing', view([{ host: 'a', p: host('mta-sts-testing', true) }]), { requireDaneOrMtaSts: true }, ['protection.missing']],
    ['requireTlsRpt, a valid record', view([{ host: 'a', p: host('none', true) }], { tlsRpt: { status: 'valid', rua: ['mailto:a@b.test'] } }), { requireTlsRpt: true }, []],
    ['requireTlsRpt, none', view([{ host: 'a', p: host('none', true) }], { tlsRpt: { status: 'none' } }), { requireTlsRpt: true }, ['tls-rpt.missing']],
    ['every knob, a relay', view([{ host: 'a', p: host('none', true) }], { kind: 'host' }), { requireDane: true, requireMtaSts: true, requireDaneOrMtaSts: true, requireTlsRpt: true }, []],
    ['every knob, a null MX', view([], { dns: { mxSource: 'null' } }), { requireDane: true, requireMtaSts: true, requireDaneOrMtaSts: true, requireTlsRpt: true }, []],
  ];
  for (const [given, target, knobs, expected] of cases) {
    it(`Given ${given} Then ${expected.join(', ') || 'no finding'}`, () => {
      assert.deepEqual(ids(protectionRule(target, policy(knobs), depth)), expected);
    });
  }
  it('Given a knob whose facts were not looked up Then not measured, not missing', () => {
    const target = view([{ host: 'a', p: host('opportunistic', true) }]);
    for (const [knob, flag] of [['requireDane', 'dane'], ['requireMtaSts', 'mtaSts'], ['requireTlsRpt', 'tlsRpt']] as const) {
      const findings = protectionRule(target, policy({ [knob]: true }), { ...depth, [flag]: false });
      assert.deepEqual(ids(findings), ['policy.not-measured'], knob);
      assert.equal(findings[0]?.unassessed?.code, 'not-measured');
    }
  });
  it('Given the require* knobs Then each implies its honor* knob', () => {
    assert.equal(policy({ requireDane: true }).honorDane, true);
    assert.equal(policy({ requireDane: true }).honorMtaSts, false);
    assert.equal(policy({ requireMtaSts: true }).honorMtaSts, true);
    const both = policy({ requireDaneOrMtaSts: true });
    assert.equal(both.honorDane && both.honorMtaSts, true);
    assert.equal(policy({ requireTlsRpt: true }).honorDane, false);
  });
});

describe('the mark evaluation stores for a protection level under the policy', () => {
  const target = (address: AddressReport): TargetReport => ({
    input: 'example.test', domain: 'example.test', kind: 'domain', status: 'error', deliverable: null, dns: { mxSource: 'mx' }, mx: [mx('mx.example.test', [address])], findings: [],
  });
  const judge = (t: TargetReport, knobs: Partial<Policy> = {}) => {
    const p = withImplications({ ...PRESETS.encrypt, ...knobs });
    return judgeTarget(t, p, { checks: DEFAULT_CHECKS, depth: depthFor(p) }).protection;
  };
  it('Given a host reached without TLS Then level none is a warning, and a gap once the policy requires TLS-RPT (tls-rpt.missing)', () => {
    assert.equal(judge(target(plain))?.level, 'none');
    assert.equal(judge(target(plain))?.mark, 'warn');
    assert.equal(judge(target(plain), { requireTlsRpt: true })?.mark, 'gap');
  });
  it('Given opportunistic TLS Then no mark (neither good nor bad), and a gap when the policy requires MTA-STS', () => {
    assert.equal(judge(target(tls()))?.level, 'opportunistic');
    assert.equal(judge(target(tls()))?.mark, null);
    assert.equal(judge(target(tls()), { requireMtaSts: true })?.mark, 'gap');
  });
  const level = (l: Mechanism, extra: Partial<TargetProtection> = {}): TargetProtection => ({ level: l, mandatory: true, authenticated: true, deliverable: true, hosts: { none: 0, opportunistic: 0, 'mta-sts-testing': 0, 'mta-sts-enforce': 0, dane: 0, [l]: 1 }, ...extra });
  const finding = (severity: 'fail' | 'warn' | 'info'): Finding => ({ id: 'x', severity, message: 'x' });
  const cases: [string, TargetProtection, Finding[], 'ok' | 'warn' | 'gap' | null][] = [
    ['dane, deliverable, no finding', level('dane'), [], 'ok'],
    ['mta-sts enforce, no finding', level('mta-sts-enforce'), [], 'ok'],
    ['dane, nobody can deliver', level('dane', { deliverable: false }), [], 'gap'],
    ['dane with a protection gap (require* knob)', level('dane'), [finding('fail')], 'gap'],
    ['mta-sts enforce with a warning', level('mta-sts-enforce'), [finding('warn')], 'warn'],
    ['mta-sts testing', level('mta-sts-testing'), [finding('info')], null],
    ['none', level('none'), [], 'warn'],
  ];
  for (const [name, protection, findings, expected] of cases) {
    it(`Given ${name} Then ${String(expected)}`, () => assert.equal(protectionMark(protection, findings), expected));
  }
});
