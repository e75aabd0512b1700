/**
 * `--resume FILE`: a streaming scan that survives being killed. Before any
 * traffic, FILE (created if absent) is made whole again — a partial last line is
 * cut off — every line is checked, every header must match this run (schemaVersion,
 * the effective policy, the shard), and the keys of the targets already written are
 * collected; FILE.lock (created exclusively, holding the process id) keeps a
 * second run away. Then a new header is appended and only the targets not yet in
 * FILE are scanned, each line appended whole with one write to a file opened for
 * appending: after a SIGKILL at any moment FILE holds whole lines, and a resume
 * writes every key exactly once.
 */
import { closeSync, existsSync, ftruncateSync, fstatSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import type { NdjsonHeader, NdjsonLine } from '../model/ndjson.js';
import { EXIT, exitCodeFor, type FailOn } from '../policy/exit-code.js';
import type { Policy } from '../policy/presets.js';
import { SeenKeys } from '../scan/seen.js';
import type { Shard } from '../scan/shard.js';
import { reason, textLines } from './files.js';
import { ndjsonLines } from './ndjson-io.js';
import { exitCodeOf } from './output.js';

export interface Resumed {
  /** Keys of the targets FILE already holds. */
  readonly done: SeenKeys;
  /** The exit code over the target lines FILE already holds. */
  readonly code: number;
  /** Appends whole lines (one write each). */
  append(line: NdjsonLine): void;
  /** Closes FILE and removes the lock. */
  close(): void;
}

/** Cuts FILE after its last "\n"; returns the bytes dropped. */
function dropPartialLine(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const chunk = Buffer.alloc(Math.min(size, 1 << 20));
    let end = size;
    // Search back for the last newline, a chunk at a time.
    for (let at = size; at > 0; ) {
      const start = Math.max(0, at - chunk.length);
      const n = readSync(fd, chunk, 0, at - start, start);
      const i = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (i >= 0) {
        end = start + i + 1;
        break;
      }
      at = start;
      if (at === 0) end = 0;
    }
    if (end < size) ftruncateSync(fd, end);
    return size - end;
  } finally {
    closeSync(fd);
  }
}

/** Whether a process with this id is alive (signal 0). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes FILE.lock: created exclusively with our pid; a lock whose process is gone is taken over with a note. */
function lock(path: string, note: (text: string) => void): string {
  const file = `${path}.lock`;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new UsageError(`cannot create ${quoted(file)}: ${reason(error)}`);
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new UsageError(`${quoted(path)} is being resumed by process ${pid} (${quoted(file)}); one run per file`);
      note(`took over ${quoted(file)}: its process ${Number.isInteger(pid) ? pid : '?'} is gone`);
      rmSync(file, { force: true });
    }
  }
  throw new UsageError(`cannot take ${quoted(file)}`);
}

/** What differs between a header in FILE and this run, or null. */
function difference(found: NdjsonHeader, expected: { schemaVersion: number; policy: Policy; shard: Shard | undefined }): string | null {
  if (found.schemaVersion !== expected.schemaVersion) return `schemaVersion ${found.schemaVersion}, this run ${expected.schemaVersion}`;
  if (!isDeepStrictEqual(found.policy, expected.policy)) return `another policy (${found.policy.name}) than this run's (${expected.policy.name})`;
  const shard = expected.shard ? { index: expected.shard.index, count: expected.shard.count } : null;
  if (!isDeepStrictEqual(found.shard, shard)) return `shard ${found.shard ? `${found.shard.index}/${found.shard.count}` : 'none'}, this run ${shard ? `${shard.index}/${shard.count}` : 'none'}`;
  return null;
}

export async function openResume(
  path: string,
  expected: { schemaVersion: number; policy: Policy; shard: Shard | undefined; failOn: FailOn },
  note: (text: string) => void,
): Promise<Resumed> {
  if (!existsSync(path)) {
    try {
      writeFileSync(path, '', { flag: 'a', mode: 0o644 });
    } catch (error) {
      throw new UsageError(`cannot create --resume ${quoted(path)}: ${reason(error)}`);
    }
  }
  const lockFile = lock(path, note);
  try {
    const dropped = dropPartialLine(path);
    if (dropped > 0) note(`${quoted(path)}: dropped a partial last line (${dropped} bytes)`);
    const done = new SeenKeys();
    let code: number = EXIT.ok;
    for await (const line of ndjsonLines(textLines(path), path)) {
      if (line.type === 'header') {
        const why = difference(line, expected);
        if (why !== null) throw new UsageError(`${quoted(path)}: a header made with ${why}; resume with the same options, or write to another file`);
      } else if (line.type === 'target') {
        done.add(line.key);
        code = exitCodeOf([code, exitCodeFor({ targets: [line.target] }, expected.failOn)]);
      }
    }
    const fd = openSync(path, 'a');
    return {
      done,
      code,
      append(line) {
        writeSync(fd, `${JSON.stringify(line)}\n`);
      },
      close() {
        closeSync(fd);
        rmSync(lockFile, { force: true });
      },
    };
  } catch (error) {
    rmSync(lockFile, { force: true });
    throw error;
  }
}
