/**
 * NDJSON scans on the command line. Reading one (`report`, `merge`, `--resume`)
 * as a stream: a 10⁶-target file is gigabytes, more than one string may hold, so
 * it is never read whole; every line must be valid JSON and valid against
 * schema/ndjson-line.schema.json, the header first, and its text is made inert
 * (a line may come from an older mxready, or a hand edit). Writing lines to stdout at
 * its pace. And the one report its lines make for the formats that need it whole.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import type { NdjsonEnd, NdjsonHeader, NdjsonLine } from '../model/ndjson.js';
import type { PolicyReport, Report, Summary, TargetReport } from '../model/report.js';
import { sanitizeParsedJson } from '../model/sanitize.js';
import { summarize, sumPoliteness } from '../scan/summary.js';
import type { OutputStream } from './output.js';
import { PACKAGE_ROOT } from '../model/version.js';

const requireLazily = createRequire(import.meta.url);
let validator: ValidateFunction | undefined;

function lineValidator(): ValidateFunction {
  if (validator === undefined) {
    if (PACKAGE_ROOT === null) throw new Error('no package root: the NDJSON line schema cannot be found');
    const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'schema/ndjson-line.schema.json'), 'utf8')) as object;
    const { Ajv } = requireLazily('ajv') as { Ajv: typeof AjvClass };
    validator = new Ajv({ allErrors: false, strict: false }).compile(schema);
  }
  return validator;
}

/** Whether a report's first line is an NDJSON header. */
export function isNdjsonHeader(firstLine: string): boolean {
  return /^\s*\{\s*"type"\s*:\s*"header"/.test(firstLine);
}

/** Parses and validates the lines of an NDJSON scan, in file order; every problem names the source and line. */
export async function* ndjsonLines(lines: AsyncIterable<string>, source: string): AsyncGenerator<NdjsonLine> {
  const validate = lineValidator();
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${quoted(source)}:${number}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!validate(data)) {
      const first = validate.errors?.[0];
      throw new UsageError(`${quoted(source)}:${number}: not a valid mxready NDJSON line: ${first ? `${first.instancePath || 'the line'} ${first.message ?? 'is invalid'}` : 'invalid'}`);
    }
    // Inert, as a saved JSON report is once loaded: whatever renders or merges the line gets escaped text.
    sanitizeParsedJson(data);
    const line = data as NdjsonLine;
    if (number === 1 && line.type !== 'header') throw new UsageError(`${quoted(source)}:1: an NDJSON scan starts with its header line`);
    yield line;
  }
}

/** Writes one line, waiting for stdout to drain; false once its reader has gone (stop quietly: 141). */
export async function writeLine(out: OutputStream, line: NdjsonLine): Promise<boolean> {
  if (!out.write(`${JSON.stringify(line)}\n`)) await out.drain?.();
  return out.closed !== true;
}

/**
 * The report an NDJSON scan's lines make: the header's facts, the targets in
 * `index` order, the end line's times, a summary over the targets (or the one given,
 * built in another order).
 */
export function reportOfLines(
  header: NdjsonHeader,
  targets: { readonly index: number; readonly target: TargetReport }[],
  end: Pick<NdjsonEnd, 'finishedAt' | 'dnssec'> & { readonly summary?: Summary } | undefined,
  policy: PolicyReport = header.policy,
  summary?: Summary,
): Report {
  const list = targets.sort((a, b) => a.index - b.index).map((t) => t.target);
  return {
    schemaVersion: header.schemaVersion,
    tool: header.tool,
    startedAt: header.startedAt,
    finishedAt: end?.finishedAt ?? header.startedAt,
    policy,
    depth: header.depth,
    ...(end?.dnssec ? { dnssec: end.dnssec } : {}),
    targets: list,
    summary: summary ?? { ...summarize(list), ...sumPoliteness([end?.summary]) },
  };
}
