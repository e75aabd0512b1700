/**
 * The full grid (--wide): one row per domain / MX / address, as wide as it
 * needs, then the findings, the enumeration and the summary. Pure, and it never
 * judges: every mark it paints was stored by evaluation. Cells are made inert
 * first (each line on its own), then joined, then coloured.
 */
import Table from 'cli-table3';
import type { AddressReport, Finding, MxReport, Report, TargetReport } from '../model/report.js';
import { traceLines } from './trace.js';
import { byMark, delivery, deliveryPaint, inert as safe, paints, summaryRows, VERDICT, verdictPaint, type Paint } from './text.js';

export interface GridOptions {
  readonly color: boolean;
}

function targetLabel(target: TargetReport, paint: Paint): string {
  const lines = [safe(target.domain)];
  if (target.input !== target.domain) lines.push(paint.dim(`(${safe(target.input)})`));
  lines.push(verdictPaint(paint, target.status)(VERDICT[target.status]));
  const word = delivery(target);
  if (word === 'stuck') lines.push(deliveryPaint(paint, word)(word));
  return lines.join('\n');
}

/** What stopped a session before TLS, as the table says it. */
const NO_TLS: Readonly<Record<string, string>> = {
  'no-starttls': 'no STARTTLS',
  'starttls-rejected': 'STARTTLS refused',
  'tls-failed': 'handshake failed',
};

/** Protocol over cipher (OpenSSL's name: the short one; the JSON has both). */
function tlsCell(address: AddressReport, paint: Paint): string {
  const { probe, assessment } = address;
  if (probe.tls) {
    // The legacy check's session: the server speaks nothing newer.
    const protocol = probe.legacyCheck === 'negotiated' ? `${probe.tls.protocol} only` : probe.tls.protocol;
    return `${byMark(paint, assessment.protocol ?? 'ok')(protocol)}\n${paint.dim(safe(probe.tls.cipher.name))}`;
  }
  const text = NO_TLS[probe.status];
  if (text === undefined) return paint.dim('—');
  return assessment.outcome === 'gap' ? paint.gap(text) : paint.warn(text);
}

function certificateCell(address: AddressReport, paint: Paint): string {
  const { probe, assessment } = address;
  const cert = probe.certificate;
  const marks = assessment.certificate;
  if (marks === null) return paint.dim('—');
  const parts = marks.problems.map((problem) => byMark(paint, marks.mark)(problem.replace(/-/g, ' ')));
  if (!cert) return parts.join('\n');
  if (parts.length === 0) parts.push(paint.ok('valid'));
  parts.push(paint.dim(`${cert.keyType} ${cert.keyBits ?? '?'}, ${cert.daysRemaining}d`));
  // The DANE verdict stored for this address (RFC 7672), when DANE applies here.
  if (address.dane) parts.push(address.dane.status === 'valid' ? paint.ok('DANE valid') : paint.warn(`DANE ${address.dane.status}`));
  return parts.join('\n');
}

function addressFindings(target: TargetReport, host: string, ip: string): Finding[] {
  return target.findings.filter((f) => f.host === host && f.ip === ip);
}

function resultCell(target: TargetReport, mx: MxReport, address: AddressReport, paint: Paint): string {
  const probe = address.probe;
  switch (address.assessment.outcome) {
    case 'gap':
      return paint.gap(`GAP\n${probe.status}`);
    case 'unassessed':
      return paint.warn(`not assessed\n${probe.status}`);
    case 'meets':
      return addressFindings(target, mx.host, address.ip).some((f) => f.severity === 'warn') ? paint.ok('meets') + paint.warn(' (warnings)') : paint.ok('meets');
  }
}

function dnsCell(target: TargetReport, paint: Paint): string {
  switch (target.dns.mxSource) {
    case 'null':
      return paint.dim('null MX: accepts no mail');
    case 'none':
      return paint.warn(safe(target.error?.message ?? target.dns.error?.message ?? 'no MX'));
    default:
      return paint.warn(safe(target.error?.message ?? 'no address'));
  }
}

function rowsFor(target: TargetReport, paint: Paint): unknown[][] {
  const rows: unknown[][] = [];
  for (const mx of target.mx) {
    const mxLabel = target.kind === 'host' ? safe(mx.host) : `${safe(mx.host)} ${paint.dim(`(${mx.preference})`)}`;
    if (mx.addresses.length === 0) {
      rows.push([`${mxLabel}\n${paint.dim('no address')}`, { colSpan: 2, content: paint.warn(safe(mx.error?.message ?? 'no address')) }, paint.warn('not assessed')]);
      continue;
    }
    for (const address of mx.addresses) {
      const where = `${address.ip.includes(':') ? `[${address.ip}]` : address.ip}:${address.port}`;
      rows.push([`${mxLabel}\n${paint.dim(where)}`, tlsCell(address, paint), certificateCell(address, paint), resultCell(target, mx, address, paint)]);
    }
  }
  if (rows.length === 0) rows.push([{ colSpan: 4, content: dnsCell(target, paint) }]);
  const first = rows[0];
  if (first) first.unshift({ rowSpan: rows.length, content: targetLabel(target, paint) });
  return rows;
}

function findingLines(report: Report, paint: Paint): string[] {
  const lines: string[] = [];
  const label = { fail: paint.gap('FAIL'), warn: paint.warn('WARN'), info: paint.dim('INFO') };
  for (const target of report.targets) {
    if (target.findings.length === 0) continue;
    lines.push(paint.bold(safe(target.domain)));
    for (const f of target.findings) lines.push(`  ${label[f.severity]} ${f.id}${f.baseline === 'new' ? ' new' : ''}  ${safe(f.message)}`);
  }
  return lines;
}

/** One block per probed address with --enumerate: versions, suites by class, order, groups, what could not be tested. */
function enumerationLines(report: Report, paint: Paint): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  const classPaint = { good: paint.ok, sufficient: (s: string) => s, 'phase-out': paint.warn, insufficient: paint.gap };
  for (const target of report.targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const e = address.probe.enumeration;
        const marks = address.assessment.enumeration;
        const key = `${address.ip}|${address.port}`;
        if (!e || seen.has(key)) continue;
        seen.add(key);
        lines.push(`${paint.bold(safe(mx.host))} ${paint.dim(`[${address.ip}]:${address.port}, ${e.handshakes} handshakes`)}`);
        const versions = (['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'] as const).map((v) => {
          const accepted = e.protocols[v];
          if (accepted === null) return paint.dim(`${v} not testable`);
          return accepted ? byMark(paint, marks?.versions[v] ?? 'ok')(`${v} yes`) : `${v} no`;
        });
        lines.push(`  protocols  ${versions.join('  ')}`);
        for (const [version, suites] of Object.entries(e.ciphers)) {
          const order = e.serverOrder[version];
          const orderText = order === null || order === undefined ? 'order: -' : order ? 'server order' : 'client order';
          const named = suites.map((s) => {
            const cls = marks?.classes[s.standardName];
            return cls === undefined ? safe(s.standardName) : classPaint[cls](`${safe(s.standardName)} (${cls})`);
          });
          lines.push(`  ${version.padEnd(9)}  ${paint.dim(orderText)}  ${named.join(', ')}`);
        }
        const groups = e.groups.length > 0 ? e.groups.join(', ') : '—';
        const untested = e.groupsNotTestable.length > 0 ? paint.dim(` (not testable here: ${e.groupsNotTestable.join(', ')})`) : '';
        lines.push(`  groups     ${safe(groups)}${untested}${e.dhBits ? `  DHE ${e.dhBits} bits` : ''}`);
        if (e.broken) lines.push(`  ${paint.gap('broken')}     ${safe(e.broken.message)} (selected ${safe(e.broken.selected.join(', '))})`);
        if (e.error) lines.push(`  ${paint.warn('stopped')}    ${safe(e.error.message)}`);
        if (e.notTestable.length > 0) lines.push(paint.dim(`  not testable with this TLS library: ${e.notTestable.length} suites (3DES, RC4, EXPORT, ...; listed in the JSON)`));
      }
    }
  }
  return lines;
}

function summaryLines(report: Report, paint: Paint): string[] {
  const rows = summaryRows(report);
  const labelWidth = Math.max(...rows.map((r) => r.label.length));
  return rows.map(({ label, text }) => `${paint.bold(label.padEnd(labelWidth))} ${text}`);
}

/** The grid, then the findings, the enumeration, the summary and the trace, as pieces. */
export function* renderGridPieces(report: Report, options: GridOptions): Iterable<string> {
  const paint = paints(options.color);
  const table = new Table({
    head: ['Target', 'MX (preference) / address', 'TLS / cipher', 'Certificate', 'Result'].map((h) => paint.bold(h)),
    style: { head: [], border: [] },
    wordWrap: false,
  });
  for (const target of report.targets) table.push(...(rowsFor(target, paint) as never[]));
  yield `${table.toString()}\n\n`;
  const findings = findingLines(report, paint);
  if (findings.length > 0) yield `${paint.bold('Findings')}\n${findings.join('\n')}\n\n`;
  const enumeration = enumerationLines(report, paint);
  if (enumeration.length > 0) yield `${paint.bold('Enumeration')}\n${enumeration.join('\n')}\n\n`;
  yield `${summaryLines(report, paint).join('\n')}\n`;
  const trace = traceLines(report, Number.MAX_SAFE_INTEGER, paint);
  if (trace.length > 0) yield `\n${paint.bold('Trace')}\n${trace.join('\n')}\n`;
}
