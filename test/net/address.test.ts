import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, ipv6Groups } from '../../src/net/address.js';

describe('canonicalIp', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f4d:101', '127.77.1.1'],
    ['::ffff:0.0.0.0', '0.0.0.0'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['2001:DB8:0:0:0:0:0:25', '2001:db8::25'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0db8:00aa::0001', '2001:db8:aa::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
    ['::127.0.0.1', '::7f00:1'],
    ['64:ff9b::8.8.8.8', '64:ff9b::808:808'],
    ['not an address', null],
    ['1.2.3', null],
  ];
  for (const [ip, canonical] of cases) {
    it(`Given ${ip} Then it is written ${canonical}`, () => assert.equal(canonicalIp(ip), canonical));
  }
  it('Given any canonical address Then it is its own canonical form', () => {
    for (const [, canonical] of cases) if (canonical !== null) assert.equal(canonicalIp(canonical), canonical);
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
