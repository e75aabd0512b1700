/** Properties of the SMTP reply parser and the EHLO parser over arbitrary bytes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ScanError } from '../../src/model/errors.js';
import { parseEhlo } from '../../src/smtp/ehlo.js';
import { ReplyParser } from '../../src/smtp/reply-parser.js';
import { MAX_SIZE_RUNS, RUNS, SEED } from './runs.js';

/** Feeds bytes in the given chunk sizes; returns the replies or the typed error, and lets anything else escape. */
function parseAll(bytes: Uint8Array, cuts: readonly number[]): { replies: unknown[]; error?: ScanError } {
  const parser = new ReplyParser();
  const replies: unknown[] = [];
  let offset = 0;
  let cut = 0;
  try {
    while (offset < bytes.length) {
      const size = Math.max(1, cuts[cut % Math.max(1, cuts.length)] ?? bytes.length);
      cut += 1;
      replies.push(...parser.push(Buffer.from(bytes.subarray(offset, offset + size))));
      offset += size;
    }
    return { replies };
  } catch (error) {
    if (error instanceof ScanError && (error.code === 'reply-malformed' || error.code === 'reply-too-long')) return { replies, error };
    throw error;
  }
}

const anyBytes = fc.uint8Array({ maxLength: 65536 });
const cuts = fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 8 });

/** A line of reply text: printable, no CR/LF, within the line limit. */
const text = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const reply = fc.record({ code: fc.integer({ min: 200, max: 599 }), lines: fc.array(text, { minLength: 1, maxLength: 12 }) });

function serialise(r: { code: number; lines: string[] }): string {
  return r.lines.map((line, i) => `${r.code}${i === r.lines.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

describe('ReplyParser properties', () => {
  it(`Given arbitrary bytes in arbitrary chunks (${RUNS} cases) Then it returns replies or its own typed error, never anything else`, () => {
    fc.assert(fc.property(anyBytes, cuts, (bytes, c) => void parseAll(bytes, c)), { numRuns: RUNS, seed: SEED });
  });

  it(`Given arbitrary bytes at size max (${MAX_SIZE_RUNS} cases, up to 64 KB) Then the same holds`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 65536, size: 'max' }), cuts, (bytes, c) => void parseAll(bytes, c)), {
      numRuns: MAX_SIZE_RUNS,
      seed: SEED,
    });
  });

  it(`Given valid replies split anywhere (${RUNS} cases) Then they round-trip`, () => {
    fc.assert(
      fc.property(fc.array(reply, { minLength: 1, maxLength: 6 }), cuts, (replies, c) => {
        const bytes = Buffer.from(replies.map(serialise).join(''), 'latin1');
        const parsed = parseAll(bytes, c);
        assert.equal(parsed.error, undefined);
        assert.deepEqual(
          parsed.replies.map((r) => ({ code: (r as { code: number }).code, lines: (r as { lines: string[] }).lines })),
          replies.map((r) => ({ code: r.code, lines: r.lines })),
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});

describe('parseEhlo properties', () => {
  const keyword = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,15}$/);
  const param = fc.stringMatching(/^[!-~]{1,12}$/);

  it(`Given arbitrary reply lines (${RUNS} cases) Then it returns a keyword map and never throws`, () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 200 }), { maxLength: 30 }), (lines) => {
        const info = parseEhlo({ lines });
        for (const key of info.keywords.keys()) assert.equal(key, key.toUpperCase());
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it(`Given arbitrary lines at size max (${MAX_SIZE_RUNS} cases) Then it still returns`, () => {
    fc.assert(fc.property(fc.array(fc.string({ size: 'max', maxLength: 2048 }), { size: 'max', maxLength: 200 }), (lines) => void parseEhlo({ lines })), {
      numRuns: MAX_SIZE_RUNS,
      seed: SEED,
    });
  });

  it(`Given keywords with parameters (${RUNS} cases) Then they round-trip through the lines`, () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(keyword, fc.array(param, { maxLength: 4 })), { selector: ([k]) => k.toUpperCase(), maxLength: 12 }), (entries) => {
        const lines = ['mx.example greets you', ...entries.map(([k, params]) => [k, ...params].join(' '))];
        const info = parseEhlo({ lines });
        assert.deepEqual([...info.keywords.entries()], entries.map(([k, params]) => [k.toUpperCase(), params]));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
