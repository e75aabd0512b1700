/**
 * --format inventory: the zERT-style inventory as a terminal table, one row per
 * combination of protocol, cipher, key exchange and certificate key among the
 * connection records (summary.inventory), "no protection" spelt out, then the
 * transparency lines. Pure; it never judges: the protocol cell is coloured by
 * the row's `protocolMark`, which evaluation stored (red below the policy's
 * minimum and for no protection, plain when it meets it). Then the findings,
 * one line per id with its counts and an example message.
 */
import Table from 'cli-table3';
import type { Finding, InventoryRow, Report } from '../model/report.js';
import type { Format, RenderOptions } from './catalog.js';
import { inventoryKeyCells, inventoryRecords, percentOf, transparencyLine } from './facts.js';
import { inert, paints, type Paint } from './text.js';

const HEAD = ['protocol', 'cipher', 'key exchange', 'certificate key', 'addresses', 'share', 'domains'];

function cells(row: InventoryRow, records: number): string[] {
  const keys = inventoryKeyCells(row).map(inert);
  return [...keys, String(row.addresses), percentOf(row.addresses, records), String(row.domains)];
}

/** The protocol cell's paint, by the mark evaluation stored on the row: red for a gap (below the minimum, no protection), yellow for a warning, else plain. */
function protocolPaint(paint: Paint, row: InventoryRow): (s: string) => string {
  return row.protocolMark === 'gap' ? paint.gap : row.protocolMark === 'warn' ? paint.warn : paint.plain;
}

export function* renderInventory(report: Report, options: RenderOptions): Iterable<string> {
  const paint = paints(options.color);
  const summary = report.summary;
  const rows = summary.inventory ?? [];
  const records = inventoryRecords(summary);
  yield `${paint.bold('Inventory')}: ${records} connection records (distinct IP:port that greeted), ${summary.unreached ?? 0} unreached, ${summary.targets} targets, policy ${inert(report.policy.name)}\n`;
  if (summary.inventory === undefined) {
    yield 'This report was made before the inventory; `mxready report FILE --format inventory` rebuilds it from the targets.\n';
    yield* findingLines(report, paint);
    return;
  }
  const table = new Table({ head: HEAD.map((h) => paint.bold(h)), style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right'] });
  for (const row of rows) {
    const text = cells(row, records);
    const colour = protocolPaint(paint, row);
    table.push(text.map((cell, i) => (i === 0 ? colour(cell) : cell)));
  }
  if (rows.length > 0) yield `${table.toString()}\n`;
  const line = transparencyLine(summary);
  if (line !== null) yield `${line}\n`;
  yield* findingLines(report, paint);
}

/**
 * The findings as the inventory aggregates connections: one line per finding id,
 * worst first, with its severity (painted as stored), how many findings and
 * targets, and the first one's message as an example.
 */
function* findingLines(report: Report, paint: Paint): Iterable<string> {
  const byId = new Map<string, { first: Finding; count: number; targets: number }>();
  for (const target of report.targets) {
    const seen = new Set<string>();
    for (const f of target.findings) {
      const entry = byId.get(f.id) ?? { first: f, count: 0, targets: 0 };
      entry.count += 1;
      if (!seen.has(f.id)) entry.targets += 1;
      seen.add(f.id);
      byId.set(f.id, entry);
    }
  }
  if (byId.size === 0) return;
  const rank = { fail: 0, warn: 1, info: 2 } as const;
  const colour = { fail: paint.gap, warn: paint.warn, info: paint.plain } as const;
  const entries = [...byId.values()].sort((a, b) => rank[a.first.severity] - rank[b.first.severity] || (a.first.id < b.first.id ? -1 : 1));
  yield `\n${paint.bold('Findings')}: ${entries.reduce((n, e) => n + e.count, 0)} of ${entries.length} kinds\n`;
  for (const { first, count, targets } of entries) {
    yield `  ${colour[first.severity](first.severity.padEnd(4))}  ${inert(first.id)}  ${count} in ${targets} target${targets === 1 ? '' : 's'}, e.g. ${inert(first.message)}\n`;
  }
}

export const INVENTORY_FORMAT = {
  name: 'inventory',
  description: 'the inventory: connection records by protocol, cipher, key exchange and certificate key, the share of destinations encrypted, and the findings by id',
  render: (report: Report, options: RenderOptions) => renderInventory(report, options),
} as const satisfies Format;
