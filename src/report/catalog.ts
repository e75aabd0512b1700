/**
 * The formats: their names (what --format accepts, in the order help lists
 * them), what a renderer is, and loading one renderer on demand, so the command
 * line loads only the renderer it uses (the table's text layout and colours are
 * not needed for JSON). The registry (./formats.ts) and the loaders below must
 * each cover every name; the compiler checks both.
 */
import { UsageError } from '../model/errors.js';
import type { FindingKind } from '../model/check.js';
import type { Report } from '../model/report.js';

export const FORMAT_NAMES = ['table', 'json', 'ndjson', 'inventory', 'markdown', 'junit', 'sarif', 'html', 'postfix-policy', 'exim-hosts', 'attls'] as const;

export type FormatName = (typeof FORMAT_NAMES)[number];

export interface RenderOptions {
  /** ANSI colours (on a terminal or with FORCE_COLOR, never with NO_COLOR: the CLI decides). */
  readonly color: boolean;
  /** Terminal columns a text format fits in (the table: at least 80; default 100). */
  readonly width?: number;
  /** The table's full grid instead of the fitted layout (--wide). */
  readonly wide?: boolean;
  /** The finding catalogue (FINDINGS), for formats that describe every finding id (sarif's rules). */
  readonly catalogue?: Readonly<Record<string, FindingKind>>;
}

export interface Format {
  readonly name: FormatName;
  /** One line for --help and README. */
  readonly description: string;
  readonly render: (report: Report, options: RenderOptions) => Iterable<string>;
}

export function isFormatName(name: string): name is FormatName {
  return (FORMAT_NAMES as readonly string[]).includes(name);
}

/** The usage error for a name that is no format. */
export function unknownFormat(name: string): UsageError {
  return new UsageError(`unknown format "${name}" (available: ${FORMAT_NAMES.join(', ')})`);
}

const LOADERS: { readonly [N in FormatName]: () => Promise<Format & { readonly name: N }> } = {
  table: async () => (await import('./table.js')).TABLE_FORMAT,
  json: async () => (await import('./json.js')).JSON_FORMAT,
  ndjson: async () => (await import('./ndjson.js')).NDJSON_FORMAT,
  inventory: async () => (await import('./inventory.js')).INVENTORY_FORMAT,
  markdown: async () => (await import('./markdown.js')).MARKDOWN_FORMAT,
  junit: async () => (await import('./junit.js')).JUNIT_FORMAT,
  sarif: async () => (await import('./sarif.js')).SARIF_FORMAT,
  html: async () => (await import('./html.js')).HTML_FORMAT,
  'postfix-policy': async () => (await import('./postfix-policy.js')).POSTFIX_POLICY_FORMAT,
  'exim-hosts': async () => (await import('./exim-hosts.js')).EXIM_HOSTS_FORMAT,
  attls: async () => (await import('./attls.js')).ATTLS_FORMAT,
};

/** One format, its renderer's module loaded now; a name that is no format is a usage error. */
export async function loadFormat(name: string): Promise<Format> {
  if (!isFormatName(name)) throw unknownFormat(name);
  return LOADERS[name]();
}
