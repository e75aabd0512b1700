/** The opt-out list: what each kind of entry keeps out, and a bad entry named by its line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/model/errors.js';
import { parseExclusions } from '../../src/scan/exclude.js';
import { parseTarget } from '../../src/scan/targets.js';

const LIST = ['# opt-out requests', 'Example.ORG.', '', 'bücher.example  # an IDN', '198.51.100.0/24', '203.0.113.7', '2001:db8:1::/48', '::ffff:192.0.2.0/120'].join('\n');

describe('parseExclusions', () => {
  const list = parseExclusions(LIST, 'optout.txt');

  it('Given a domain entry Then the name and every name under it are excluded, and nothing beside it', () => {
    assert.equal(list.size, 6);
    for (const name of ['example.org', 'mx.example.org', 'a.b.EXAMPLE.org.', 'xn--bcher-kva.example']) assert.equal(list.excludesName(name), true, name);
    for (const name of ['notexample.org', 'example.org.evil.test', 'org', 'example.com']) assert.equal(list.excludesName(name), false, name);
  });

  it('Given address and prefix entries Then addresses inside are excluded, IPv4-mapped ones as IPv4', () => {
    for (const ip of ['198.51.100.1', '198.51.100.255', '203.0.113.7', '2001:db8:1:ffff::1', '::ffff:198.51.100.9', '192.0.2.200']) assert.equal(list.excludesAddress(ip), true, ip);
    for (const ip of ['198.51.101.1', '203.0.113.8', '2001:db8:2::1', '::1', 'not an ip']) assert.equal(list.excludesAddress(ip), false, ip);
  });

  it('Given input targets Then a domain, a user@ address, a relay name and a relay address are matched as the user typed them', () => {
    for (const input of ['example.org', 'user@sub.example.org', 'mx.example.org:587', '198.51.100.4', '[2001:db8:1::25]:2525']) assert.equal(list.excludesTarget(parseTarget(input)), true, input);
    for (const input of ['example.com', '198.51.99.4:25']) assert.equal(list.excludesTarget(parseTarget(input)), false, input);
  });

  for (const [text, line, pattern] of [
    ['example.org\nnot a name\n', 2, /optout\.txt":2: "not a name" is not a domain name, IP address or CIDR prefix/],
    ['\n\n198.51.100.0/33', 3, /optout\.txt":3: "198\.51\.100\.0\/33" has an invalid prefix length \(0-32\)/],
    ['2001:db8::/129', 1, /invalid prefix length \(0-128\)/],
    ['example.org/24', 1, /is not a CIDR prefix/],
    ['1.2.3.4.5', 1, /is not a domain name/],
  ] as const) {
    it(`Given the bad entry ${JSON.stringify(text.trim())} Then a usage error names line ${line}`, () => {
      assert.throws(() => parseExclusions(text, 'optout.txt'), (error: unknown) => error instanceof UsageError && pattern.test(error.message) && error.message.includes(`:${line}:`));
    });
  }
});
