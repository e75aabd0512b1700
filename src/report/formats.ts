/**
 * The format registry: name → renderer. A renderer is pure, reads only the
 * model, and may give its text in pieces (a long report need not be one string).
 * A new format is one file in this folder and one line here.
 */
import { UsageError } from '../model/errors.js';
import type { Report } from '../model/report.js';
import { FORMAT_NAMES, type FormatName } from './format-names.js';
import { renderJsonPieces } from './json.js';
import { renderTablePieces } from './table.js';

export type { FormatName };

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

/** One renderer for each name in ./format-names.ts: a name without one does not compile. */
const REGISTRY: { readonly [N in FormatName]: Format & { readonly name: N } } = {
  table: { name: 'table', description: 'for people: one row per destination, then a block per address with its findings, fitted to the terminal (--wide: the full grid)', render: renderTablePieces },
  json: { name: 'json', description: 'the JSON report (schemaVersion 2; schema/report.v2.schema.json)', render: (report) => renderJsonPieces(report) },
};

/** Every format's name, in help order. */
export const FORMATS: readonly FormatName[] = FORMAT_NAMES;

export function getFormat(name: string): Format {
  const format = (FORMATS as readonly string[]).includes(name) ? REGISTRY[name as FormatName] : undefined;
  if (format === undefined) throw new UsageError(`unknown format "${name}" (available: ${FORMATS.join(', ')})`);
  return format;
}

/** The whole text of `report` in `format`. */
export function render(report: Report, format: string, options: RenderOptions): string {
  return [...getFormat(format).render(report, options)].join('');
}
