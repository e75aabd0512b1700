/**
 * A session's dialogue for --trace, as swaks and posttls-finger -v show it: each
 * command sent and reply line received, the handshake, the connection, with the
 * time of each step. Bounded: 64 entries a session, each at most 512 characters.
 * Text is inert (replies come sanitised from the parser; what is recorded here
 * passes the sanitiser once more, which leaves escaped text as it is).
 */
import type { TranscriptEntry, TranscriptSession } from '../model/probe.js';
import { sanitizeText } from '../model/sanitize.js';

export const MAX_ENTRIES = 64;
export const MAX_ENTRY_CHARS = 512;

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
    if (text.length <= MAX_ENTRY_CHARS) this.#entries.push({ ms, kind, text });
    else this.#entries.push({ ms, kind, text: `${text.slice(0, MAX_ENTRY_CHARS - 1)}…`, truncated: text.length });
  }

  toJSON(): TranscriptSession {
    return { session: this.#session, entries: [...this.#entries], ...(this.#omitted > 0 ? { omitted: this.#omitted } : {}) };
  }
}
