/**
 * `mxready merge FILE…`: NDJSON scans (shards, resumed segments) back into one.
 * Every file is read as a stream, twice: first every header is checked (the same
 * schemaVersion and policy, the same shard count or none), then the target lines
 * are merged, a key seen twice keeping its first occurrence in command-line
 * order. NDJSON out streams in bounded memory; the other formats hold the targets,
 * sorted by index.
 */
import { isDeepStrictEqual } from 'node:util';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import type { NdjsonEnd, NdjsonHeader, NdjsonLine } from '../model/ndjson.js';
import type { Report, TargetReport } from '../model/report.js';
import { EXIT, exitCodeFor, type FailOn } from '../policy/exit-code.js';
import { SeenKeys } from '../scan/seen.js';
import { SummaryBuilder, sumPoliteness } from '../scan/summary.js';
import { textLines } from './files.js';
import type { CiRun } from './ci.js';
import { ndjsonLines, reportOfLines, writeLine } from './ndjson-io.js';
import type { OutputOptions } from './options.js';
import { exitCodeOf, type CliIo } from './output.js';


/** The lines of one file, parsed and validated. */
function linesOf(path: string, io: CliIo): AsyncIterable<NdjsonLine> {
  return ndjsonLines(textLines(path, io.stdin), path === '-' ? '<stdin>' : path);
}

/** What the headers say, checked across every file. */
interface Headers {
  readonly first: NdjsonHeader;
  readonly startedAt: string;
  readonly shardCount: number | null;
  readonly shards: ReadonlySet<number>;
}

async function readHeaders(paths: readonly string[], io: CliIo): Promise<Headers> {
  let first: NdjsonHeader | undefined;
  let startedAt = '';
  let shardCount: number | null | undefined;
  const shards = new Set<number>();
  for (const path of paths) {
    let any = false;
    for await (const line of linesOf(path, io)) {
      if (line.type !== 'header') continue;
      any = true;
      if (first === undefined) first = line;
      else {
        if (line.schemaVersion !== first.schemaVersion) throw new UsageError(`${quoted(path)}: schemaVersion ${line.schemaVersion}, where the first file has ${first.schemaVersion}`);
        if (!isDeepStrictEqual(line.policy, first.policy)) throw new UsageError(`${quoted(path)}: made under another policy (${line.policy.name}) than the first file (${first.policy.name}); merge only parts of one scan`);
      }
      const count = line.shard?.count ?? null;
      if (shardCount === undefined) shardCount = count;
      else if (count !== shardCount) throw new UsageError(`${quoted(path)}: ${count === null ? 'not sharded' : `${count} shards`}, where the first file has ${shardCount === null ? 'none' : `${shardCount} shards`}`);
      if (line.shard) shards.add(line.shard.index);
      if (startedAt === '' || line.startedAt < startedAt) startedAt = line.startedAt;
    }
    if (!any) throw new UsageError(`${quoted(path)}: no header line: not an mxready NDJSON scan`);
  }
  if (first === undefined) throw new UsageError('merge: no input');
  return { first, startedAt, shardCount: shardCount ?? null, shards };
}

export async function runMerge(paths: readonly string[], opts: OutputOptions, io: CliIo, ci: CiRun, render: (report: Report) => Promise<number>): Promise<number> {
  if (paths.length === 0) throw new UsageError('merge: name the NDJSON files to merge');
  if (paths.filter((p) => p === '-').length > 0) throw new UsageError('merge reads each file twice: give files, not stdin');
  const headers = await readHeaders(paths, io);
  if (headers.shardCount !== null) {
    const missing = Array.from({ length: headers.shardCount }, (_, i) => i).filter((i) => !headers.shards.has(i));
    if (missing.length > 0) io.stderr.write(`mxready: merge: shards missing from the set: ${missing.slice(0, 50).join(', ')}${missing.length > 50 ? ', …' : ''} of ${headers.shardCount}\n`);
  }
  const seen = new SeenKeys();
  const summary = new SummaryBuilder();
  let dropped = 0;
  let finishedAt = headers.startedAt;
  let code: number = EXIT.ok;
  const held: { index: number; target: TargetReport }[] = [];
  let dnssec: NdjsonEnd['dnssec'];
  /** Each run's opt-out and politeness counts, added up. */
  const ends: NdjsonEnd['summary'][] = [];
  const streaming = opts.format === 'ndjson';
  const header: NdjsonHeader = { ...headers.first, startedAt: headers.startedAt, targets: null, shard: null };
  if (streaming && !(await writeLine(io.stdout, header))) return EXIT.stdoutClosed;
  if (streaming) ci.policy(header.policy);
  for (const path of paths) {
    for await (const line of linesOf(path, io)) {
      if (line.type === 'end') {
        if (line.finishedAt > finishedAt) finishedAt = line.finishedAt;
        dnssec ??= line.dnssec;
        ends.push(line.summary);
        continue;
      }
      if (line.type !== 'target') continue;
      if (!seen.add(line.key)) {
        dropped += 1;
        continue;
      }
      summary.add(line.target);
      if (streaming) {
        const target = ci.target(line.target);
        code = exitCodeOf([code, exitCodeFor({ targets: [target] }, opts.failOn as FailOn)]);
        if (!(await writeLine(io.stdout, { ...line, target }))) return EXIT.stdoutClosed;
      } else held.push({ index: line.index, target: line.target });
    }
  }
  if (dropped > 0) io.stderr.write(`mxready: merge: ${dropped} target line(s) whose key was seen before were dropped (the first occurrence, in command-line order, is kept)\n`);
  const polite = sumPoliteness(ends);
  if (streaming) {
    const end: NdjsonEnd = {
      type: 'end',
      finishedAt,
      interrupted: false,
      written: seen.size,
      notScanned: 0,
      reprobed: 0,
      summary: { ...summary.result(), ...polite },
      ...(polite.politeness ? { politeness: polite.politeness } : {}),
      ...(ci.baseline ? { baseline: ci.baseline.summary() } : {}),
      ...(dnssec ? { dnssec } : {}),
      window: { limit: 0, peak: 0 },
    };
    if (!(await writeLine(io.stdout, end))) return EXIT.stdoutClosed;
    await ci.finish();
    return code;
  }
  const report = reportOfLines({ ...headers.first, startedAt: headers.startedAt }, held, { finishedAt, ...(dnssec ? { dnssec } : {}) }, headers.first.policy, { ...summary.result(), ...polite });
  return render(report);
}
