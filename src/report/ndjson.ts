/**
 * The NDJSON format (src/model/ndjson.ts): a header line, one line per target,
 * an end line. A streaming scan writes these lines as targets finish (in
 * completion order, src/scan/stream.ts); this renderer writes a whole report's
 * the same way, its targets in report order with `index` their position.
 */
import type { NdjsonEnd, NdjsonHeader, NdjsonLine, NdjsonTarget } from '../model/ndjson.js';
import type { Report } from '../model/report.js';
import type { Format } from './catalog.js';
import { keyOfTarget } from '../model/target-key.js';

/** One line: the object's JSON and "\n". */
export function ndjsonText(line: NdjsonLine): string {
  return `${JSON.stringify(line)}\n`;
}

export function* ndjsonLines(report: Report): Generator<NdjsonLine> {
  const header: NdjsonHeader = {
    type: 'header',
    schemaVersion: report.schemaVersion,
    tool: report.tool,
    startedAt: report.startedAt,
    policy: report.policy,
    depth: report.depth,
    targets: report.targets.length,
    shard: null,
  };
  yield header;
  for (const [index, target] of report.targets.entries()) {
    const line: NdjsonTarget = { type: 'target', index, key: keyOfTarget(target), target };
    yield line;
  }
  const end: NdjsonEnd = {
    type: 'end',
    finishedAt: report.finishedAt,
    interrupted: false,
    written: report.targets.length,
    notScanned: 0,
    reprobed: 0,
    summary: report.summary,
    ...(report.dnssec ? { dnssec: report.dnssec } : {}),
    window: { limit: 0, peak: 0 },
  };
  yield end;
}

export const NDJSON_FORMAT: Format & { readonly name: 'ndjson' } = {
  name: 'ndjson',
  description: 'one JSON object per line: a header, one line per target (a scan writes them as they finish), an end line with the summary',
  *render(report) {
    for (const line of ndjsonLines(report)) yield ndjsonText(line);
  },
};
