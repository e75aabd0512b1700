/**
 * A pass-through stream between the TCP socket and the TLS layer that keeps a
 * copy of what the server sends during the handshake (bounded), so the
 * certificate chain can be read as sent (./wire.ts). Node's TLS reads a plain
 * net.Socket in C++, out of JavaScript's sight; over this stream it cannot.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** More than any sane server flight (certificate chains are a few KiB); past it the copy stops. */
export const MAX_RECORDED_BYTES = 256 * 1024;

export class HandshakeTap extends Duplex {
  readonly #socket: Socket;
  #recorded: Buffer[] = [];
  #recordedBytes = 0;
  #recording = true;
  #overflowed = false;

  /** `socket` must be paused with nothing buffered (STARTTLS's discard leaves it so). */
  constructor(socket: Socket) {
    super({ allowHalfOpen: false });
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.once('end', this.#onEnd);
    socket.once('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  /** The server's bytes so far, or null when they overflowed the bound. Stops recording. */
  takeRecording(): Buffer | null {
    this.#recording = false;
    const bytes = this.#overflowed ? null : Buffer.concat(this.#recorded);
    this.#recorded = [];
    return bytes;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#recording) {
      this.#recordedBytes += chunk.length;
      if (this.#recordedBytes > MAX_RECORDED_BYTES) {
        this.#overflowed = true;
        this.#recording = false;
        this.#recorded = [];
      } else this.#recorded.push(chunk);
    }
    if (!this.push(chunk)) this.#socket.pause();
  };

  readonly #onEnd = (): void => {
    this.push(null);
  };

  readonly #onError = (error: Error): void => {
    this.destroy(error);
  };

  readonly #onClose = (): void => {
    if (!this.destroyed) this.destroy();
  };

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#socket.destroyed) {
      callback(new Error('the connection is closed'));
      return;
    }
    this.#socket.write(chunk, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#socket.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('error', this.#onError);
    this.#socket.off('close', this.#onClose);
    this.#socket.destroy();
    callback(error);
  }
}
