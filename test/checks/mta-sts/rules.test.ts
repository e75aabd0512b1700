/**
 * The MTA-STS check's rules over model facts (RFC 8461 §4): per address, a host
 * that matches no pattern or whose certificate fails; DANE first; enforce and
 * testing; honorMtaSts; the result type by cause; and the MX verdict.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mtaStsAddressRule, mtaStsDomainRule, mtaStsMxAnnotations } from '../../../src/checks/mta-sts/rules/rules.js';
import type { AddressView, MxView, TargetView } from '../../../src/model/check.js';
import type { MtaStsFacts } from '../../../src/model/mta-sts.js';
import type { TlsaFacts } from '../../../src/model/dane.js';
import { PRESETS, depthFor } from '../../../src/policy/presets.js';
import { certificate, failedProbe, okProbe } from '../../helpers/factories.js';

const HOST = 'mx.example.test';
const valid = (mode: 'enforce' | 'testing' | 'none', ...mx: string[]): MtaStsFacts => ({ status: 'valid', record: 'v=STSv1; id=1', id: '1', policy: { mode, mx, maxAge: 86400 } });
const address = (mtaSts: MtaStsFacts | undefined, overrides: Partial<AddressView> = {}): AddressView => ({
  host: HOST,
  ip: '127.0.0.9',
  port: 25,
  probe: okProbe(),
  checks: {},
  ...(mtaSts ? { mtaSts } : {}),
  ...overrides,
});
const encrypt = PRESETS.encrypt;
const honoring = { ...PRESETS.encrypt, honorMtaSts: true };
const depth = depthFor(encrypt);
const ids = (findings: readonly { id: string; severity?: string; resultType?: string }[]) => findings.map((f) => `${f.id}:${f.severity ?? '-'}:${f.resultType ?? '-'}`);

describe('MTA-STS per address', () => {
  const cases: [string, MtaStsFacts | undefined, Partial<AddressView>, typeof encrypt, string[]][] = [
    ['an enforce policy naming the host, a good certificate', valid('enforce', HOST), {}, encrypt, []],
    ['an enforce policy with a wildcard for it', valid('enforce', '*.example.test'), {}, encrypt, []],
    ['an enforce policy that does not name it', valid('enforce', 'other.example.test'), {}, encrypt, ['mta-sts.mx-mismatch:-:-']],
    ['the same, honorMtaSts', valid('enforce', 'other.example.test'), {}, honoring, ['mta-sts.mx-mismatch:fail:-']],
    ['a testing policy that does not name it, honorMtaSts', valid('testing', 'other.example.test'), {}, honoring, ['mta-sts.mx-mismatch:info:-']],
    ['mode none', valid('none'), {}, honoring, []],
    ['no policy', { status: 'none' }, {}, honoring, []],
    ['a policy that could not be fetched', { status: 'fetch-error', error: { code: 'timeout', message: 't' } }, {}, honoring, []],
    ['an untrusted certificate', valid('enforce', HOST), { probe: okProbe({ certificate: certificate({ trusted: false, validationError: 'SELF_SIGNED_CERT_IN_CHAIN' }) }) }, honoring, ['mta-sts.certificate-rejected:fail:certificate-not-trusted']],
    ['an expired certificate', valid('enforce', HOST), { probe: okProbe({ certificate: certificate({ trusted: false, validationError: 'CERT_HAS_EXPIRED', daysRemaining: -3 }) }) }, encrypt, ['mta-sts.certificate-rejected:-:certificate-expired']],
    ['a certificate for another name', valid('enforce', HOST), { probe: okProbe({ certificate: certificate({ hostnameMatch: false }) }) }, encrypt, ['mta-sts.certificate-rejected:-:certificate-host-mismatch']],
    ['a bad certificate under testing', valid('testing', HOST), { probe: okProbe({ certificate: certificate({ hostnameMatch: false }) }) }, honoring, ['mta-sts.certificate-rejected:info:certificate-host-mismatch']],
    ['no handshake (no STARTTLS): the STARTTLS findings say it', valid('enforce', HOST), { probe: failedProbe('no-starttls', 'starttls', 'starttls-not-offered', { banner: '220 hi' }) }, honoring, []],
  ];
  for (const [given, facts, overrides, policy, expected] of cases) {
    it(`Given ${given} Then ${expected.join(', ') || 'no finding'}`, () => {
      assert.deepEqual(ids(mtaStsAddressRule(address(facts, overrides), policy, depth)), expected);
    });
  }

  it('Given usable, secure TLSA records (DANE first) Then no MTA-STS finding, even for a host the policy rejects', () => {
    const tlsa: TlsaFacts = { name: `_25._tcp.${HOST}`, status: 'secure', records: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(32), usable: true }] };
    assert.deepEqual(mtaStsAddressRule(address(valid('enforce', 'other.example.test'), { tlsa }), honoring, depth), []);
    const unusable: TlsaFacts = { ...tlsa, records: [{ usage: 1, selector: 1, matchingType: 1, data: 'ab'.repeat(32), usable: false }] };
    assert.equal(mtaStsAddressRule(address(valid('enforce', 'other.example.test'), { tlsa: unusable }), honoring, depth).length, 1, 'unusable records: MTA-STS applies');
  });
});

const target = (mtaSts: MtaStsFacts | undefined, overrides: Partial<TargetView> = {}): TargetView => ({
  input: 'example.test',
  domain: 'example.test',
  kind: 'domain',
  dns: { mxSource: 'mx' },
  mx: [],
  checks: {},
  ...(mtaSts ? { mtaSts } : {}),
  ...overrides,
});

describe('MTA-STS per domain', () => {
  const cases: [string, MtaStsFacts | undefined, typeof encrypt, string[]][] = [
    ['a valid enforce policy', valid('enforce', HOST), encrypt, ['mta-sts.valid:-:-']],
    ['mode none', valid('none'), encrypt, ['mta-sts.valid:-:-', 'mta-sts.mode-none:-:-']],
    ['no record', { status: 'none' }, honoring, []],
    ['a malformed record', { status: 'none', records: ['v=STSv1'], error: { code: 'txt-invalid', message: 'no id' } }, encrypt, ['mta-sts.txt-invalid:-:-']],
    ['a fetch error', { status: 'fetch-error', error: { code: 'http-status', message: 'HTTP 301' } }, encrypt, ['mta-sts.fetch-error:-:-']],
    ['a fetch error, honorMtaSts', { status: 'fetch-error', error: { code: 'http-status', message: 'HTTP 301' } }, honoring, ['mta-sts.fetch-error:fail:-']],
    ['a certificate that fails', { status: 'fetch-error', error: { code: 'webpki-invalid', message: 'x' } }, honoring, ['mta-sts.webpki-invalid:fail:-']],
    ['a policy that does not parse', { status: 'invalid', error: { code: 'policy-invalid', message: 'x' } }, encrypt, ['mta-sts.policy-invalid:-:-']],
  ];
  for (const [given, facts, policy, expected] of cases) {
    it(`Given ${given} Then ${expected.join(', ') || 'no finding'}`, () => {
      assert.deepEqual(ids(mtaStsDomainRule(target(facts), policy, depth)), expected);
    });
  }
  it('Given a relay, or a domain whose DNS failed Then no finding', () => {
    assert.deepEqual(mtaStsDomainRule(target(valid('enforce', HOST), { kind: 'host' }), encrypt, depth), []);
    assert.deepEqual(mtaStsDomainRule(target({ status: 'fetch-error', error: { code: 'servfail', message: 's' } }, { dns: { mxSource: 'none', error: { code: 'servfail', message: 's' } } }), encrypt, depth), []);
  });
  it('Given honorMtaSts and --no-mta-sts, or a report made before MTA-STS (no depth.mtaSts) Then not measured; looked up and absent Then nothing', () => {
    for (const mtaSts of [false, undefined]) {
      const { mtaSts: _drop, ...rest } = depth;
      const [finding] = mtaStsDomainRule(target(undefined), honoring, { ...rest, ...(mtaSts === false ? { mtaSts } : {}) });
      assert.equal(finding?.id, 'policy.not-measured');
      assert.equal(finding?.unassessed?.code, 'not-measured');
    }
    assert.deepEqual(mtaStsDomainRule(target(undefined), honoring, depth), []);
  });
});

describe('the MX verdict (mx[].mtaSts)', () => {
  const mx: MxView = { host: HOST, preference: 10, addresses: [{ ip: '127.0.0.9', port: 25 }], checks: {} };
  const cases: [string, MtaStsFacts, AddressView[], unknown][] = [
    ['enforce, matched, a good certificate', valid('enforce', HOST), [address(undefined)], { mtaSts: { matched: HOST, deliverable: true } }],
    ['enforce, not matched', valid('enforce', 'x.test'), [address(undefined)], { mtaSts: { matched: null, deliverable: false } }],
    ['enforce, matched, a certificate for another name', valid('enforce', '*.example.test'), [address(undefined, { probe: okProbe({ certificate: certificate({ hostnameMatch: false }) }) })], { mtaSts: { matched: '*.example.test', deliverable: false } }],
    ['enforce, one address good and one without TLS', valid('enforce', HOST), [address(undefined, { probe: failedProbe('no-starttls', 'starttls', 'starttls-not-offered', { banner: '220' }) }), address(undefined)], { mtaSts: { matched: HOST, deliverable: true } }],
    ['testing, reached', valid('testing', 'x.test'), [address(undefined, { probe: failedProbe('no-starttls', 'starttls', 'starttls-not-offered', { banner: '220' }) })], { mtaSts: { matched: null, deliverable: true } }],
    ['nothing reached', valid('enforce', HOST), [address(undefined, { probe: failedProbe('connection-refused', 'connect', 'connect-refused') })], { mtaSts: { matched: HOST, deliverable: null } }],
    ['mode none', valid('none'), [address(undefined)], {}],
  ];
  for (const [given, facts, addresses, expected] of cases) {
    it(`Given ${given} Then ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(mtaStsMxAnnotations(mx, addresses, target(facts)), expected);
    });
  }
});
