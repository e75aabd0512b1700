/**
 * The JSON reporter. JSON.stringify leaves DEL and the C1 controls raw; they
 * are escaped here so hostile text stays inert in files and on terminals.
 */
import type { Report } from '../model/report.js';

const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029]/g;

export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function renderJson(report: Report): string {
  return `${escapeJsonText(JSON.stringify(report, null, 2))}\n`;
}
