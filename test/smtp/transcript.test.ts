/** The --trace transcript's bounds and inertness: 64 entries a session, 512 bytes an entry, text escaped and never cut inside an escape. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ENTRIES, MAX_ENTRY_BYTES, Transcript } from '../../src/smtp/transcript.js';

describe('Transcript', () => {
  it('Given more entries than the bound Then the first 64 are kept and the rest counted', () => {
    let clock = 0;
    const t = new Transcript('first', () => (clock += 1.04));
    for (let i = 0; i < MAX_ENTRIES + 10; i += 1) t.add('received', `250-LINE ${i}`);
    const json = t.toJSON();
    assert.equal(json.session, 'first');
    assert.equal(json.entries.length, MAX_ENTRIES);
    assert.equal(json.omitted, 10);
    assert.equal(json.entries[0]?.text, '250-LINE 0');
    assert.equal(json.entries[0]?.ms, 1);
    assert.equal(json.entries[MAX_ENTRIES - 1]?.text, `250-LINE ${MAX_ENTRIES - 1}`);
  });

  it('Given an entry longer than 512 bytes Then it is cut to 512 bytes with the marker and its full length in bytes kept', () => {
    const t = new Transcript('first', () => 0);
    t.add('received', `220 ${'x'.repeat(2000)}`);
    t.add('received', `220 ${'é'.repeat(1000)}`);
    const [ascii, accented] = t.toJSON().entries;
    assert.equal(Buffer.byteLength(ascii?.text ?? ''), MAX_ENTRY_BYTES);
    assert.ok(ascii?.text.endsWith('x…'));
    assert.equal(ascii?.truncated, 2004);
    // 'é' is two bytes: 254 of them and the marker fill 4 + 508 + 3 = 515 > 512, so 252 remain (4 + 504 + 3 = 511).
    assert.equal(accented?.text, `220 ${'é'.repeat(252)}…`);
    assert.equal(accented?.truncated, 2004);
  });

  it('Given an escape (\\x1B, \\u202E) across the 512-byte cut Then it is dropped whole, never split', () => {
    for (const [raw, escaped] of [['\u001b', '\\x1B'], ['\u202e', '\\u202E']] as const) {
      // Every position of the escape around the cut: 505 to 512 bytes of "220 aaa…" before it.
      for (let before = 505; before <= 512; before += 1) {
        const t = new Transcript('first', () => 0);
        t.add('received', `220 ${'a'.repeat(before - 4)}${raw}${'b'.repeat(100)}`);
        const text = t.toJSON().entries[0]?.text ?? '';
        assert.ok(Buffer.byteLength(text) <= MAX_ENTRY_BYTES, `${before}: ${Buffer.byteLength(text)} bytes`);
        assert.ok(text.endsWith('…'), `${before}: cut`);
        const kept = text.slice(0, -1);
        // Either the escape ended before the cut and is whole, or none of it is kept.
        assert.ok(kept.endsWith(escaped) || kept.endsWith(`${escaped}b`) || /[ab]$/.test(kept), `${before}: ends ${JSON.stringify(kept.slice(-8))}`);
        assert.ok(!kept.includes('\\') || kept.includes(escaped), `${before}: a half escape in ${JSON.stringify(kept.slice(-8))}`);
      }
    }
  });

  it('Given control bytes and bidi controls in a reply Then the entry holds them escaped, and escaped text is not escaped twice', () => {
    const t = new Transcript('legacy-check', () => 0);
    t.add('received', '220 \u001b[2Jwelcome\u202e\u0000');
    t.add('received', '220 already \\x1B escaped');
    const [raw, escaped] = t.toJSON().entries;
    assert.equal(raw?.text, '220 \\x1B[2Jwelcome\\u202E\\x00');
    assert.equal(escaped?.text, '220 already \\x1B escaped');
  });

  it('Given a session with nothing omitted Then the JSON has no omitted key', () => {
    const t = new Transcript('first', () => 0);
    t.add('sent', 'QUIT');
    assert.deepEqual(t.toJSON(), { session: 'first', entries: [{ ms: 0, kind: 'sent', text: 'QUIT' }] });
  });
});
