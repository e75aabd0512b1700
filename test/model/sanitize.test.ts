import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sanitizeParsedJson, sanitizeText } from '../../src/model/sanitize.js';

describe('sanitizeText', () => {
  const cases: ReadonlyArray<{ name: string; input: string | Buffer; expected: string }> = [
    { name: 'plain ASCII is kept', input: 'mx.example.com ESMTP ready', expected: 'mx.example.com ESMTP ready' },
    { name: 'TAB is kept', input: 'a\tb', expected: 'a\tb' },
    { name: 'an ANSI escape sequence is defused', input: '\x1b[31mred\x1b[0m', expected: '\\x1B[31mred\\x1B[0m' },
    { name: 'CR, LF and NUL are escaped', input: 'a\r\nb\0', expected: 'a\\x0D\\x0Ab\\x00' },
    { name: 'DEL is escaped', input: 'a\x7fb', expected: 'a\\x7Fb' },
    { name: 'a C1 control in a string is escaped as \\u00NN', input: 'a\u0085b\u009b', expected: 'a\\u0085b\\u009B' },
    { name: 'a lone surrogate in a string is escaped', input: 'a\ud800b', expected: 'a\\uD800b' },
    { name: 'non-ASCII text is kept (string)', input: 'Grüße aus Köln — 東京 😀', expected: 'Grüße aus Köln — 東京 😀' },
    { name: 'non-ASCII text is kept (UTF-8 bytes)', input: Buffer.from('Grüße 東京 😀', 'utf8'), expected: 'Grüße 東京 😀' },
    { name: 'a C1 control encoded in UTF-8 is escaped as \\u00NN', input: Buffer.from([0x61, 0xc2, 0x85]), expected: 'a\\u0085' },
    { name: 'a stray continuation byte becomes \\xNN', input: Buffer.from([0x61, 0x80, 0x62]), expected: 'a\\x80b' },
    { name: 'a Latin-1 byte becomes \\xNN', input: Buffer.from([0x47, 0x72, 0xfc, 0xdf, 0x65]), expected: 'Gr\\xFC\\xDFe' },
    { name: 'an overlong encoding is rejected byte by byte', input: Buffer.from([0xc0, 0x80]), expected: '\\xC0\\x80' },
    { name: 'an encoded surrogate is rejected', input: Buffer.from([0xed, 0xa0, 0x80]), expected: '\\xED\\xA0\\x80' },
    { name: 'a truncated sequence at the end is rejected', input: Buffer.from([0x61, 0xe2, 0x82]), expected: 'a\\xE2\\x82' },
    { name: 'a code point above U+10FFFF is rejected', input: Buffer.from([0xf4, 0x90, 0x80, 0x80]), expected: '\\xF4\\x90\\x80\\x80' },
    { name: 'an ESC in bytes is escaped', input: Buffer.from('\x1b]0;title\x07', 'latin1'), expected: '\\x1B]0;title\\x07' },
    { name: 'empty input', input: Buffer.alloc(0), expected: '' },
    { name: 'bidirectional overrides and isolates are escaped (Trojan Source)', input: 'a\u202eb\u202ac\u2066d\u2069e\u200ef\u200fg\u061ch', expected: 'a\\u202Eb\\u202Ac\\u2066d\\u2069e\\u200Ef\\u200Fg\\u061Ch' },
    { name: 'the same in UTF-8 bytes', input: Buffer.from('x\u202ey', 'utf8'), expected: 'x\\u202Ey' },
    { name: 'zero-width characters, the BOM and the soft hyphen are escaped', input: '\u200b\u200d\ufeff\u00ad', expected: '\\u200B\\u200D\\uFEFF\\u00AD' },
    { name: 'the line and paragraph separators are escaped', input: 'a\u2028b\u2029', expected: 'a\\u2028b\\u2029' },
    { name: 'a tag character above U+FFFF is escaped with braces', input: 'a\u{e0041}', expected: 'a\\u{E0041}' },
    { name: 'escaping is idempotent: escaped text stays as it is', input: 'a\\u202Eb\\x1B', expected: 'a\\u202Eb\\x1B' },
  ];

  for (const { name, input, expected } of cases) {
    it(name, () => {
      // Given untrusted text, When it is sanitised, Then it reads as expected
      assert.equal(sanitizeText(input), expected);
    });
  }

  it('escapes every format character (category Cf) and nothing else of the BMP but controls', () => {
    for (let cp = 0xa0; cp <= 0xffff; cp += 1) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const escaped = sanitizeText(ch) !== ch;
      assert.equal(escaped, /[\p{Cf}\u2028\u2029]/u.test(ch), `U+${cp.toString(16)}`);
    }
  });

  it('never lets a control character through, whatever the bytes', () => {
    // Given every single byte and every pair of a lead byte and a following byte
    for (let a = 0; a < 256; a += 1) {
      for (const b of [0x00, 0x1b, 0x41, 0x80, 0x85, 0x9b, 0xbf, 0xc2]) {
        // When sanitised
        const text = sanitizeText(Buffer.from([a, b]));
        // Then no C0 (but TAB), DEL, C1 or format character remains
        assert.doesNotMatch(text, /[\x00-\x08\x0a-\x1f\x7f-\x9f\p{Cf}\u2028\u2029]/u, `bytes ${a} ${b} gave ${JSON.stringify(text)}`);
      }
    }
  });
});

describe('sanitizeParsedJson', () => {
  it('Given parsed JSON with raw controls and format characters in values and keys Then each string is escaped in place, line feeds and order kept', () => {
    const value = JSON.parse('{"a":"x\\u202ey","list":["ok","\\u2066\\ud800",{"deep":[["\\u001b[2J"]]}],"k\\u200fey":"v","lines":"one\\ntwo\\u2028","n":1,"t":true,"z":null}') as unknown;
    sanitizeParsedJson(value);
    assert.deepEqual(value, { a: 'x\\u202Ey', list: ['ok', '\\u2066\\uD800', { deep: [['\\x1B[2J']] }], 'k\\u200Fey': 'v', lines: 'one\ntwo\\u2028', n: 1, t: true, z: null });
    assert.deepEqual(Object.keys(value as object), ['a', 'list', 'k\\u200Fey', 'lines', 'n', 't', 'z']);
  });
  it('Given escaped text Then it stays as it is (a report this mxready saved loads unchanged)', () => {
    const value = { banner: 'a\\u202Eb\\x1B\nc' };
    sanitizeParsedJson(value);
    assert.deepEqual(value, { banner: 'a\\u202Eb\\x1B\nc' });
  });
  it('Given a "__proto__" key holding a string Then the own property is escaped and no prototype is set', () => {
    const value = JSON.parse('{"__proto__":"\\u202e"}') as Record<string, unknown>;
    sanitizeParsedJson(value);
    assert.equal(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, '\\u202E');
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
  });
  it('Given nesting far deeper than a recursive walk could take Then it returns', () => {
    const depth = 100_000;
    const value = JSON.parse(`${'['.repeat(depth)}"\\u202e"${']'.repeat(depth)}`) as unknown;
    sanitizeParsedJson(value);
    let inner: unknown = value;
    for (let i = 0; i < depth; i += 1) inner = (inner as unknown[])[0];
    assert.equal(inner, '\\u202E');
  });
});
