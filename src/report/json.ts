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

/** Targets stringified together: few enough to keep a piece small, enough to make few pieces. */
const TARGETS_PER_PIECE = 64;

/**
 * The same text as renderJson, a few targets at a time, so a large report is
 * never one string. Each run of targets is stringified inside a `{"targets": […]}`
 * wrapper, which gives its items the indentation they have in the whole report;
 * the wrapper's own lines are cut off.
 */
export function* renderJsonPieces(report: Report): Iterable<string> {
  const { targets, summary, ...head } = report;
  const headJson = JSON.stringify(head, null, 2);
  yield escapeJsonText(`${headJson.slice(0, -2)},\n  "targets": [`);
  const open = '{\n  "targets": [';
  const close = '\n  ]\n}';
  for (let i = 0; i < targets.length; i += TARGETS_PER_PIECE) {
    const wrapped = JSON.stringify({ targets: targets.slice(i, i + TARGETS_PER_PIECE) }, null, 2);
    yield escapeJsonText(`${i === 0 ? '' : ','}${wrapped.slice(open.length, wrapped.length - close.length)}`);
  }
  yield escapeJsonText(`${targets.length === 0 ? ']' : '\n  ]'},\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`);
}

export const JSON_FORMAT = {
  name: 'json',
  description: 'the JSON report (schemaVersion 2; schema/report.v2.schema.json)',
  render: (report: Report) => renderJsonPieces(report),
} as const satisfies Format;
