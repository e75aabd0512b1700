/**
 * A pure, incremental SMTP reply parser (RFC 5321 §4.2). Bytes go in as they
 * arrive from the socket, in chunks of any size; complete replies come out.
 *
 *   reply-line = *( code "-" text CRLF ) code [ SP text ] CRLF
 *
 * Lenient where real servers are (bare LF line ends, a bare "NNN" final line);
 * strict where a hostile or broken server could hurt (line, line-count and
 * reply size limits, checked as bytes arrive, so a 100 KB line without CRLF
 * fails as soon as it passes the line limit). Text is decoded and sanitised
 * (src/model/sanitize.ts). Failures are ScanErrors with code `reply-malformed`
 * or `reply-too-long`; once failed, the parser keeps failing the same way.
 */
import { ScanError } from '../model/errors.js';
import type { SmtpReplyRecord } from '../model/probe.js';
import { sanitizeText } from '../model/sanitize.js';

/** One complete reply: code, RFC 3463 enhanced code when present, sanitised text lines. */
export type SmtpReply = SmtpReplyRecord;

export interface ReplyLimits {
  /** Longest reply line, in bytes, not counting the line end. */
  readonly maxLineBytes: number;
  /** Most lines in one reply. */
  readonly maxLines: number;
  /** Largest reply, in bytes, line ends included. */
  readonly maxReplyBytes: number;
  /** Most bytes held unread (complete replies not yet taken with next(), plus any partial one). */
  readonly maxBufferedBytes: number;
}

export const DEFAULT_REPLY_LIMITS: ReplyLimits = {
  maxLineBytes: 2048,
  maxLines: 200,
  maxReplyBytes: 64 * 1024,
  maxBufferedBytes: 256 * 1024,
};

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HYPHEN = 0x2d;
const PREVIEW_CHARS = 60;
const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?=[ \t]|$)/;

/** The lines of a reply received so far, before its final line. */
interface PartialReply {
  readonly code: number;
  readonly lines: string[];
  bytes: number;
}

/**
 * Incremental parser. Use `push()` to get every complete reply at once, or
 * `append()` + `next()` to take one reply at a time and leave the bytes after it
 * unread (what STARTTLS needs: everything after the 220 is discarded, not parsed).
 */
export class ReplyParser {
  readonly #limits: ReplyLimits;
  #pending: Buffer = Buffer.alloc(0);
  #offset = 0;
  /** Bytes after the last LF received, i.e. the line still being received. */
  #tailBytes = 0;
  /** Bytes received and thrown away unparsed because the current line was already too long. */
  #dropped = 0;
  #tailTooLong = false;
  #partial: PartialReply | null = null;
  #failure: ScanError | null = null;

  constructor(limits: Partial<ReplyLimits> = {}) {
    this.#limits = { ...DEFAULT_REPLY_LIMITS, ...limits };
  }

  /** Bytes received but not yet returned as part of a complete reply. */
  get bufferedBytes(): number {
    return this.#pending.length - this.#offset + this.#dropped + (this.#partial?.bytes ?? 0);
  }

  /** Feeds bytes and returns every reply they complete. Throws a ScanError on a grammar or size violation. */
  push(chunk: Buffer): SmtpReply[] {
    this.append(chunk);
    const replies: SmtpReply[] = [];
    for (let reply = this.next(); reply !== null; reply = this.next()) replies.push(reply);
    return replies;
  }

  /** Stores bytes without parsing them; the size of the line being received is bounded here. */
  append(chunk: Buffer): void {
    if (this.#failure !== null || this.#tailTooLong) {
      this.#dropped += chunk.length;
      return;
    }
    this.#pending = this.#offset === this.#pending.length ? chunk : Buffer.concat([this.#pending.subarray(this.#offset), chunk]);
    this.#offset = 0;
    const lastLf = chunk.lastIndexOf(LF);
    this.#tailBytes = lastLf < 0 ? this.#tailBytes + chunk.length : chunk.length - lastLf - 1;
    this.#boundTail();
    if (this.#pending.length > this.#limits.maxBufferedBytes) {
      this.#fail(tooLong(`more than ${this.#limits.maxBufferedBytes} bytes of replies arrived unread`));
    }
  }

  /** The next complete reply, or null until more bytes arrive. Throws a ScanError on a violation. */
  next(): SmtpReply | null {
    if (this.#failure !== null) throw this.#failure;
    try {
      return this.#nextReply();
    } catch (error) {
      if (error instanceof ScanError) this.#fail(error);
      throw error;
    }
  }

  #fail(error: ScanError): void {
    this.#failure = error;
    this.#dropped += this.#pending.length - this.#offset;
    this.#pending = Buffer.alloc(0);
    this.#offset = 0;
  }

  /** A line still without its LF that is already over the limit is cut here; next() reports it. */
  #boundTail(): void {
    const lastByteIsCr = this.#pending.length > 0 && this.#pending[this.#pending.length - 1] === CR;
    const content = this.#tailBytes - (lastByteIsCr ? 1 : 0);
    if (content <= this.#limits.maxLineBytes) return;
    const keep = this.#pending.length - this.#tailBytes + this.#limits.maxLineBytes + 1;
    this.#dropped += this.#pending.length - keep;
    this.#pending = this.#pending.subarray(0, keep);
    this.#tailTooLong = true;
  }

  #nextReply(): SmtpReply | null {
    for (;;) {
      const lf = this.#pending.indexOf(LF, this.#offset);
      if (lf < 0) {
        if (this.#tailTooLong) throw tooLong(`a reply line is longer than ${this.#limits.maxLineBytes} bytes`);
        return null;
      }
      const end = lf > this.#offset && this.#pending[lf - 1] === CR ? lf - 1 : lf;
      const line = this.#pending.subarray(this.#offset, end);
      const rawBytes = lf + 1 - this.#offset;
      this.#offset = lf + 1;
      const reply = this.#takeLine(line, rawBytes);
      if (reply !== null) return reply;
    }
  }

  /** Adds one line to the reply being built; returns the reply when this line was its last. */
  #takeLine(line: Buffer, rawBytes: number): SmtpReply | null {
    if (line.length > this.#limits.maxLineBytes) throw tooLong(`a reply line is longer than ${this.#limits.maxLineBytes} bytes`);
    const head = parseLineHead(line);
    const partial = this.#partial ?? { code: head.code, lines: [], bytes: 0 };
    if (partial.code !== head.code) {
      throw malformed(`a continuation line has code ${head.code}, the reply began with ${partial.code}`);
    }
    partial.lines.push(sanitizeText(line.subarray(4)));
    partial.bytes += rawBytes;
    this.#partial = partial;
    if (partial.lines.length > this.#limits.maxLines) throw tooLong(`a reply has more than ${this.#limits.maxLines} lines`);
    if (partial.bytes > this.#limits.maxReplyBytes) throw tooLong(`a reply is larger than ${this.#limits.maxReplyBytes} bytes`);
    if (!head.final) return null;
    this.#partial = null;
    return buildReply(partial.code, partial.lines);
  }
}

/** Reads "NNN-", "NNN " or a bare "NNN": the code and whether the line is the last of its reply. */
function parseLineHead(line: Buffer): { code: number; final: boolean } {
  const [d0 = 0, d1 = 0, d2 = 0, separator] = line;
  const digits = d0 >= 0x32 && d0 <= 0x35 && isDigit(d1) && isDigit(d2);
  const separatorOk = separator === undefined || separator === SP || separator === HYPHEN;
  if (!digits || !separatorOk) throw malformed(`a reply line does not start with "NNN " or "NNN-": "${preview(line)}"`);
  return { code: (d0 - 0x30) * 100 + (d1 - 0x30) * 10 + (d2 - 0x30), final: separator !== HYPHEN };
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** The reply, with the RFC 3463 enhanced code of its first line when its class matches the reply's. */
function buildReply(code: number, lines: readonly string[]): SmtpReply {
  const match = ENHANCED.exec(lines[0] ?? '');
  const enhanced = match !== null && match[1] === String(code)[0] ? match[0] : undefined;
  return enhanced === undefined ? { code, lines } : { code, enhanced, lines };
}

function preview(line: Buffer): string {
  const text = sanitizeText(line.subarray(0, PREVIEW_CHARS * 4));
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

function malformed(message: string): ScanError {
  return new ScanError('reply-malformed', message);
}

function tooLong(message: string): ScanError {
  return new ScanError('reply-too-long', message);
}
