/**
 * The format registry: name → renderer. A renderer is pure, reads only the
 * model, and may give its text in pieces (a long report need not be one string).
 * A new format is one file in this folder and one line here.
 */
import { UsageError } from '../model/errors.js';
import type { Report } from '../model/report.js';
import { renderJsonPieces } from './json.js';
import { renderTablePieces } from './table.js';

export interface RenderOptions {
  /** ANSI colours (on a terminal or with FORCE_COLOR, never with NO_COLOR: the CLI decides). */
  readonly color: boolean;
  /** Terminal columns a text format fits in (the table: at least 80; default 100). */
  readonly width?: number;
  /** The table's full grid instead of the fitted layout (--wide). */
  readonly wide?: boolean;
}

export interface Format {
  readonly name: string;
  /** One line for --help and README. */
  readonly description: string;
  readonly render: (report: Report, options: RenderOptions) => Iterable<string>;
}

const REGISTRY = [
  { name: 'table', description: 'for people: one row per destination, then a block per address with its findings, fitted to the terminal (--wide: the full grid)', render: renderTablePieces },
  { name: 'json', description: 'the JSON report (schemaVersion 2; schema/report.v2.schema.json)', render: (report) => renderJsonPieces(report) },
] as const satisfies readonly Format[];

export type FormatName = (typeof REGISTRY)[number]['name'];

/** Every format's name, in registry order. */
export const FORMATS: readonly FormatName[] = REGISTRY.map((f) => f.name);

export function getFormat(name: string): Format {
  const format = REGISTRY.find((f) => f.name === name);
  if (format === undefined) throw new UsageError(`unknown format "${name}" (available: ${FORMATS.join(', ')})`);
  return format;
}

/** The whole text of `report` in `format`. */
export function render(report: Report, format: string, options: RenderOptions): string {
  return [...getFormat(format).render(report, options)].join('');
}
