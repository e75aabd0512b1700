/**
 * How the session reports failures: ScanErrors (src/errors.ts) that name their
 * phase, and carry the SMTP reply when a reply was the reason.
 */
import { ScanError, type ErrorCode } from '../model/errors.js';
import type { Phase, SmtpReplyRecord } from '../model/probe.js';

/** A ScanError caused by an SMTP reply (a 4xx/5xx, or a code that makes no sense here). */
export class SmtpReplyError extends ScanError {
  readonly reply: SmtpReplyRecord;

  constructor(code: ErrorCode, message: string, phase: Phase, reply: SmtpReplyRecord) {
    super(code, message, { phase });
    this.reply = reply;
  }
}

/** "421 4.7.0 Too busy" from a reply, for messages. */
export function describeReply(reply: SmtpReplyRecord): string {
  const text = reply.lines[0] ?? '';
  return text === '' ? String(reply.code) : `${reply.code} ${text}`;
}
