/** The inventory's invariants: each marginal (plus unreached on none) is its by… map; domains brute-forced; rows largest first. */
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/model/probe.js';
import type { InventoryRow, Summary, TargetReport } from '../../src/model/report.js';

/** Each of the four keys' marginal of the inventory, plus unreached on none. */
export function marginal(summary: Summary, key: keyof Pick<InventoryRow, 'protocol' | 'cipher' | 'keyExchange' | 'certificateKey'>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of summary.inventory ?? []) out[row[key]] = (out[row[key]] ?? 0) + row.addresses;
  if ((summary.unreached ?? 0) > 0) out['none'] = (out['none'] ?? 0) + (summary.unreached ?? 0);
  return out;
}

/** Brute force: per row, the domain targets with at least one greeted address whose keys are the row's. */
export function bruteForceDomains(targets: readonly TargetReport[], row: InventoryRow): number {
  const keysOf = (p: ProbeResult): string => {
    const kx = p.tls?.keyExchange;
    const kxKey = !kx ? 'none' : kx.group ? `${kx.type ?? 'unknown'} ${kx.group}` : kx.bits ? `${kx.type ?? 'unknown'} ${kx.bits}` : (kx.type ?? 'unknown');
    const cert = p.certificate;
    const certKey = !cert ? 'none' : cert.keyBits === null ? cert.keyType : `${cert.keyType} ${cert.keyBits}`;
    return [p.tls?.protocol ?? 'none', p.tls?.cipher.standardName ?? 'none', kxKey, certKey].join('|');
  };
  const wanted = [row.protocol, row.cipher, row.keyExchange, row.certificateKey].join('|');
  return targets.filter((t) => t.kind === 'domain' && t.mx.some((m) => m.addresses.some((a) => a.probe.banner !== null && a.probe.status !== 'refused-private' && keysOf(a.probe) === wanted))).length;
}

export function assertInventoryConsistent(summary: Summary, targets: readonly TargetReport[]): void {
  assert.ok(summary.inventory !== undefined);
  assert.deepEqual(marginal(summary, 'protocol'), summary.byProtocol);
  assert.deepEqual(marginal(summary, 'cipher'), summary.byCipher);
  assert.deepEqual(marginal(summary, 'keyExchange'), summary.byKeyExchange);
  assert.deepEqual(marginal(summary, 'certificateKey'), summary.byCertificateKey);
  for (const row of summary.inventory) assert.equal(row.domains, bruteForceDomains(targets, row), `domains of ${JSON.stringify(row)}`);
  const rows = summary.inventory;
  for (let i = 1; i < rows.length; i += 1) assert.ok((rows[i - 1] as InventoryRow).addresses >= (rows[i] as InventoryRow).addresses, 'rows by addresses, most first');
}

