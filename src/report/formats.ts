/**
 * The format registry, every renderer loaded (the library's synchronous API):
 * name → renderer. A renderer is pure, reads only the model, and may give its
 * text in pieces (a long report need not be one string). A new format is one
 * file in this folder exporting its Format, its name and loader in ./catalog.ts,
 * and one entry here.
 */
import type { Report } from '../model/report.js';
import { FORMAT_NAMES, isFormatName, unknownFormat, type Format, type FormatName, type RenderOptions } from './catalog.js';
import { JSON_FORMAT } from './json.js';
import { NDJSON_FORMAT } from './ndjson.js';
import { ATTLS_FORMAT } from './attls.js';
import { EXIM_HOSTS_FORMAT } from './exim-hosts.js';
import { HTML_FORMAT } from './html.js';
import { INVENTORY_FORMAT } from './inventory.js';
import { JUNIT_FORMAT } from './junit.js';
import { MARKDOWN_FORMAT } from './markdown.js';
import { POSTFIX_POLICY_FORMAT } from './postfix-policy.js';
import { SARIF_FORMAT } from './sarif.js';
import { TABLE_FORMAT } from './table.js';

export type { Format, FormatName, RenderOptions };

/** Every format, loaded: one for each name in ./catalog.ts (a name without one does not compile). */
const REGISTRY: { readonly [N in FormatName]: Format & { readonly name: N } } = {
  table: TABLE_FORMAT,
  json: JSON_FORMAT,
  ndjson: NDJSON_FORMAT,
  inventory: INVENTORY_FORMAT,
  markdown: MARKDOWN_FORMAT,
  junit: JUNIT_FORMAT,
  sarif: SARIF_FORMAT,
  html: HTML_FORMAT,
  'postfix-policy': POSTFIX_POLICY_FORMAT,
  'exim-hosts': EXIM_HOSTS_FORMAT,
  attls: ATTLS_FORMAT,
};

/** Every format's name, in help order. */
export const FORMATS: readonly FormatName[] = FORMAT_NAMES;

export function getFormat(name: string): Format {
  if (!isFormatName(name)) throw unknownFormat(name);
  return REGISTRY[name];
}

/** The whole text of `report` in `format`. */
export function render(report: Report, format: string, options: RenderOptions): string {
  return [...getFormat(format).render(report, options)].join('');
}
