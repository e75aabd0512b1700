/**
 * Properties of the terminal layout over arbitrary text: widths agree with
 * string-width (the measure terminals and cli-table3 use), and wrapping never
 * loses, reorders or invents a character, nor makes a line wider than asked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { displayWidth, wrap } from '../../src/report/layout.js';
import { RUNS, SEED } from './runs.js';

/** Text mixing printable ASCII with marks, joiners, wide and astral characters, the places segmenting goes wrong. */
const piece = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  fc.constantFrom('\u0301', '\u200d', '\ufe0f', '\u0600', '東', '…', 'é', '👩‍💻', '🇫🇷', ' ', '  ', 'e\u0301', '\u200b', '\u202e'),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
);
const text = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''));

describe('layout properties', () => {
  it('displayWidth is string-width for any text', () => {
    fc.assert(
      fc.property(text, (t) => {
        assert.equal(displayWidth(t), stringWidth(t));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('wrap keeps every non-space character in order and no line exceeds its width (unless one character is wider)', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), (t, first, rest) => {
        const lines = wrap(t, first, rest);
        assert.equal(lines.join('').replace(/[ \n]/g, ''), t.replace(/[ \n]/g, ''));
        lines.forEach((line, i) => {
          const room = i === 0 ? first : rest;
          if (displayWidth(line) > room) assert.ok([...new Intl.Segmenter().segment(line)].length === 1, `line ${i} '${line}' wider than ${room}`);
        });
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
