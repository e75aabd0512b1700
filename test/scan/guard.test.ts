import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guardOf, refusal } from '../../src/scan/guard.js';

describe('guardOf: the three classes', () => {
  const never = ['0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1', '::', '0:0:0:0:0:0:0:0', 'ff02::1', 'FF05::1:3', '::ffff:0.0.0.0', '::ffff:224.0.0.1'];
  const privateUnicast = ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '100.127.255.255',
    '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:FFFF:127.0.0.1', '::7f00:1', '::127.0.0.1', '::10.1.2.3', '64:ff9b::7f00:1', '64:ff9b::169.254.169.254'];
  const special = ['192.0.0.8', '192.0.2.10', '198.51.100.1', '203.0.113.7', '198.18.0.1', '198.19.255.255', '2001:db8::25', '100::1', 'fec0::1', '64:ff9b:1::5',
    '2001:2::1', '2001:2:0:ffff::1', '2001::1', '2001:1::1', '2001:1ff:ffff::1', '2001:0:4136:e378::1'];
  const classes: [string, readonly string[]][] = [['never', never], ['private', privateUnicast], ['special', special]];
  for (const [klass, ips] of classes) {
    for (const ip of ips) it(`Given ${ip} Then it is ${klass}`, () => assert.equal(guardOf(ip)?.class, klass));
  }
  const publicAddresses = ['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '2a00:1450:4001::1b', '::ffff:8.8.8.8', '64:ff9b::808:808', '::8.8.8.8', '2001:4860:4860::8888', '223.255.255.255'];
  for (const ip of publicAddresses) it(`Given public ${ip} Then it is no guarded range`, () => assert.equal(guardOf(ip), null));
  it('Given the metadata address Then the reason says so', () => assert.match(guardOf('169.254.169.254')?.label ?? '', /metadata/));
  // The ranges' edges: 2001:2::/48 sits inside 2001::/23, and the first match names it.
  const labelled: [string, string | null][] = [
    ['2001:2::1', 'benchmarking (2001:2::/48)'],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking (2001:2::/48)'],
    ['2001:2:1::1', 'IETF protocol assignments (2001::/23)'],
    ['2001::', 'IETF protocol assignments (2001::/23)'],
    ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'IETF protocol assignments (2001::/23)'],
    ['2001:200::1', null],
    ['2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['198.18.0.1', 'benchmarking (198.18.0.0/15)'],
  ];
  for (const [ip, label] of labelled) it(`Given ${ip} Then the guard names ${label ?? 'no range'}`, () => assert.equal(guardOf(ip)?.label ?? null, label));
});

describe('refusal: who may dial what', () => {
  const cases: [string, boolean, boolean, boolean][] = [
    // ip, from DNS, --allow-private, dialled
    ['8.8.8.8', true, false, true],
    ['127.0.0.1', true, false, false],
    ['127.0.0.1', true, true, true],
    ['fd00::1', true, true, true],
    ['0.0.0.0', true, true, false],
    ['::', true, true, false],
    ['255.255.255.255', true, true, false],
    ['224.0.0.1', true, true, false],
    ['ff02::1', true, true, false],
    ['240.0.0.1', true, true, false],
    ['2001:db8::25', true, true, false],
    ['198.18.0.1', true, true, false],
    ['2001:2::25', true, true, false],
    ['2001:1::25', true, true, false],
    ['2001:2::25', false, false, true],
    ['2001:1::25', false, false, true],
    ['2001:db8::25', false, false, true],
    ['127.0.0.1', false, false, true],
    ['0.0.0.0', false, false, false],
    ['ff02::1', false, true, false],
  ];
  for (const [ip, fromDns, allowPrivate, dialled] of cases) {
    it(`Given ${ip} ${fromDns ? 'from DNS' : 'typed as a relay'}${allowPrivate ? ' with --allow-private' : ''} Then it is ${dialled ? '' : 'not '}dialled`, () => {
      assert.equal(refusal(ip, { fromDns, allowPrivate }) === null, dialled);
    });
  }
});
