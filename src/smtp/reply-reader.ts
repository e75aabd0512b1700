/**
 * SMTP commands and replies over one stream (a TCP socket, or the TLS socket on
 * top of it). The session sends a command, then expects the next reply; replies
 * are taken from the parser one at a time, so whatever the server sent after the
 * reply being waited for stays unread, which is what STARTTLS needs (RFC 3207 §6).
 */
import type { Socket } from 'node:net';
import { atPhase, ScanError } from '../model/errors.js';
import type { Phase } from '../model/probe.js';
import { abortable } from '../net/deadline.js';
import { ReplyParser, type SmtpReply } from './reply-parser.js';
import type { Transcript } from './transcript.js';

export class ReplyReader {
  readonly #socket: Socket;
  readonly #parser = new ReplyParser();
  /** Why no more replies will come (closed, reset); set once. */
  #ended: ScanError | null = null;
  /** Re-checks for a reply when bytes or an end arrive; set while a read() waits. */
  #wake: (() => void) | null = null;
  #attached = true;

  readonly #transcript: Transcript | undefined;

  /** Starts listening on `socket` at once, so no byte is missed. With a transcript, every command and reply line is recorded. */
  constructor(socket: Socket, transcript?: Transcript) {
    this.#socket = socket;
    this.#transcript = transcript;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    socket.on('error', this.#onError);
  }

  /** Writes one command line; CRLF is added here. */
  send(command: string): void {
    if (!this.#socket.writable) return;
    this.#transcript?.add('sent', command);
    this.#socket.write(`${command}\r\n`);
  }

  /**
   * The next complete reply. Rejects with a ScanError labelled `phase`: the
   * parser's (reply-malformed, reply-too-long), the connection's
   * (connection-closed, connection-reset), or the signal's reason when it aborts.
   * A reply already received is returned even if the connection closed after it.
   */
  async read(phase: Phase, signal: AbortSignal): Promise<SmtpReply> {
    try {
      return await abortable<SmtpReply>(signal, (resolve, reject) => {
        const attempt = (): boolean => {
          try {
            const reply = this.#parser.next();
            if (reply !== null) {
              this.#record(reply);
              resolve(reply);
            }
            else if (this.#ended !== null) reject(this.#ended);
            else return false;
          } catch (error) {
            reject(error);
          }
          return true;
        };
        if (attempt()) return () => undefined;
        this.#wake = () => {
          if (attempt()) this.#wake = null;
        };
        return () => {
          this.#wake = null;
        };
      });
    } catch (error) {
      throw atPhase(error, phase);
    }
  }

  #record(reply: SmtpReply): void {
    const transcript = this.#transcript;
    if (!transcript) return;
    reply.lines.forEach((line, i) => transcript.add('received', `${reply.code}${i === reply.lines.length - 1 ? ' ' : '-'}${line}`));
  }

  /**
   * Stops reading for STARTTLS and returns how many plaintext bytes were received
   * after the last reply taken and are now discarded: the listeners come off, the
   * socket is paused, and its readable buffer is drained, so that nothing received
   * in plaintext can reach the TLS layer that takes the socket over next.
   */
  release(): number {
    this.detach();
    this.#socket.pause();
    let discarded = this.#parser.bufferedBytes;
    for (let chunk: unknown = this.#socket.read(); chunk !== null; chunk = this.#socket.read()) {
      discarded += Buffer.isBuffer(chunk) ? chunk.length : String(chunk).length;
    }
    return discarded;
  }

  /** Removes this reader's listeners from the socket. Idempotent. */
  detach(): void {
    if (!this.#attached) return;
    this.#attached = false;
    this.#wake = null;
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onClose);
    this.#socket.off('error', this.#onError);
  }

  readonly #onData = (chunk: Buffer | string): void => {
    this.#parser.append(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'));
    this.#wake?.();
  };

  readonly #onEnd = (): void => {
    const midReply = this.#parser.bufferedBytes > 0 ? ' in the middle of a reply' : '';
    this.#end(new ScanError('connection-closed', `the server closed the connection${midReply}`));
  };

  readonly #onClose = (): void => {
    this.#end(new ScanError('connection-closed', 'the connection was closed'));
  };

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    const code = error.code ?? 'unknown';
    const reason = (error as { reason?: unknown }).reason;
    if (code === 'ECONNRESET' || code === 'EPIPE') {
      this.#end(new ScanError('connection-reset', `the connection was reset (${code})`, { cause: error }));
    } else if (code.startsWith('ERR_SSL_')) {
      // An alert after the handshake, e.g. "tlsv13 alert certificate required": OpenSSL's reason, not its raw line.
      const text = typeof reason === 'string' && reason !== '' ? reason : code;
      this.#end(new ScanError('tls-alert', `the server ended the TLS session with an alert: ${text}`, { cause: error }));
    } else {
      this.#end(new ScanError('connection-closed', `the connection failed: ${error.message}`, { cause: error }));
    }
  };

  #end(reason: ScanError): void {
    this.#ended ??= reason;
    this.#wake?.();
  }
}
