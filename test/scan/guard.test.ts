import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { guardedRange, ipv6Groups } from '../../src/scan/guard.js';

describe('guardedRange', () => {
  const refused = ['127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '192.0.2.10', '198.51.100.1', '203.0.113.7', '224.0.0.1', '255.255.255.255',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '2001:db8::25',
    '0:0:0:0:0:ffff:7f00:1', '0:0:0:0:0:FFFF:127.0.0.1', '::7f00:1', '::127.0.0.1', '::10.1.2.3', '64:ff9b::7f00:1', '64:ff9b::169.254.169.254', '64:ff9b:1::5'];
  for (const ip of refused) {
    it(`Given ${ip} from DNS When checked Then it is refused with a named range`, () => {
      const range = guardedRange(ip);
      assert.ok(range !== null && range.length > 0, `expected ${ip} refused`);
    });
  }
  const allowed = ['8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '2a00:1450:4001::1b', '::ffff:8.8.8.8', '64:ff9b::808:808', '::8.8.8.8', '2001:4860:4860::8888'];
  for (const ip of allowed) {
    it(`Given public ${ip} When checked Then it may be dialled`, () => {
      assert.equal(guardedRange(ip), null);
    });
  }
  it('Given the metadata address When checked Then the reason says so', () => {
    assert.match(guardedRange('169.254.169.254') ?? '', /metadata/);
  });
});

describe('ipv6Groups', () => {
  const cases: [string, number[] | null][] = [
    ['::', [0, 0, 0, 0, 0, 0, 0, 0]],
    ['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
    ['2001:db8::25', [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x25]],
    ['::ffff:127.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
    ['fe80::', [0xfe80, 0, 0, 0, 0, 0, 0, 0]],
    ['127.0.0.1', null],
  ];
  for (const [ip, groups] of cases) {
    it(`Given ${ip} Then its groups are ${JSON.stringify(groups)}`, () => assert.deepEqual(ipv6Groups(ip), groups));
  }
});
