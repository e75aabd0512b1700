/**
 * --format inventory: the zERT-style inventory as a terminal table, one row per
 * combination of protocol, cipher, key exchange and certificate key among the
 * connection records (summary.inventory), "no protection" spelt out, then the
 * transparency lines. Pure; colours only the facts (no TLS in red, TLS below 1.2
 * in yellow), never a verdict.
 */
import Table from 'cli-table3';
import type { InventoryRow, Report } from '../model/report.js';
import type { Format, RenderOptions } from './catalog.js';
import { inventoryKeyCells, inventoryRecords, percentOf, transparencyLine } from './facts.js';
import { inert, paints } from './text.js';

const HEAD = ['protocol', 'cipher', 'key exchange', 'certificate key', 'addresses', 'share', 'domains'];

function cells(row: InventoryRow, records: number): string[] {
  const keys = inventoryKeyCells(row).map(inert);
  return [...keys, String(row.addresses), percentOf(row.addresses, records), String(row.domains)];
}

export function* renderInventory(report: Report, options: RenderOptions): Iterable<string> {
  const paint = paints(options.color);
  const summary = report.summary;
  const rows = summary.inventory ?? [];
  const records = inventoryRecords(summary);
  yield `${paint.bold('Inventory')}: ${records} connection records (distinct IP:port that greeted), ${summary.unreached ?? 0} unreached, ${summary.targets} targets, policy ${inert(report.policy.name)}\n`;
  if (summary.inventory === undefined) {
    yield 'This report was made before the inventory; `mxready report FILE --format inventory` rebuilds it from the targets.\n';
    return;
  }
  const table = new Table({ head: HEAD.map((h) => paint.bold(h)), style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' }, colAligns: ['left', 'left', 'left', 'left', 'right', 'right', 'right'] });
  for (const row of rows) {
    const text = cells(row, records);
    const colour = row.protocol === 'none' ? paint.gap : row.protocol === 'TLSv1.2' || row.protocol === 'TLSv1.3' ? paint.plain : paint.warn;
    table.push(text.map((cell, i) => (i === 0 ? colour(cell) : cell)));
  }
  if (rows.length > 0) yield `${table.toString()}\n`;
  const line = transparencyLine(summary);
  if (line !== null) yield `${line}\n`;
}

export const INVENTORY_FORMAT = {
  name: 'inventory',
  description: 'the inventory: connection records by protocol, cipher, key exchange and certificate key, and the share of destinations encrypted',
  render: (report: Report, options: RenderOptions) => renderInventory(report, options),
} as const satisfies Format;
