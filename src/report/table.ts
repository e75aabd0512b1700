/**
 * The table a mail administrator reads, laid out for the terminal's width (at
 * least 80 columns; no line is wider, long words are broken):
 *
 *   1. one row per destination: verdict, delivery (delivers / stuck / unknown /
 *      no mail), the destination, MX hosts and addresses, the lowest protocol,
 *      the first gap;
 *   2. one block per destination: its DNS findings, then one compact block per
 *      address (status, protocol and cipher, key exchange, certificate subject,
 *      trust, name match and days left) with its findings wrapped and indented;
 *   3. with --enumerate, what else each address accepts; 4. the summary;
 *   5. with --trace, each address's dialogue.
 *
 * `wide` keeps the full grid instead (./grid.ts). Pure, and it never judges:
 * every mark it paints was stored by evaluation. Cells are made inert first,
 * then laid out, then coloured.
 */
import type { AddressReport, Finding, Mark, MxReport, Report, TargetReport } from '../model/report.js';
import type { Format } from './catalog.js';
import { renderGridPieces } from './grid.js';
import { columnWidths, displayWidth, grid, hanging, MIN_WIDTH, wrap, type Column } from './layout.js';
import { traceLines } from './trace.js';
import { byMark, delivery, deliveryPaint, inert, paints, PROTECTION_LABEL, summaryRows, VERDICT, verdictPaint, type Paint } from './text.js';

export interface TableOptions {
  /** ANSI colours (on a terminal, or with FORCE_COLOR; never with NO_COLOR: the CLI decides). */
  readonly color: boolean;
  /** Terminal columns to fit (default 100; at least 80). */
  readonly width?: number;
  /** The full grid, as wide as it needs (--wide). */
  readonly wide?: boolean;
}

const GAP = 2;
const ORDER = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1', 'SSLv3'];

/** The lowest protocol any probed address of the target negotiated; "none" when one got no TLS; "—" without addresses. */
function lowestProtocol(target: TargetReport): string {
  const probes = target.mx.flatMap((m) => m.addresses.map((a) => a.probe)).filter((p) => p.status !== 'refused-private');
  if (probes.length === 0) return '—';
  if (probes.some((p) => !p.tls)) return 'none';
  return probes.map((p) => p.tls?.protocol ?? 'none').sort((a, b) => ORDER.indexOf(b) - ORDER.indexOf(a))[0] ?? '—';
}

/** The first gap (a fail finding), or why the target could not be assessed. */
function firstGap(target: TargetReport): { text: string; gap: boolean } {
  const gap = target.findings.find((f) => f.severity === 'fail');
  if (gap) return { text: gap.id, gap: true };
  if (target.status === 'error') return { text: target.error?.code ?? 'not assessed', gap: false };
  return { text: '—', gap: false };
}

/**
 * The DANE column: what DANE senders meet at the destination, from the verdicts
 * stored per address (`dane`) and the TLSA lookups on its MX entries: "bogus"
 * when a lookup failed, else "mismatch", "no-tls", "indet." or "valid" (the
 * worst of its addresses), "—" where DANE does not apply.
 */
function daneSummary(target: TargetReport): string {
  if (target.mx.some((m) => m.tlsa?.status === 'bogus' || m.tlsa?.status === 'lookup-failed')) return 'bogus';
  const statuses = target.mx.flatMap((m) => m.addresses.flatMap((a) => (a.dane ? [a.dane.status] : [])));
  for (const status of ['mismatch', 'no-tls', 'indeterminate', 'valid'] as const) if (statuses.includes(status)) return status === 'indeterminate' ? 'indet.' : status;
  return '—';
}

/** The paint of DANE text: by the worst dane.* finding stored (fail: gap, warn: warn), else ok; nothing to paint without DANE. */
function danePaint(paint: Paint, findings: readonly Finding[], text: string): (s: string) => string {
  if (text === '—') return (s) => s;
  const dane = findings.filter((f) => f.id.startsWith('dane.') && f.id !== 'dane.valid');
  if (dane.some((f) => f.severity === 'fail')) return paint.gap;
  if (dane.some((f) => f.severity === 'warn')) return paint.warn;
  return paint.ok;
}

/**
 * The MTA-STS column: the mode of the policy the domain serves ("enforce",
 * "testing", "none"), "fetch error" or "invalid" when senders have none for
 * that reason, "—" without a policy (or for a relay).
 */
function mtaStsSummary(target: TargetReport): string {
  const sts = target.mtaSts;
  // A domain whose own DNS failed is not assessed: its policy lookups failed with it.
  if (sts === undefined || sts.status === 'none' || target.dns.error !== undefined) return '—';
  if (sts.status === 'valid') return sts.policy?.mode ?? '—';
  return sts.status === 'fetch-error' ? 'fetch error' : 'invalid';
}

/** The paint of the MTA-STS cell: by the worst mta-sts.* finding stored (fail: gap, warn: warn), else as it is. */
function mtaStsPaint(paint: Paint, target: TargetReport): (s: string) => string {
  const sts = target.findings.filter((f) => f.id.startsWith('mta-sts.'));
  if (sts.some((f) => f.severity === 'fail')) return paint.gap;
  if (sts.some((f) => f.severity === 'warn')) return paint.warn;
  return (s) => s;
}

/**
 * The Protection column: the destination's level as evaluation stored it
 * (target.protection), marked ✗ when no host is deliverable under it and ? when
 * that is unknown; "—" without one (relays, null MX, nothing reached).
 */
function protectionCell(target: TargetReport): string {
  const p = target.protection;
  if (p === undefined) return '—';
  return `${PROTECTION_LABEL[p.level]}${p.deliverable === false ? ' ✗' : p.deliverable === null ? ' ?' : ''}`;
}

/** The Protection cell's paint: the mark evaluation stored for the level under the policy (`protection.mark`); plain without one. */
function protectionPaint(paint: Paint, target: TargetReport): (s: string) => string {
  const mark = target.protection?.mark;
  return mark === undefined || mark === null ? (s) => s : byMark(paint, mark);
}

/** The TLS cell's paint: the worst mark evaluation gave a negotiated version at the target's addresses (against the minimum); plain without one, and for "none" (an address without TLS has no version mark). */
function protocolPaint(paint: Paint, target: TargetReport): (s: string) => string {
  const cell = lowestProtocol(target);
  if (cell === 'none' || cell === '—') return (s) => s;
  const rank = { ok: 0, warn: 1, gap: 2 } as const;
  let worst: Mark | null = null;
  for (const mx of target.mx) for (const a of mx.addresses) {
    const mark = a.assessment.protocol;
    if (mark !== null && (worst === null || rank[mark] > rank[worst])) worst = mark;
  }
  return worst === null ? (s) => s : byMark(paint, worst);
}

function destination(target: TargetReport): string {
  return target.input === target.domain ? inert(target.domain) : `${inert(target.domain)} (${inert(target.input)})`;
}

/** A column of the destination rows: its header, fixed width (else it shares what is left), cell text and paint. */
interface DestinationColumn extends Column {
  readonly cell: (t: TargetReport) => string;
  readonly paint?: (paint: Paint, t: TargetReport) => (line: string) => string;
}

const DESTINATION_COLUMNS: readonly DestinationColumn[] = [
  { header: 'VERDICT', width: 7, cell: (t) => VERDICT[t.status], paint: (p, t) => verdictPaint(p, t.status) },
  { header: 'DELIVERY', width: 8, cell: (t) => delivery(t), paint: (p, t) => deliveryPaint(p, delivery(t)) },
  { header: 'DESTINATION', flex: 1, cell: destination },
  { header: 'MX/IP', width: 5, cell: (t) => `${t.mx.length}/${t.mx.reduce((n, m) => n + m.addresses.length, 0)}` },
  { header: 'TLS', width: 7, cell: lowestProtocol, paint: protocolPaint },
  { header: 'DANE', width: 8, cell: daneSummary, paint: (p, t) => danePaint(p, t.findings, daneSummary(t)) },
  { header: 'MTA-STS', width: 7, cell: mtaStsSummary, paint: mtaStsPaint },
  { header: 'PROTECTION', width: 13, cell: protectionCell, paint: protectionPaint },
  { header: 'FIRST GAP', flex: 1, cell: (t) => firstGap(t).text, paint: (p, t) => (firstGap(t).gap ? p.gap : (s) => s) },
];

/**
 * One row per destination. The DANE column shows only when DANE applies to a
 * destination of the report, the MTA-STS column only when a domain has a policy (or lost one),
 * the Protection column when a domain has a protection; the Protection
 * column stands for the DANE and MTA-STS ones under 110 columns (their details are in the findings). The destination gets the room its longest name
 * needs, up to three fifths of what the fixed columns leave; the first gap the rest.
 */
function destinationRows(report: Report, width: number, paint: Paint): string[] {
  const withDane = report.targets.some((t) => daneSummary(t) !== '—');
  const withSts = report.targets.some((t) => mtaStsSummary(t) !== '—');
  const withProtection = report.targets.some((t) => t.protection !== undefined);
  const narrow = withProtection && width < 110;
  const columns = DESTINATION_COLUMNS.filter(
    (c) => ((withDane && !narrow) || c.header !== 'DANE') && ((withSts && !narrow) || c.header !== 'MTA-STS') && (withProtection || c.header !== 'PROTECTION'),
  );
  const cells = report.targets.map((t) => columns.map((c) => c.cell(t)));
  const fixed = columns.reduce((n, c) => n + (c.width ?? 0), 0) + GAP * (columns.length - 1);
  const left = Math.max(16, width - fixed);
  const at = columns.findIndex((c) => c.header === 'DESTINATION');
  const needed = Math.max(11, ...cells.map((row) => displayWidth(row[at] ?? '')));
  const destinationWidth = Math.max(8, Math.min(needed, Math.floor((left * 3) / 5)));
  const sized = columns.map((c) => (c.header === 'DESTINATION' ? { header: c.header, width: destinationWidth } : c));
  const widths = columnWidths(sized, width, GAP);
  const header = grid([columns.map((c) => c.header)], widths, GAP, (_r, _c, line) => paint.bold(line));
  const body = grid(cells, widths, GAP, (r, c, line) => {
    const target = report.targets[r];
    const column = columns[c];
    return target && column?.paint ? column.paint(paint, target)(line) : line;
  });
  return [...header, ...body];
}

const SEVERITY_LABEL = { fail: 'FAIL', warn: 'WARN', info: 'INFO' } as const;

/**
 * One finding: "FAIL id  message", wrapped under its message, the label
 * coloured. Under its address, the message's "host [ip]:port: " (which the block
 * already says) is left out.
 */
function findingLines(f: Finding, indent: string, width: number, paint: Paint): string[] {
  const label = SEVERITY_LABEL[f.severity];
  const head = `${indent}${label} ${f.id}${f.baseline === 'new' ? ' new' : ''}  `;
  const where = f.host !== undefined && f.ip !== undefined ? `${f.host} [${f.ip}]:${f.port ?? ''}: ` : null;
  const message = where !== null && f.message.startsWith(where) ? f.message.slice(where.length) : f.message;
  const lines = hanging(head, `${indent}     `, inert(message), width);
  const colour = f.severity === 'fail' ? paint.gap : f.severity === 'warn' ? paint.warn : paint.dim;
  return lines.map((line, i) => (i === 0 ? `${indent}${colour(label)}${line.slice(indent.length + label.length)}` : line));
}

/** A labelled line of facts ("tls   TLSv1.3 …"), wrapped under its text. */
function factLines(label: string, text: string, width: number, colour: (s: string) => string = (s) => s): string[] {
  return hanging(`    ${label.padEnd(5)} `, '          ', text, width).map((line) => `${line.slice(0, 10)}${colour(line.slice(10))}`);
}

const NO_TLS: Readonly<Record<string, string>> = {
  'no-starttls': 'no STARTTLS',
  'starttls-rejected': 'STARTTLS refused',
  'tls-failed': 'no TLS handshake',
};

function addressBlock(target: TargetReport, mx: MxReport, address: AddressReport, width: number, paint: Paint): string[] {
  const { probe, assessment } = address;
  const where = `${address.ip.includes(':') ? `[${address.ip}]` : address.ip}:${address.port}`;
  const outcome = assessment.outcome === 'gap' ? paint.gap('GAP') : assessment.outcome === 'unassessed' ? paint.warn('not assessed') : paint.ok('meets');
  const label = target.kind === 'host' ? inert(mx.host) : `${inert(mx.host)} (${mx.preference})`;
  const head = hanging('  ', '    ', `${label}  ${where}  ${probe.status}`, width - 14);
  const lines = [...head.slice(0, -1), `${head[head.length - 1] ?? ''}  ${outcome}`];
  if (probe.tls) {
    const tls = probe.tls;
    const protocol = probe.legacyCheck === 'negotiated' ? `${tls.protocol} only` : tls.protocol;
    const cipherClass = assessment.cipher ? ` (${assessment.cipher.class})` : '';
    const kx = tls.keyExchange;
    const exchange = [kx.type, kx.group ?? (kx.bits !== null ? `${kx.bits} bits` : null)].filter((x) => x !== null).join(' ');
    const text = `${protocol}  ${inert(tls.cipher.name)}${cipherClass}  ${exchange || 'key exchange unknown'}, ${tls.forwardSecrecy ? 'forward secrecy' : 'no forward secrecy'}`;
    lines.push(...factLines('tls', text, width, byMark(paint, assessment.protocol ?? 'ok')));
  } else if (NO_TLS[probe.status] !== undefined) {
    lines.push(...factLines('tls', NO_TLS[probe.status] ?? '', width, assessment.outcome === 'gap' ? paint.gap : paint.warn));
  }
  const dane = address.dane;
  if (dane) {
    const m = dane.matched;
    const text = m ? `${dane.status}: TLSA ${m.usage} ${m.selector} ${m.matchingType} matched at depth ${m.depth}` : `${dane.status} (TLSA at ${inert(mx.tlsa?.name ?? '')})`;
    const own = target.findings.filter((f) => f.ip === address.ip && f.port === address.port && f.host === mx.host);
    lines.push(...factLines('dane', text, width, danePaint(paint, own, text)));
  }
  const cert = probe.certificate;
  const marks = assessment.certificate;
  if (cert && marks) {
    const trust = cert.trusted ? 'trusted' : cert.selfSigned ? 'self-signed' : `untrusted (${inert(cert.validationError ?? 'unknown reason')})`;
    const days = cert.daysRemaining < 0 ? `expired ${-cert.daysRemaining} days ago` : `${cert.daysRemaining} days left`;
    const text = `${inert(cert.subject)}  ${trust}, ${cert.hostnameMatch ? 'name matches' : 'name mismatch'}, ${days}, ${inert(cert.keyType)} ${cert.keyBits ?? '?'}`;
    lines.push(...factLines('cert', text, width, byMark(paint, marks.mark)));
  } else if (probe.tls) {
    lines.push(...factLines('cert', 'no certificate that could be read', width, paint.warn));
  }
  if (!probe.tls && probe.error && NO_TLS[probe.status] === undefined) {
    lines.push(...factLines('error', `${probe.error.code}: ${inert(probe.error.message)}`, width, paint.warn));
  }
  for (const f of target.findings) if (f.host === mx.host && f.ip === address.ip) lines.push(...findingLines(f, '    ', width, paint));
  return lines;
}

function targetBlock(target: TargetReport, width: number, paint: Paint): string[] {
  const word = delivery(target);
  const head = hanging('', '  ', destination(target), width - 16);
  const lines = [
    ...head.slice(0, -1).map((l) => paint.bold(l)),
    `${paint.bold(head[head.length - 1] ?? '')}  ${verdictPaint(paint, target.status)(VERDICT[target.status])}  ${deliveryPaint(paint, word)(word)}`,
  ];
  if (target.error && target.mx.length === 0 && target.findings.length === 0) {
    lines.push(...hanging('  ', '  ', `${target.error.code}: ${inert(target.error.message)}`, width).map((l) => paint.warn(l)));
  }
  for (const f of target.findings) if (f.ip === undefined) lines.push(...findingLines(f, '  ', width, paint));
  for (const mx of target.mx) {
    if (mx.addresses.length === 0) {
      const label = target.kind === 'host' ? inert(mx.host) : `${inert(mx.host)} (${mx.preference})`;
      lines.push(...hanging('  ', '    ', `${label}  no address: ${inert(mx.error?.message ?? 'none')}`, width).map((l) => paint.warn(l)));
    }
    for (const address of mx.addresses) lines.push(...addressBlock(target, mx, address, width, paint));
  }
  return lines;
}

const CLASS_PAINT = (paint: Paint) => ({ good: paint.ok, sufficient: paint.plain, 'phase-out': paint.warn, insufficient: paint.gap });

/** What else each address accepts (--enumerate), wrapped. */
function enumerationLines(report: Report, width: number, paint: Paint): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const target of report.targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const e = address.probe.enumeration;
        const marks = address.assessment.enumeration;
        const key = `${address.ip}|${address.port}`;
        if (!e || seen.has(key)) continue;
        seen.add(key);
        lines.push(...wrap(`${inert(mx.host)} [${address.ip}]:${address.port}, ${e.handshakes} handshakes`, width).map((l) => paint.bold(l)));
        const versions = ORDER.map((v) => {
          const accepted = e.protocols[v as keyof typeof e.protocols];
          return accepted === null ? `${v} not testable` : `${v} ${accepted ? 'yes' : 'no'}`;
        }).join('  ');
        lines.push(...hanging('  protocols  ', '             ', versions, width));
        for (const [version, suites] of Object.entries(e.ciphers)) {
          const order = e.serverOrder[version];
          const orderText = order === null || order === undefined ? 'order undecided' : order ? 'server order' : 'client order';
          const named = suites.map((s) => `${inert(s.standardName)}${marks?.classes[s.standardName] ? ` (${marks.classes[s.standardName]})` : ''}`);
          const wrapped = hanging(`  ${version.padEnd(9)}  `, '             ', `${orderText}: ${named.join(', ')}`, width);
          const classes = CLASS_PAINT(paint);
          lines.push(...wrapped.map((l) => l.replace(/(TLS_[A-Z0-9_]+) \((good|sufficient|phase-out|insufficient)\)/g, (_m, n: string, c: keyof typeof classes) => classes[c](`${n} (${c})`))));
        }
        const groups = e.groups.length > 0 ? e.groups.join(', ') : '—';
        const untested = e.groupsNotTestable.length > 0 ? ` (not testable here: ${e.groupsNotTestable.join(', ')})` : '';
        lines.push(...hanging('  groups     ', '             ', `${inert(groups)}${untested}${e.dhBits ? `; DHE ${e.dhBits} bits` : ''}`, width));
        if (e.broken) lines.push(...hanging('  broken     ', '             ', `${inert(e.broken.message)} (selected ${inert(e.broken.selected.join(', '))})`, width).map((l) => paint.gap(l)));
        if (e.error) lines.push(...hanging('  stopped    ', '             ', inert(e.error.message), width).map((l) => paint.warn(l)));
        if (e.notTestable.length > 0) lines.push(...hanging('  ', '  ', `not testable with this TLS library: ${e.notTestable.length} suites (3DES, RC4, EXPORT, ...; listed in the JSON)`, width).map((l) => paint.dim(l)));
      }
    }
  }
  return lines;
}

function summaryLines(report: Report, width: number, paint: Paint): string[] {
  const rows = summaryRows(report);
  const labelWidth = Math.max(...rows.map((r) => r.label.length)) + 1;
  return rows.flatMap(({ label, text }) =>
    hanging(label.padEnd(labelWidth), ' '.repeat(labelWidth), text, width).map((line, i) => (i === 0 ? `${paint.bold(label)}${line.slice(label.length)}` : line)),
  );
}

export function renderTable(report: Report, options: TableOptions): string {
  return [...renderTablePieces(report, options)].join('');
}

/** The report as pieces: the destinations, then one block per destination, the enumeration, the summary, the trace. */
export function* renderTablePieces(report: Report, options: TableOptions): Iterable<string> {
  if (options.wide === true) {
    yield* renderGridPieces(report, options);
    return;
  }
  const width = Math.max(MIN_WIDTH, options.width ?? 100);
  const paint = paints(options.color);
  yield `${destinationRows(report, width, paint).join('\n')}\n\n`;
  for (const target of report.targets) yield `${targetBlock(target, width, paint).join('\n')}\n\n`;
  const enumeration = enumerationLines(report, width, paint);
  if (enumeration.length > 0) yield `${paint.bold('Enumeration')}\n${enumeration.join('\n')}\n\n`;
  yield `${summaryLines(report, width, paint).join('\n')}\n`;
  const trace = traceLines(report, width, paint);
  if (trace.length > 0) yield `\n${paint.bold('Trace')}\n${trace.join('\n')}\n`;
}

export const TABLE_FORMAT = {
  name: 'table',
  description: 'for people: one row per destination, then a block per address with its findings, fitted to the terminal (--wide: the full grid)',
  render: renderTablePieces,
} as const satisfies Format;
