import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScanError } from '../../src/model/errors.js';
import { DEFAULT_REPLY_LIMITS, ReplyParser, type SmtpReply } from '../../src/smtp/reply-parser.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Feeds `input` in the given chunk sizes (cycled) and collects every reply. */
function parseInChunks(input: Buffer, sizes: readonly number[]): SmtpReply[] {
  const parser = new ReplyParser();
  const replies: SmtpReply[] = [];
  for (let at = 0, i = 0; at < input.length; i += 1) {
    const size = sizes[i % sizes.length] ?? 1;
    replies.push(...parser.push(input.subarray(at, at + size)));
    at += size;
  }
  return replies;
}

function parseFailure(input: Buffer | readonly Buffer[]): ScanError {
  const parser = new ReplyParser();
  const chunks = Buffer.isBuffer(input) ? [input] : input;
  try {
    for (const chunk of chunks) parser.push(chunk);
  } catch (error) {
    assert.ok(error instanceof ScanError, `expected a ScanError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the parser to reject the input');
}

describe('ReplyParser: well-formed replies', () => {
  const cases: ReadonlyArray<{ name: string; input: string; replies: SmtpReply[] }> = [
    { name: 'a single-line reply', input: '220 mx.example.com ESMTP\r\n', replies: [{ code: 220, lines: ['mx.example.com ESMTP'] }] },
    {
      name: 'a multi-line reply',
      input: '250-mx.example.com\r\n250-PIPELINING\r\n250 STARTTLS\r\n',
      replies: [{ code: 250, lines: ['mx.example.com', 'PIPELINING', 'STARTTLS'] }],
    },
    { name: 'bare LF line ends', input: '220-one\n220 two\n', replies: [{ code: 220, lines: ['one', 'two'] }] },
    { name: 'mixed CRLF and LF', input: '250-a\r\n250 b\n', replies: [{ code: 250, lines: ['a', 'b'] }] },
    { name: 'a bare "NNN" final line', input: '250\r\n', replies: [{ code: 250, lines: [''] }] },
    { name: 'a bare "NNN-" continuation', input: '250-\r\n250 end\r\n', replies: [{ code: 250, lines: ['', 'end'] }] },
    { name: 'an enhanced status code', input: '550 5.7.1 Relaying denied\r\n', replies: [{ code: 550, enhanced: '5.7.1', lines: ['5.7.1 Relaying denied'] }] },
    { name: 'an enhanced code of another class is not one', input: '250 5.0.0 odd\r\n', replies: [{ code: 250, lines: ['5.0.0 odd'] }] },
    { name: 'an enhanced code alone on the line', input: '454 4.7.0\r\n', replies: [{ code: 454, enhanced: '4.7.0', lines: ['4.7.0'] }] },
    {
      name: 'several replies in one chunk',
      input: '250 OK\r\n354 go ahead\r\n221 2.0.0 Bye\r\n',
      replies: [{ code: 250, lines: ['OK'] }, { code: 354, lines: ['go ahead'] }, { code: 221, enhanced: '2.0.0', lines: ['2.0.0 Bye'] }],
    },
    { name: 'non-ASCII text is kept', input: '220 mx.bücher.example Grüße 東京\r\n', replies: [{ code: 220, lines: ['mx.bücher.example Grüße 東京'] }] },
    { name: 'control characters are escaped', input: '220 \x1b[2Jgotcha\x7f\r\n', replies: [{ code: 220, lines: ['\\x1B[2Jgotcha\\x7F'] }] },
    { name: 'a bare CR inside a line is kept, escaped', input: '220 a\rb\r\n', replies: [{ code: 220, lines: ['a\\x0Db'] }] },
  ];

  for (const { name, input, replies } of cases) {
    it(`${name}, in one chunk`, () => {
      // Given the bytes in one chunk, When pushed, Then the replies come out whole
      assert.deepEqual(new ReplyParser().push(bytes(input)), replies);
    });
    it(`${name}, byte by byte`, () => {
      // Given the same bytes one at a time, Then the same replies come out
      assert.deepEqual(parseInChunks(bytes(input), [1]), replies);
    });
    it(`${name}, in uneven chunks`, () => {
      assert.deepEqual(parseInChunks(bytes(input), [3, 1, 7, 2]), replies);
    });
  }

  it('keeps invalid UTF-8 visible as \\xNN', () => {
    const reply = new ReplyParser().push(Buffer.concat([bytes('220 caf'), Buffer.from([0xe9]), bytes('\r\n')]));
    assert.deepEqual(reply, [{ code: 220, lines: ['caf\\xE9'] }]);
  });

  it('returns nothing until the final line arrives', () => {
    // Given a parser fed the first line of a multi-line reply
    const parser = new ReplyParser();
    // When only continuation lines have arrived, Then no reply is returned yet
    assert.deepEqual(parser.push(bytes('250-first\r\n250-sec')), []);
    // And when the final line arrives, Then the whole reply is returned
    assert.deepEqual(parser.push(bytes('ond\r\n250 last\r\n')), [{ code: 250, lines: ['first', 'second', 'last'] }]);
  });

  it('accepts a line of exactly the limit and a reply of exactly the line-count limit', () => {
    const longest = `250 ${'x'.repeat(DEFAULT_REPLY_LIMITS.maxLineBytes - 4)}\r\n`;
    assert.equal(new ReplyParser().push(bytes(longest)).length, 1);
    const lines = Array.from({ length: DEFAULT_REPLY_LIMITS.maxLines }, (_, i) => `250${i === DEFAULT_REPLY_LIMITS.maxLines - 1 ? ' ' : '-'}L${i}\r\n`);
    assert.equal(new ReplyParser().push(bytes(lines.join('')))[0]?.lines.length, DEFAULT_REPLY_LIMITS.maxLines);
  });
});

describe('ReplyParser: one reply at a time', () => {
  it('leaves the bytes after a reply unread and counts them', () => {
    // Given a 220 followed in the same chunk by an injected reply and a partial line
    const parser = new ReplyParser();
    parser.append(bytes('220 go ahead\r\n250 injected\r\n250 par'));
    // When one reply is taken
    const reply = parser.next();
    // Then it is the 220, and everything after it is still buffered
    assert.deepEqual(reply, { code: 220, lines: ['go ahead'] });
    assert.equal(parser.bufferedBytes, Buffer.byteLength('250 injected\r\n250 par'));
  });

  it('counts the lines of an unfinished reply as buffered', () => {
    const parser = new ReplyParser();
    parser.append(bytes('250-one\r\n250-tw'));
    assert.equal(parser.next(), null);
    assert.equal(parser.bufferedBytes, Buffer.byteLength('250-one\r\n250-tw'));
  });

  it('returns a reply received before a violation, then reports the violation', () => {
    const parser = new ReplyParser();
    parser.append(bytes('220 ok\r\nGARBAGE\r\n'));
    assert.deepEqual(parser.next(), { code: 220, lines: ['ok'] });
    assert.throws(() => parser.next(), { code: 'reply-malformed' });
  });
});

describe('ReplyParser: violations', () => {
  const malformed: ReadonlyArray<{ name: string; input: string }> = [
    { name: 'a line that is not a reply', input: 'HTTP/1.1 400 Bad Request\r\n' },
    { name: 'an empty line', input: '\r\n' },
    { name: 'a code below 200', input: '199 nope\r\n' },
    { name: 'a code of 600', input: '600 nope\r\n' },
    { name: 'two digits', input: '25 nope\r\n' },
    { name: 'a letter after the code', input: '250x\r\n' },
    { name: 'a TAB after the code', input: '250\tOK\r\n' },
    { name: 'a continuation with another code', input: '250-mx.example.com\r\n251 STARTTLS\r\n' },
    { name: 'a continuation with another class', input: '220-hello\r\n554 no\r\n' },
  ];
  for (const { name, input } of malformed) {
    it(`rejects ${name} as reply-malformed`, () => {
      // Given a line that breaks the grammar, When parsed, Then it fails with reply-malformed
      assert.equal(parseFailure(bytes(input)).code, 'reply-malformed');
    });
  }

  it('rejects a line over 2,048 bytes', () => {
    const line = `250 ${'x'.repeat(DEFAULT_REPLY_LIMITS.maxLineBytes - 3)}\r\n`;
    assert.equal(parseFailure(bytes(line)).code, 'reply-too-long');
  });

  it('rejects a 100 KB line without CRLF as soon as it arrives', () => {
    // Given 100 KB with no line end, When pushed, Then it fails at once instead of waiting for CRLF
    assert.equal(parseFailure(bytes(`220 ${'A'.repeat(100 * 1024)}`)).code, 'reply-too-long');
  });

  it('rejects an overlong line fed byte by byte once it passes the limit', () => {
    // Given a parser fed one byte at a time
    const parser = new ReplyParser();
    let fedWhenRejected = -1;
    const line = bytes(`220 ${'A'.repeat(5000)}`);
    for (let i = 0; i < line.length && fedWhenRejected < 0; i += 1) {
      try {
        parser.push(line.subarray(i, i + 1));
      } catch (error) {
        assert.equal((error as ScanError).code, 'reply-too-long');
        fedWhenRejected = i + 1;
      }
    }
    // Then it fails right after the limit, not at the end of the line
    assert.equal(fedWhenRejected, DEFAULT_REPLY_LIMITS.maxLineBytes + 1);
  });

  it('allows the CR of a line exactly at the limit to wait for its LF', () => {
    const parser = new ReplyParser();
    const content = `250 ${'x'.repeat(DEFAULT_REPLY_LIMITS.maxLineBytes - 4)}`;
    assert.deepEqual(parser.push(bytes(`${content}\r`)), []);
    assert.equal(parser.push(bytes('\n')).length, 1);
  });

  it('rejects a reply of more than 200 lines', () => {
    const lines = Array.from({ length: DEFAULT_REPLY_LIMITS.maxLines + 1 }, (_, i) => `250-line ${i}\r\n`).join('');
    assert.equal(parseFailure(bytes(`${lines}250 end\r\n`)).code, 'reply-too-long');
  });

  it('rejects a reply over 64 KiB', () => {
    const line = `250-${'y'.repeat(2000)}\r\n`;
    assert.equal(parseFailure(bytes(`${line.repeat(40)}250 end\r\n`)).code, 'reply-too-long');
  });

  it('rejects an endless reply streamed in small chunks without holding it all', () => {
    // Given a server that never ends its multi-line reply
    const chunks = Array.from({ length: 100 }, () => bytes('250-more\r\n'.repeat(50)));
    // When streamed, Then the parser gives up at the line limit
    assert.equal(parseFailure(chunks).code, 'reply-too-long');
  });

  it('keeps failing after a violation', () => {
    const parser = new ReplyParser();
    assert.throws(() => parser.push(bytes('bogus\r\n')), { code: 'reply-malformed' });
    assert.throws(() => parser.push(bytes('250 OK\r\n')), { code: 'reply-malformed' });
  });
});
