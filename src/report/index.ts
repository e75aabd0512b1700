/** The reporters: pure functions from the report model to text. */
import { UsageError } from '../errors.js';
import type { Report } from '../model/report.js';
import { SCHEMA_VERSION } from '../model/report.js';
import { renderJson } from './json.js';
import { renderTable } from './table.js';
import { contractViolations } from './validate.js';

export { renderJson } from './json.js';
export { renderTable } from './table.js';

/** Formats built so far; others named in DESIGN.md come with their issues. */
export const FORMATS = ['table', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(text: string): Format {
  if ((FORMATS as readonly string[]).includes(text)) return text as Format;
  throw new UsageError(`unknown format "${text}" (available: ${FORMATS.join(', ')})`);
}

export interface RenderOptions {
  readonly color: boolean;
}

export function render(report: Report, format: Format, options: RenderOptions): string {
  return format === 'json' ? renderJson(report) : renderTable(report, options);
}

/** Parses a saved JSON report; anything that is not a schemaVersion 1 report is a usage error. */
export function parseSavedReport(text: string, source: string): Report {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof data !== 'object' || data === null) throw new UsageError(`${source}: not an mxready report`);
  const record = data as Record<string, unknown>;
  if (record['schemaVersion'] !== SCHEMA_VERSION) {
    throw new UsageError(`${source}: unsupported schemaVersion ${JSON.stringify(record['schemaVersion'])} (this mxready reads ${SCHEMA_VERSION})`);
  }
  const violations = contractViolations(data);
  if (violations.length > 0) {
    const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
    throw new UsageError(`${source}: not a valid mxready report: ${violations[0]} is missing or mistyped${more}`);
  }
  return data as Report;
}
