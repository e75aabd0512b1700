/**
 * The terminal reporter: one row per domain / MX / address with what a mail
 * administrator needs at a glance, the findings with their ids, and a summary
 * of how many targets are ready and how much mail would be stuck. Pure, and it
 * never judges: every mark it paints was stored by evaluation (status,
 * findings, each address's assessment). Colour is an option, and every
 * server-supplied string is sanitised before it is coloured.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { AddressReport, Finding, Mark, MxReport, Report, TargetReport } from '../model/report.js';
import { sanitizeText } from '../model/sanitize.js';

export interface TableOptions {
  /** ANSI colours (only on a TTY, never with NO_COLOR: the CLI decides). */
  readonly color: boolean;
}

interface Paint {
  readonly ok: (s: string) => string;
  readonly gap: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
}

function paints(chalk: ChalkInstance): Paint {
  return { ok: chalk.green, gap: chalk.red, warn: chalk.yellow, dim: chalk.dim, bold: chalk.bold };
}

/** Paints text by the mark evaluation gave it. */
function byMark(paint: Paint, mark: Mark): (s: string) => string {
  return mark === 'gap' ? paint.gap : mark === 'warn' ? paint.warn : paint.ok;
}

const safe = (text: string): string => sanitizeText(text);

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.round((part / whole) * 100)}%`;
}

function targetLabel(target: TargetReport, paint: Paint): string {
  const status = { pass: paint.ok('PASS'), fail: paint.gap('FAIL'), error: paint.warn('ERROR') }[target.status];
  const name = target.input === target.domain ? target.domain : `${target.domain}\n${paint.dim(`(${target.input})`)}`;
  return `${safe(name)}\n${status}`;
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
    for (const f of target.findings) lines.push(`  ${label[f.severity]} ${f.id}  ${safe(f.message)}`);
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

function countsLine(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? '—' : entries.map(([k, v]) => `${safe(k)} ×${v}`).join(', ');
}

function summaryLines(report: Report, paint: Paint): string[] {
  const s = report.summary;
  const p = report.policy;
  const requirements = [
    `${p.minTlsVersion}+`,
    'STARTTLS',
    p.requireTrustedChain ? 'trusted chain' : null,
    p.requireHostnameMatch ? 'name match' : null,
    p.requireUnexpired ? 'unexpired' : null,
    p.requireForwardSecrecy ? 'forward secrecy' : null,
    p.allowedCipherClasses && p.allowedCipherClasses.length < 4 ? `${p.allowedCipherClasses.join('/')} ciphers` : null,
    p.forbidLegacyProtocols ? 'no TLS 1.0/1.1 accepted' : null,
    p.minRsaBits > 0 || p.minEcBits > 0 ? `keys RSA ${p.minRsaBits}+ / EC ${p.minEcBits}+` : null,
  ].filter((x) => x !== null);
  return [
    `${paint.bold('Policy')}   ${p.name}: requires ${requirements.join(', ')}`,
    `${paint.bold('Targets')}  ${s.targets}: ${paint.ok(`${s.pass} pass`)}, ${paint.gap(`${s.fail} fail`)}, ${paint.warn(`${s.error} could not be assessed`)}` +
      `; ${s.stuck === 0 ? '0' : paint.gap(String(s.stuck))} would be stuck (no MX address meets the policy)`,
    `${paint.bold('Probes')}   ${s.probes} addresses: ${s.tlsProbes} negotiated TLS (${percent(s.tlsProbes, s.probes)}), ` +
      `${s.tls12OrBetterProbes} TLS 1.2 or better (${percent(s.tls12OrBetterProbes, s.probes)})`,
    `${paint.bold('Protocols')} ${countsLine(s.byProtocol)}`,
  ];
}

export function renderTable(report: Report, options: TableOptions): string {
  return [...renderTablePieces(report, options)].join('');
}

/** The table, then the findings, the enumeration and the summary, as pieces. */
export function* renderTablePieces(report: Report, options: TableOptions): Iterable<string> {
  const paint = paints(new Chalk({ level: options.color ? 1 : 0 }));
  const table = new Table({
    head: ['Target', 'MX (preference) / address', 'TLS / cipher', 'Certificate', 'Result'].map((h) => paint.bold(h)),
    style: { head: [], border: [] },
    wordWrap: false,
  });
  for (const target of report.targets) table.push(...(rowsFor(target, paint) as never[]));
  const findings = findingLines(report, paint);
  const parts = [table.toString(), ''];
  if (findings.length > 0) parts.push(paint.bold('Findings'), ...findings, '');
  const enumeration = enumerationLines(report, paint);
  if (enumeration.length > 0) parts.push(paint.bold('Enumeration'), ...enumeration, '');
  parts.push(...summaryLines(report, paint));
  yield `${parts.join('\n')}\n`;
}
