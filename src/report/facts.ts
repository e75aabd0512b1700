/**
 * What the CI and audit formats (inventory, markdown, junit, sarif) and the
 * annotations read off a report the same way: the destinations ready, a
 * target's protocols and its first gap, the inventory's rows with their shares,
 * the transparency line. Pure; it never judges: every verdict was stored by
 * evaluation.
 */
import type { Finding, InventoryRow, Report, Summary, TargetReport } from '../model/report.js';
import { tlsVersionRank } from '../model/tls-versions.js';

/** "N of M destinations ready (policy P)": targets that pass, of all targets. */
export function readyHeadline(report: Report): string {
  return `${report.summary.pass} of ${report.summary.targets} destinations ready (policy ${report.policy.name})`;
}

/** The distinct protocols the target's probed addresses negotiated ("none" for one without TLS), newest first. */
export function protocolsOf(target: TargetReport): string[] {
  const set = new Set<string>();
  for (const mx of target.mx) for (const a of mx.addresses) if (a.probe.status !== 'refused-private') set.add(a.probe.tls?.protocol ?? 'none');
  return [...set].sort((a, b) => tlsVersionRank(b) - tlsVersionRank(a) || Number(a === 'none') - Number(b === 'none'));
}

/** Findings, fail first, then warn, then info, each in report order. */
export function bySeverity(findings: readonly Finding[]): Finding[] {
  const rank = { fail: 0, warn: 1, info: 2 } as const;
  return findings.map((f, i) => ({ f, i })).sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i).map(({ f }) => f);
}

/** The inventory's connection records in all. */
export function inventoryRecords(summary: Summary): number {
  return (summary.inventory ?? []).reduce((n, row) => n + row.addresses, 0);
}

/** Whether the row is "no protection": its four keys are none. */
export function isNoProtection(row: InventoryRow): boolean {
  return row.protocol === 'none' && row.cipher === 'none' && row.keyExchange === 'none' && row.certificateKey === 'none';
}

/** A row's four keys as cells: "no protection" spelt out (then dashes), else as the maps key them. Raw text: each format escapes it. */
export function inventoryKeyCells(row: InventoryRow): string[] {
  return isNoProtection(row) ? ['no protection', '—', '—', '—'] : [row.protocol, row.cipher, row.keyExchange, row.certificateKey];
}

/** "12.5 %": a share of the whole, one decimal. */
export function percentOf(part: number, whole: number): string {
  return `${whole === 0 ? '0.0' : ((100 * part) / whole).toFixed(1)} %`;
}

/** "97.1 % of destinations encrypted, 95.4 % at TLS 1.2 or better (N destinations)", or null without transparency. */
export function transparencyLine(summary: Summary): string | null {
  const t = summary.transparency;
  if (!t) return null;
  return `${(100 * t.encryptedShare).toFixed(1)} % of destinations encrypted, ${(100 * t.tls12OrBetterShare).toFixed(1)} % at TLS 1.2 or better (${t.destinations} destinations with a connection record)`;
}

/** The longest probe of the target, in seconds (0 without one). */
export function longestProbeSeconds(target: TargetReport): number {
  let ms = 0;
  for (const mx of target.mx) for (const a of mx.addresses) ms = Math.max(ms, a.probe.timings?.totalMs ?? 0);
  return ms / 1000;
}
