/**
 * The JSON reporter. JSON.stringify leaves DEL and the C1 controls raw; they
 * are escaped here so hostile text stays inert in files and on terminals.
 */
import type { Report } from '../model/report.js';
import type { Format } from './catalog.js';

const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderJson(report: Report): string {
  return `${escapeJsonText(JSON.stringify(report, null, 2))}\n`;
}

/** The same text as renderJson, one target at a time, so a large report is never one string. */
export function* renderJsonPieces(report: Report): Iterable<string> {
  const { targets, summary, ...head } = report;
  const indent = (json: string, by: string) => json.replace(/\n/g, `\n${by}`);
  const headJson = JSON.stringify(head, null, 2);
  yield escapeJsonText(`${headJson.slice(0, -2)},\n  "targets": [`);
  for (let i = 0; i < targets.length; i += 1) {
    yield escapeJsonText(`${i === 0 ? '' : ','}\n    ${indent(JSON.stringify(targets[i], null, 2), '    ')}`);
  }
  yield escapeJsonText(`${targets.length === 0 ? ']' : '\n  ]'},\n  "summary": ${indent(JSON.stringify(summary, null, 2), '  ')}\n}\n`);
}

export const JSON_FORMAT = {
  name: 'json',
  description: 'the JSON report (schemaVersion 2; schema/report.v2.schema.json)',
  render: (report: Report) => renderJsonPieces(report),
} as const satisfies Format;
