import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/model/errors.js';
import { quoted } from '../../src/model/limits.js';
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
    assert.throws(() => parseTargetFile('ok.example\n\nbad domain\n', 'list.txt'), /^UsageError: "list\.txt":3: invalid domain "bad domain"$/m);
  });
});

describe('URL-like targets', () => {
  const urls = ['mailto:user@example.com', 'MAILTO:user@example.com', 'https://example.com/path', 'smtp:mx.example.com', 'example.com/', 'example.com/path', 'mx.example.com:25/x', 'user@example.com/x'];
  for (const input of urls) {
    it(`Given "${input}" Then a usage error: "give the domain"`, () => {
      assert.throws(() => parseTarget(input), (error: unknown) => error instanceof UsageError && error.message === `target "${input}" is a URL: give the domain, e.g. example.com (or a relay as host:port)`);
    });
  }

  it('Given an address prefix (192.0.2.0/24) Then a usage error asking for one address', () => {
    assert.throws(() => parseTarget('192.0.2.0/24'), /^UsageError: target "192\.0\.2\.0\/24" is an address prefix: give one address \(a relay\), or a domain$/m);
  });

  it('Given what only looks like a scheme (IPv6 literals, host:port, a slash in the local part) Then it parses as before', () => {
    assert.equal(parseTarget('fe80::1').kind, 'host');
    assert.deepEqual(parseTarget('localhost:25'), { kind: 'host', input: 'localhost:25', host: 'localhost', port: 25, isIp: false });
    assert.deepEqual(parseTarget('a/b@example.com'), { kind: 'domain', input: 'a/b@example.com', domain: 'example.com' });
  });
});

describe('inert inputs', () => {
  // U+200B, U+00AD and U+2060 are dropped by IDNA, so the name is valid; U+202E in a local part is valid too.
  const cases: [string, string, string][] = [
    ['exa\u200bmple.com', 'exa\\u200Bmple.com', 'example.com'],
    ['exa\u00admple.com', 'exa\\u00ADmple.com', 'example.com'],
    ['exa\u2060mple.com', 'exa\\u2060mple.com', 'example.com'],
    ['\u202eresu@example.com', '\\u202Eresu@example.com', 'example.com'],
    ['mx.exa\u200bmple.com:25', 'mx.exa\\u200Bmple.com:25', 'mx.example.com'],
  ];
  for (const [raw, input, name] of cases) {
    it(`Given ${JSON.stringify(raw)} Then the target's input carries the escape, never the character`, () => {
      const target = parseTarget(raw);
      assert.equal(target.input, input);
      assert.equal(target.kind === 'domain' ? target.domain : target.host, name);
    });
  }
});

describe('quoted', () => {
  it('Given a value over 80 characters Then 79 of them and the marker, in quotes', () => {
    assert.equal(quoted('a'.repeat(100_000)), `"${'a'.repeat(79)}…"`);
  });

  it('Given an escape across the 80-character cut Then it is dropped whole, never split', () => {
    for (let before = 74; before <= 80; before += 1) {
      const shown = quoted(`${'a'.repeat(before)}\u001b${'b'.repeat(100)}`).slice(1, -1);
      assert.ok(shown.length <= 80, `${before}: ${shown.length}`);
      assert.match(shown, /^a+(?:\\x1Bb*)?…$/, `${before}: ${shown.slice(-8)}`);
    }
  });

  it('Given controls and format characters Then they are escaped', () => {
    assert.equal(quoted('a\u001b[31m\u202e\n'), '"a\\x1B[31m\\u202E\\x0A"');
  });
});
