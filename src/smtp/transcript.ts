/**
 * A session's dialogue for --trace, as swaks and posttls-finger -v show it: each
 * command sent and reply line received, the handshake, the connection, with the
 * time of each step. Bounded: 64 entries a session, each at most 512 bytes of
 * UTF-8 (cut with the model's marker, never inside an escape or a character).
 * Text is inert (replies come sanitised from the parser; what is recorded here
 * passes the sanitiser once more, which leaves escaped text as it is).
 */
import type { TranscriptEntry, TranscriptSession } from '../model/probe.js';
import { capBytes } from '../model/limits.js';
import { sanitizeText } from '../model/sanitize.js';

export const MAX_ENTRIES = 64;
/** An entry's text, in bytes of UTF-8, the marker included. */
export const MAX_ENTRY_BYTES = 512;

export class Transcript {
  readonly #session: TranscriptSession['session'];
  readonly #elapsed: () => number;
  readonly #entries: TranscriptEntry[] = [];
  #omitted = 0;

  constructor(session: TranscriptSession['session'], elapsed: () => number) {
    this.#session = session;
    this.#elapsed = elapsed;
  }

  add(kind: TranscriptEntry['kind'], raw: string): void {
    if (this.#entries.length >= MAX_ENTRIES) {
      this.#omitted += 1;
      return;
    }
    const text = sanitizeText(raw);
    const ms = Math.round(this.#elapsed() * 10) / 10;
    const cuts: { text?: number } = {};
    const capped = capBytes(text, MAX_ENTRY_BYTES, 'text', cuts);
    this.#entries.push({ ms, kind, text: capped, ...(cuts.text !== undefined ? { truncated: cuts.text } : {}) });
  }

  toJSON(): TranscriptSession {
    return { session: this.#session, entries: [...this.#entries], ...(this.#omitted > 0 ? { omitted: this.#omitted } : {}) };
  }
}
