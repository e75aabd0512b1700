/**
 * stdout as the CLI writes to it: when its reader goes away (EPIPE: `mxready … |
 * head`, a CI step that stops reading) or the stream is destroyed, writing stops
 * quietly, with no stack trace and nothing more on stderr, and the exit code is
 * 141 (128 + SIGPIPE). Any other write error (a full disk under a redirect) is
 * one stderr line and exit 74 (EX_IOERR).
 */
import { EXIT } from '../policy/exit-code.js';

/** Errors that mean "the reader is gone", not "the write failed". */
const CLOSED = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNRESET']);

export interface OutputStream {
  readonly isTTY?: boolean;
  /** The terminal's width, when stdout is one. */
  readonly columns?: number;
  write(chunk: string): boolean;
  /** Resolves once what was written has reached the OS, when the stream can tell. */
  settle?(): Promise<void>;
  /** Resolves when a write that returned false may go on (the stream drained, or closed, or failed). */
  drain?(): Promise<void>;
  /** The reader went away. */
  readonly closed?: boolean;
}

/** What the CLI reads and writes: main() hands it the process's streams and environment, tests their own. */
export interface CliIo {
  /** The report goes here (main() hands a GuardedOutput over process.stdout). */
  readonly stdout: OutputStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

export class GuardedOutput implements OutputStream {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; destroyed?: boolean };
  #closed = false;
  #failure: NodeJS.ErrnoException | null = null;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; destroyed?: boolean }) {
    this.#stream = stream;
    stream.on('error', (error: NodeJS.ErrnoException) => this.#note(error));
  }

  get isTTY(): boolean | undefined {
    return this.#stream.isTTY;
  }

  get columns(): number | undefined {
    return this.#stream.columns;
  }

  /** The reader went away: nothing more is written. */
  get closed(): boolean {
    return this.#closed || this.#stream.destroyed === true;
  }

  /** A write failed for another reason. */
  get failure(): NodeJS.ErrnoException | null {
    return this.#failure;
  }

  write(chunk: string): boolean {
    if (this.closed || this.#failure !== null) return false;
    try {
      return this.#stream.write(chunk);
    } catch (error) {
      this.#note(error as NodeJS.ErrnoException);
      return false;
    }
  }

  /** Waits until what was written has been handed to the OS (or has failed), so the outcome is known. */
  settle(): Promise<void> {
    if (this.closed || this.#failure !== null) return Promise.resolve();
    return new Promise((resolve) => {
      try {
        this.#stream.write('', (error?: Error | null) => {
          if (error) this.#note(error as NodeJS.ErrnoException);
          resolve();
        });
      } catch (error) {
        this.#note(error as NodeJS.ErrnoException);
        resolve();
      }
    });
  }

  drain(): Promise<void> {
    if (this.closed || this.#failure !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.#stream.removeListener('drain', done);
        this.#stream.removeListener('close', done);
        this.#stream.removeListener('error', done);
        resolve();
      };
      this.#stream.once('drain', done);
      this.#stream.once('close', done);
      this.#stream.once('error', done);
    });
  }

  #note(error: NodeJS.ErrnoException): void {
    if (CLOSED.has(error.code ?? '')) this.#closed = true;
    else this.#failure ??= error;
  }
}

/** Text in pieces is written in chunks of at least this many characters: fewer writes, never one huge string. */
const CHUNK_CHARS = 64 * 1024;

/** A renderer's pieces joined into chunks of about 64 KiB. */
export function* chunked(pieces: Iterable<string>): Generator<string> {
  let chunk: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    chunk.push(piece);
    size += piece.length;
    if (size >= CHUNK_CHARS) {
      yield chunk.join('');
      chunk = [];
      size = 0;
    }
  }
  if (size > 0) yield chunk.join('');
}

/** Writes a renderer's pieces to `out`, in chunks. */
export function writePieces(out: OutputStream, pieces: Iterable<string>): void {
  for (const chunk of chunked(pieces)) out.write(chunk);
}

/**
 * The exit code when several apply: the first of 70 (a bug), 130/143 (an
 * interrupt), 74 (an output could not be written), 2 (usage), 141 (stdout was
 * closed), then the report's own 1, 3, 0.
 */
export function exitCodeOf(codes: readonly number[]): number {
  const order: readonly number[] = [EXIT.internal, EXIT.sigint, EXIT.sigterm, EXIT.ioError, EXIT.usage, EXIT.stdoutClosed, EXIT.gap, EXIT.unassessed, EXIT.ok];
  for (const code of order) if (codes.includes(code)) return code;
  return codes[0] ?? EXIT.ok;
}

/**
 * Whether stdout's reader went away: asked after the report was written, once
 * it reached the OS, so a closed pipe is known. What would follow the report on
 * stderr (notes, annotations) is then not written either.
 */
export async function stdoutGone(io: CliIo): Promise<boolean> {
  await io.stdout.settle?.();
  return io.stdout.closed === true;
}
