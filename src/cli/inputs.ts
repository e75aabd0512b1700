/**
 * Targets for a streaming scan, never held in memory: each `-f FILE` is read as
 * a stream twice. Pass 1 checks every line (a bad target is exit 2 naming the
 * file and line, before any traffic) and counts the distinct targets; pass 2
 * feeds the scan. `-f -` is spooled to a temporary file (mode 0600, removed when
 * the scan ends) and read the same way. With --extract-domains a line is any
 * text, and every mail address in it gives its domain.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { UsageError } from '../model/errors.js';
import { domainsInLine } from '../scan/extract.js';
import { SeenKeys } from '../scan/seen.js';
import { shardOf, type Shard } from '../scan/shard.js';
import { BadLines, parseTarget, targetKey } from '../scan/targets.js';
import { textLines } from './files.js';

export interface StreamedInputs {
  /** Distinct targets (of this shard, with one), counted in pass 1. */
  readonly count: number;
  /** With --extract-domains: "N domains from M lines (K lines had none)". */
  readonly note: string | null;
  /** Pass 2: every target, in input order (the scan de-duplicates). */
  targets(): AsyncIterable<SourcedInput>;
  /** Removes the spooled stdin, if any. */
  dispose(): void;
}

/** A target as read: its text, and where in a targets file it was (absent for arguments and stdin). */
export type SourcedInput = string | { readonly input: string; readonly source: { readonly file: string; readonly line: number } };

/** A targets file as a report names it: relative to the working directory, with forward slashes (SARIF's uri, GitHub's file=). */
export function sourceFile(path: string): string {
  return relative(process.cwd(), resolve(path)).split(sep).join('/');
}

/** The targets of one line: the line itself (comments and blanks dropped), or the domains of its addresses. */
function targetsOf(raw: string, extract: boolean): string[] {
  if (extract) return domainsInLine(raw);
  const hash = raw.indexOf('#');
  const text = (hash === -1 ? raw : raw.slice(0, hash)).trim();
  return text === '' ? [] : [text];
}

/** Copies stdin to a file of our own (0600 in a fresh 0700 folder); the caller removes the folder. */
async function spool(stdin: NodeJS.ReadableStream): Promise<{ path: string; folder: string }> {
  const folder = mkdtempSync(join(tmpdir(), 'mxready-stdin-'));
  const path = join(folder, 'targets');
  await pipeline(stdin, createWriteStream(path, { mode: 0o600 }));
  return { path, folder };
}

/** The stderr line of --extract-domains. */
export function extractNote(distinct: number, found: number, lines: number, empty: number): string {
  return `${distinct} domains (${found} addresses) from ${lines} lines (${empty} lines had none)`;
}

export async function streamInputs(
  args: readonly string[],
  files: readonly string[],
  stdin: NodeJS.ReadableStream,
  options: { readonly extract: boolean; readonly shard?: Shard },
): Promise<StreamedInputs> {
  if (options.extract && files.length === 0) throw new UsageError('--extract-domains reads the text of a file: give it with --file (or -f - for stdin)');
  const folders: string[] = [];
  const dispose = (): void => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  };
  try {
    const paths: { path: string; source: string }[] = [];
    for (const file of files) {
      if (file === '-') {
        const spooled = await spool(stdin);
        folders.push(spooled.folder);
        paths.push({ path: spooled.path, source: '<stdin>' });
      } else paths.push({ path: file, source: file });
    }
    const seen = new SeenKeys();
    let own = 0;
    const count = (key: string): void => {
      if (seen.add(key) && (options.shard === undefined || shardOf(key, options.shard.count) === options.shard.index)) own += 1;
    };
    for (const arg of args) count(targetKey(parseTarget(arg))); // validates and names the bad one
    let lines = 0;
    let empty = 0;
    let found = 0;
    for (const { path, source } of paths) {
      const bad = new BadLines(source);
      let number = 0;
      for await (const raw of textLines(path)) {
        number += 1;
        lines += 1;
        const targets = targetsOf(raw, options.extract);
        if (options.extract && targets.length === 0) empty += 1;
        found += targets.length;
        for (const text of targets) {
          const target = bad.parse(text, number);
          if (target !== null) count(targetKey(target));
        }
      }
      bad.throwIfAny();
    }
    if (seen.size === 0) throw new UsageError(options.extract ? `no mail address in ${lines} lines (--extract-domains)` : 'no targets given (name domains or relays, or use --file)');
    return {
      count: own,
      note: options.extract ? extractNote(seen.size, found, lines, empty) : null,
      async *targets() {
        yield* args;
        for (const { path, source } of paths) {
          const file = source === '<stdin>' ? null : sourceFile(source);
          let line = 0;
          for await (const raw of textLines(path)) {
            line += 1;
            for (const input of targetsOf(raw, options.extract)) yield file === null ? input : { input, source: { file, line } };
          }
        }
      },
      dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}
