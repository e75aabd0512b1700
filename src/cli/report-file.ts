/**
 * Where `--json PATH` goes, settled before the scan so that a path that cannot
 * be written is exit 2 before any traffic:
 *
 * - `-` is refused (stdout is `--format json`).
 * - A descriptor path (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`), or a
 *   file that is no regular file (a FIFO, a device), is written in place,
 *   appending: never truncated, never renamed over.
 * - Anything else is written atomically: a temporary file is made in the
 *   target's folder now (a symbolic link is followed, so the link stays and its
 *   target is replaced), filled after the scan and renamed over the target. The
 *   temporary file is removed on every way out, the process's exit included.
 */
import { accessSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { reason } from './files.js';
import { chunked } from './output.js';

/** Paths that name an open descriptor: writing them must not replace anything. */
const DESCRIPTOR_PATH = /^\/(?:dev\/(?:stdout|stderr|fd\/\d+)|proc\/(?:self|thread-self|\d+)\/fd\/\d+)$/;

/** This process's descriptor a path names (written on directly: a socket, as stdout often is, cannot be reopened), or null. */
function ownDescriptor(path: string): number | null {
  if (path === '/dev/stdout') return 1;
  if (path === '/dev/stderr') return 2;
  const match = /^\/(?:dev|proc\/(self|thread-self|\d+))\/fd\/(\d+)$/.exec(path);
  if (match === null) return null;
  const owner = match[1];
  if (owner !== undefined && owner !== 'self' && owner !== 'thread-self' && Number(owner) !== process.pid) return null;
  return Number(match[2]);
}

/** The sticky bit of a folder's mode (S_ISVTX; Node's fs.constants does not name it). */
const STICKY = 0o1000;

/** Symbolic links followed before giving up (Linux's own limit). */
const MAX_LINKS = 40;

/** The write failed after the scan: the report exists only where the caller still puts it. */
export class ReportFileError extends Error {}

type Target =
  | { readonly kind: 'descriptor'; readonly fd: number }
  | { readonly kind: 'in-place'; readonly path: string }
  | { readonly kind: 'atomic'; readonly path: string; readonly existing: Stats | null };

function inPlace(path: string): Target {
  const fd = ownDescriptor(path);
  return fd === null ? { kind: 'in-place', path } : { kind: 'descriptor', fd };
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Follows `path`'s symbolic links one at a time until a descriptor path, a missing name or a file that is no link. */
function settle(path: string): Target {
  let at = resolve(path);
  for (let hop = 0; hop <= MAX_LINKS; hop += 1) {
    if (DESCRIPTOR_PATH.test(at)) return inPlace(at);
    // The folder's own links resolved, so a folder that leads to /proc/self/fd is seen for what it is.
    at = join(realpathSync(dirname(at)), basename(at));
    if (DESCRIPTOR_PATH.test(at)) return inPlace(at);
    const stats = lstatOrNull(at);
    if (stats === null) return { kind: 'atomic', path: at, existing: null };
    if (stats.isSymbolicLink()) {
      at = resolve(dirname(at), readlinkSync(at));
      continue;
    }
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) return { kind: 'in-place', path: at };
    return { kind: 'atomic', path: at, existing: stats };
  }
  throw Object.assign(new Error('too many symbolic links'), { code: 'ELOOP' });
}

/** The sticky-folder rule (a file there is replaced only by its owner or the folder's), checked before the scan. */
function checkReplaceable(target: string, existing: Stats): void {
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0) return;
  const folder = statSync(dirname(target));
  if ((folder.mode & STICKY) !== 0 && existing.uid !== uid && folder.uid !== uid) {
    throw new UsageError(`cannot write --json ${quoted(target)}: it belongs to another user in a sticky folder (such as /tmp), so it cannot be replaced; remove it or choose another name`);
  }
}

/** Writes all of `text` to `fd`, however many calls it takes. */
function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

export class ReportFile {
  readonly path: string;
  readonly #target: Target;
  #temp: string | null = null;
  #fd: number | null = null;
  readonly #onExit = (): void => this.discard();

  private constructor(path: string, target: Target) {
    this.path = path;
    this.#target = target;
  }

  /** Checks PATH and, for an atomic write, makes the temporary file; a problem is a UsageError (exit 2). */
  static open(path: string): ReportFile {
    if (path === '-') throw new UsageError('--json -: the JSON report goes to stdout with --format json (--json takes a file)');
    if (path === '') throw new UsageError('--json needs a file path (an empty one was given)');
    let target: Target;
    try {
      target = settle(path);
    } catch (error) {
      throw new UsageError(`cannot write --json ${quoted(path)}: ${reason(error)}`);
    }
    const file = new ReportFile(path, target);
    if (target.kind === 'descriptor') {
      try {
        fstatSync(target.fd);
      } catch {
        throw new UsageError(`cannot write --json ${quoted(path)}: descriptor ${target.fd} is not open`);
      }
      return file;
    }
    if (target.kind === 'in-place') {
      try {
        // Opened after the scan (a FIFO would wait for its reader here); only the permission is checked now.
        accessSync(target.path, constants.W_OK);
      } catch (error) {
        throw new UsageError(`cannot write --json ${quoted(path)}: ${reason(error)}`);
      }
      return file;
    }
    if (target.existing !== null) checkReplaceable(target.path, target.existing);
    const temp = join(dirname(target.path), `.${basename(target.path)}.${process.pid}.${Date.now()}.tmp`);
    try {
      file.#fd = openSync(temp, 'wx', 0o666);
      file.#temp = temp;
      if (target.existing !== null) fchmodSync(file.#fd, target.existing.mode & 0o7777);
    } catch (error) {
      file.discard();
      throw new UsageError(`cannot write --json ${quoted(path)}: ${reason(error)} (in ${quoted(dirname(target.path))})`);
    }
    process.once('exit', file.#onExit);
    return file;
  }

  /** True when the report is appended to a descriptor, a FIFO or a device (stdout may be the same place). */
  get inPlace(): boolean {
    return this.#target.kind !== 'atomic';
  }

  /** True when PATH names this process's stdout: the caller writes the report there itself, in order with the rest. */
  get isStdout(): boolean {
    return this.#target.kind === 'descriptor' && this.#target.fd === 1;
  }

  /** Writes the report (in pieces) and puts it in place; failure is a ReportFileError, with nothing left behind. */
  write(pieces: Iterable<string>): void {
    try {
      if (this.#target.kind === 'descriptor') {
        for (const piece of chunked(pieces)) writeAll(this.#target.fd, piece);
        return;
      }
      if (this.#target.kind === 'in-place') {
        const fd = openSync(this.#target.path, constants.O_WRONLY | constants.O_APPEND);
        try {
          for (const piece of chunked(pieces)) writeAll(fd, piece);
        } finally {
          closeSync(fd);
        }
        return;
      }
      if (this.#fd === null || this.#temp === null) throw new Error('the report file was already written or discarded');
      for (const piece of chunked(pieces)) writeAll(this.#fd, piece);
      closeSync(this.#fd);
      this.#fd = null;
      renameSync(this.#temp, this.#target.path);
      this.#temp = null;
      process.off('exit', this.#onExit);
    } catch (error) {
      this.discard();
      throw new ReportFileError(`cannot write --json ${quoted(this.path)}: ${reason(error)}`);
    }
  }

  /** Removes the temporary file, if any is left (idempotent). */
  discard(): void {
    if (this.#fd !== null) {
      try {
        closeSync(this.#fd);
      } catch {
        // Already closed: nothing to release.
      }
      this.#fd = null;
    }
    if (this.#temp !== null) {
      rmSync(this.#temp, { force: true });
      this.#temp = null;
    }
    process.off('exit', this.#onExit);
  }
}
