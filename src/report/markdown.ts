/**
 * --format markdown: the verdict for a GitHub step summary
 * (`>> "$GITHUB_STEP_SUMMARY"`): the headline, the counts, every fail and error
 * target (at most 1,000 rows), every target's findings (passing ones too) and the
 * inventory, each in a <details> block. Text from
 * servers or DNS is escaped for Markdown; the output stops at 1 MiB, GitHub's
 * step-summary limit, with a note. Pure.
 */
import type { Report, TargetReport } from '../model/report.js';
import type { Format } from './catalog.js';
import { bySeverity, inventoryKeyCells, inventoryRecords, percentOf, protocolsOf, readyHeadline, transparencyLine } from './facts.js';
import { inert } from './text.js';

export const MAX_MARKDOWN_ROWS = 1000;
export const MAX_MARKDOWN_BYTES = 1024 * 1024;

/** Text made inert, on one line, with Markdown's and HTML's special characters escaped. */
export function escapeMarkdown(text: string): string {
  return inert(text)
    .replace(/[\\|*_`[\]]/g, (ch) => `\\${ch}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function targetRow(target: TargetReport): string {
  const findings = bySeverity(target.findings.filter((f) => f.severity !== 'info'));
  const ids = [...new Map(findings.map((f) => [`${f.id}|${f.baseline ?? ''}`, f])).values()].map((f) => `${escapeMarkdown(f.id)}${f.baseline === 'new' ? ' **new**' : ''}`);
  const error = target.status === 'error' && target.error ? [`${escapeMarkdown(target.error.code)}`] : [];
  return `| ${escapeMarkdown(target.domain)} | ${target.status} | ${String(target.deliverable)} | ${protocolsOf(target).join(', ') || '—'} | ${[...ids, ...error].join(', ') || '—'} |\n`;
}

/**
 * Every target's findings, passing ones too (the table above lists only fail
 * and error targets, by id), in a <details> block: per target its status, then
 * each finding worst first with its place and message. At most 1,000 targets.
 */
function* findingsBlock(report: Report): Iterable<string> {
  const withFindings = report.targets.filter((t) => t.findings.length > 0);
  if (withFindings.length === 0) return;
  const count = withFindings.reduce((n, t) => n + t.findings.length, 0);
  yield `<details><summary>Findings: ${count} in ${withFindings.length} of ${report.targets.length} targets</summary>\n\n`;
  for (const target of withFindings.slice(0, MAX_MARKDOWN_ROWS)) {
    yield `- **${escapeMarkdown(target.domain)}** (${target.status})\n`;
    for (const f of bySeverity(target.findings)) {
      const where = [f.host, f.ip !== undefined ? `${f.ip}${f.port !== undefined ? `:${f.port}` : ''}` : undefined].filter((x) => x !== undefined).join(' ');
      yield `  - ${f.severity} ${escapeMarkdown(f.id)}${f.baseline === 'new' ? ' **new**' : ''}${where ? ` on ${escapeMarkdown(where)}` : ''}: ${escapeMarkdown(f.message)}\n`;
    }
  }
  if (withFindings.length > MAX_MARKDOWN_ROWS) yield `\n… and ${withFindings.length - MAX_MARKDOWN_ROWS} more targets with findings\n`;
  yield '\n</details>\n\n';
}

function* pieces(report: Report): Iterable<string> {
  const s = report.summary;
  yield `## mxready: ${escapeMarkdown(readyHeadline(report))}\n\n`;
  const baseline = report.baseline ? ` · **new findings** ${report.baseline.new} · **fixed** ${report.baseline.fixed} (baseline ${escapeMarkdown(report.baseline.file)})` : '';
  yield `**pass** ${s.pass} · **fail** ${s.fail} · **error** ${s.error} · **stuck** ${s.stuck}${baseline}\n\n`;
  const failing = report.targets.filter((t) => t.status !== 'pass');
  const ordered = [...failing.filter((t) => t.status === 'fail'), ...failing.filter((t) => t.status === 'error')];
  if (ordered.length > 0) {
    yield '| domain | status | deliverable | protocols | findings |\n|---|---|---|---|---|\n';
    for (const target of ordered.slice(0, MAX_MARKDOWN_ROWS)) yield targetRow(target);
    if (ordered.length > MAX_MARKDOWN_ROWS) yield `\n… and ${ordered.length - MAX_MARKDOWN_ROWS} more\n`;
    yield '\n';
  }
  yield* findingsBlock(report);
  if (s.inventory !== undefined) {
    const records = inventoryRecords(s);
    yield `<details><summary>Inventory: ${records} connection records, ${s.unreached ?? 0} unreached</summary>\n\n`;
    if (s.inventory.length > 0) {
      yield '| protocol | cipher | key exchange | certificate key | addresses | share | domains |\n|---|---|---|---|---:|---:|---:|\n';
      for (const row of s.inventory) {
        const keys = inventoryKeyCells(row).map(escapeMarkdown);
        yield `| ${keys.join(' | ')} | ${row.addresses} | ${percentOf(row.addresses, records)} | ${row.domains} |\n`;
      }
    }
    const line = transparencyLine(s);
    if (line !== null) yield `\n${line}\n`;
    yield '\n</details>\n';
  }
}

/** The pieces, stopped before 1 MiB with a note. */
export function* renderMarkdown(report: Report): Iterable<string> {
  const note = '\n> The summary was cut at 1 MiB, GitHub\'s step-summary limit: the JSON report has everything.\n';
  let bytes = 0;
  for (const piece of pieces(report)) {
    const size = Buffer.byteLength(piece);
    if (bytes + size + Buffer.byteLength(note) > MAX_MARKDOWN_BYTES) {
      yield note;
      return;
    }
    bytes += size;
    yield piece;
  }
}

export const MARKDOWN_FORMAT = {
  name: 'markdown',
  description: 'Markdown for a GitHub step summary: the verdict, every failing target, every target\'s findings, the inventory',
  render: (report: Report) => renderMarkdown(report),
} as const satisfies Format;
