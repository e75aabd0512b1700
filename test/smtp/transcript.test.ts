/** The --trace transcript's bounds and inertness: 64 entries a session, 512 characters an entry, text escaped. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ENTRIES, MAX_ENTRY_CHARS, Transcript } from '../../src/smtp/transcript.js';

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

  it('Given an entry longer than 512 characters Then it is cut with the marker and its full length kept', () => {
    const t = new Transcript('first', () => 0);
    t.add('received', `220 ${'x'.repeat(2000)}`);
    const [entry] = t.toJSON().entries;
    assert.equal(entry?.text.length, MAX_ENTRY_CHARS);
    assert.ok(entry?.text.endsWith('…'));
    assert.equal(entry?.truncated, 2004);
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
