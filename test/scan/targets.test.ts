import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/model/errors.js';
import { parseTarget, parseTargetFile, parseTargets, readTargetLines } from '../../src/scan/targets.js';

describe('parseTarget', () => {
  const valid: [string, object][] = [
    ['example.com', { kind: 'domain', domain: 'example.com' }],
    ['EXAMPLE.com.', { kind: 'domain', domain: 'example.com' }],
    ['Bücher.example', { kind: 'domain', domain: 'xn--bcher-kva.example' }],
    ['münchen.de', { kind: 'domain', domain: 'xn--mnchen-3ya.de' }],
    ['postmaster@Example.ORG', { kind: 'domain', domain: 'example.org' }],
    ['"odd local"@example.org', { kind: 'domain', domain: 'example.org' }],
    ['mx.example.com:587', { kind: 'host', host: 'mx.example.com', port: 587, isIp: false }],
    ['127.0.0.1', { kind: 'host', host: '127.0.0.1', port: null, isIp: true }],
    ['127.0.0.1:2525', { kind: 'host', host: '127.0.0.1', port: 2525, isIp: true }],
    ['::1', { kind: 'host', host: '::1', port: null, isIp: true }],
    ['[::1]:25', { kind: 'host', host: '::1', port: 25, isIp: true }],
    ['[2001:DB8::1]', { kind: 'host', host: '2001:db8::1', port: null, isIp: true }],
    ['[::ffff:127.0.0.1]:2525', { kind: 'host', host: '127.0.0.1', port: 2525, isIp: true }],
    ['0:0:0:0:0:0:0:1', { kind: 'host', host: '::1', port: null, isIp: true }],
    ['[2001:0db8:0000:0000:0000:0000:0000:0025]:25', { kind: 'host', host: '2001:db8::25', port: 25, isIp: true }],
    ['localhost', { kind: 'domain', domain: 'localhost' }],
  ];
  for (const [input, expected] of valid) {
    it(`Given "${input}" When parsed Then it is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseTarget(input), { input, ...expected });
    });
  }

  const invalid = ['', 'exa mple.com', '-bad.example', 'bad-.example', 'a..b', 'example.com:0', 'example.com:70000', 'example.com:x',
    '@example.com', 'user@', '[::1', '[notip]:25', '2001:db8::1:25x', '1.2.3', 'a/b.example', `${'a'.repeat(64)}.example`];
  for (const input of invalid) {
    it(`Given "${input}" When parsed Then it is a usage error naming it`, () => {
      assert.throws(() => parseTarget(input), (error: unknown) => error instanceof UsageError && (input === '' || error.message.includes(input.trim()) || /\[/.test(error.message)));
    });
  }
});

describe('relays never dialled', () => {
  for (const input of ['0.0.0.0', '0.0.0.0:25', '[::]:25', '::', '224.0.0.1', '255.255.255.255:25', '240.1.2.3', '[ff02::1]:25', '[::ffff:0.0.0.0]:25', '0:0:0:0:0:0:0:0']) {
    it(`Given the relay "${input}" Then it is a usage error: that range is never dialled`, () => {
      assert.throws(() => parseTarget(input), (error: unknown) => error instanceof UsageError && /never dials/.test(error.message) && error.message.includes(input));
    });
  }
});

describe('parseTargets', () => {
  it('Given repeated inputs in different spellings When parsed Then each target appears once, first order kept', () => {
    const targets = parseTargets(['b.example', 'A.example', 'a.example.', 'user@a.example', 'mx.a.example:25', 'b.example']);
    assert.deepEqual(targets.map((t) => t.input), ['b.example', 'A.example', 'mx.a.example:25']);
  });
});

describe('target files', () => {
  it('Given comments and blank lines When read Then only targets remain, with their line numbers', () => {
    assert.deepEqual(readTargetLines('# header\n\nexample.com  # trailing\r\n  \n mx.example.net:25\n'), [
      { line: 3, text: 'example.com' },
      { line: 5, text: 'mx.example.net:25' },
    ]);
  });
  it('Given an invalid line When parsed Then the error names the file and the line', () => {
    assert.throws(() => parseTargetFile('ok.example\n\nbad domain\n', 'list.txt'), /^UsageError: list\.txt:3: invalid domain "bad domain"$/m);
  });
});
