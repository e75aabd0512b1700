/**
 * sanitizeText's fast paths (printable ASCII as is; well-formed UTF-8 or a string
 * with nothing to escape, decoded once) give exactly what the character-by-
 * character escaping gives, for any bytes and any string, lone surrogates and
 * format characters included; and RFC 4514 escaping's fast path likewise.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sanitizeSlowly, sanitizeText } from '../../src/model/sanitize.js';
import { MAX_SIZE_RUNS, RUNS, SEED } from './runs.js';

/** Bytes that are mostly text: printable ASCII, UTF-8 of any string, and stray bytes. */
const textBytes = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 100 }).map((s) => Buffer.from(s, 'latin1')), fc.string({ unit: 'binary', maxLength: 50 }).map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 4 }).map((a) => Buffer.from(a))), { maxLength: 12 })
  .map((parts) => Buffer.concat(parts));
const strings = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.string({ maxLength: 200, unit: fc.constantFrom('a', '\u202e', '\u0085', '\ud800', '\udc00', '\u2028', '\t', '\x1b', 'é', '\ufeff') }));

describe('sanitize properties', () => {
  it('bytes: the fast paths equal the slow escaping', () => {
    fc.assert(
      fc.property(textBytes, (bytes) => {
        assert.equal(sanitizeText(bytes), sanitizeSlowly(bytes));
      }),
      { numRuns: RUNS, seed: SEED },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65536, size: 'max' }), (bytes) => {
        assert.equal(sanitizeText(Buffer.from(bytes)), sanitizeSlowly(Buffer.from(bytes)));
      }),
      { numRuns: MAX_SIZE_RUNS, seed: SEED },
    );
  });

  it('strings: the fast path equals the slow escaping', () => {
    fc.assert(
      fc.property(strings, (text) => {
        assert.equal(sanitizeText(text), sanitizeSlowly(text));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
