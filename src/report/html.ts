/**
 * --format html: one self-contained file an auditor opens from disk. The
 * verdict, the stuck destinations, the inventory as inline SVG charts (each
 * followed by the same data as a table), and every connection in a table the
 * page's script sorts and filters. No external script, style, font, image or
 * link: a CSP meta forbids fetching anything. Pure; every value from a server,
 * a certificate or DNS is made inert (sanitizeText) and HTML-escaped here; the
 * script reads cell text with textContent and writes no markup built from data.
 */
import type { AddressReport, MxReport, Report, TargetReport } from '../model/report.js';
import type { Format } from './catalog.js';
import { inventoryKeyCells, inventoryRecords, isNoProtection, percentOf, transparencyLine } from './facts.js';
import { inert, requirements } from './text.js';

/** Connection rows the table holds at most; past it, a note says how many were left out. */
export const MAX_HTML_ROWS = 50_000;

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/** Text made inert, then escaped for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return inert(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const STATUS_SYMBOL = { pass: '✔', fail: '✘', error: '⚠' } as const;

function status(s: TargetReport['status']): string {
  return `<span class="st st-${s}">${STATUS_SYMBOL[s]} ${s}</span>`;
}

/** A horizontal bar chart: one bar per item, its width proportional to its count. */
function barChart(id: string, title: string, items: readonly { label: string; count: number }[]): string {
  const max = Math.max(1, ...items.map((i) => i.count));
  const rowHeight = 22;
  // Room for the longest label (about 8 px a character at 12 px), within reason.
  const labelWidth = Math.min(720, Math.max(80, 16 + 8 * Math.max(0, ...items.map((i) => inert(i.label).length))));
  const barWidth = 420;
  const height = items.length * rowHeight + 8;
  const bars = items
    .map((item, i) => {
      const width = Math.max(item.count > 0 ? 1 : 0, Math.round((item.count / max) * barWidth * 100) / 100);
      const y = 4 + i * rowHeight;
      return (
        `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(item.label)}</text>` +
        `<rect class="bar" data-key="${escapeHtml(item.label)}" data-count="${item.count}" x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 6}"><title>${escapeHtml(item.label)}: ${item.count}</title></rect>` +
        `<text x="${labelWidth + width + 6}" y="${y + 15}">${item.count}</text>`
      );
    })
    .join('');
  return `<svg id="${id}" role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + barWidth + 80}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 80} ${height}">${bars}</svg>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table class="data"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function headSection(report: Report): string {
  const s = report.summary;
  const p = report.policy;
  return `<header>
<h1>mxready: ${s.pass} of ${s.targets} destinations ready for policy <code>${escapeHtml(p.name)}</code></h1>
<p class="counts"><span class="st st-pass">✔ pass ${s.pass}</span> · <span class="st st-fail">✘ fail ${s.fail}</span> · <span class="st st-error">⚠ error ${s.error}</span> · <span class="st st-stuck">■ stuck ${s.stuck}</span></p>
<dl>
<dt>Policy</dt><dd><code>${escapeHtml(p.name)}</code>: requires ${escapeHtml(requirements(p))}</dd>
<dt>Tool</dt><dd>${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}</dd>
<dt>Scan</dt><dd><time>${escapeHtml(report.startedAt)}</time> to <time>${escapeHtml(report.finishedAt)}</time></dd>
${report.baseline ? `<dt>Baseline</dt><dd>${report.baseline.new} new, ${report.baseline.existing} existing, ${report.baseline.fixed} fixed findings against ${escapeHtml(report.baseline.file)}</dd>` : ''}
</dl>
</header>`;
}

function stuckSection(report: Report): string {
  const stuck = report.targets.filter((t) => t.status === 'fail' && t.deliverable === false);
  if (stuck.length === 0) return '<section id="stuck"><h2>Stuck destinations</h2><p>None: no destination would hold mail under this policy.</p></section>';
  const items = stuck.map((t) => {
    const first = t.findings.find((f) => f.severity === 'fail');
    return `<li><strong>${escapeHtml(t.domain)}</strong>: ${escapeHtml(first?.message ?? 'fails the policy')}${first ? ` <code>${escapeHtml(first.id)}</code>` : ''}</li>`;
  });
  return `<section id="stuck"><h2>Stuck destinations (${stuck.length})</h2><p>Every address was assessed and none meets the policy: with enforcement on, mail to these would be held.</p><ul>\n${items.join('\n')}\n</ul></section>`;
}

function inventorySection(report: Report): string {
  const s = report.summary;
  const protocols = Object.entries(s.byProtocol).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const parts = [
    '<section id="inventory"><h2>Inventory</h2>',
    '<h3>Protocols (every probe)</h3>',
    barChart('chart-protocols', 'Probes by protocol', protocols.map(([label, count]) => ({ label, count }))),
    table(['protocol', 'probes', 'share'], protocols.map(([k, v]) => [k, String(v), percentOf(v, s.probes)]), new Set([1, 2])),
  ];
  if (s.inventory !== undefined) {
    const records = inventoryRecords(s);
    const top = s.inventory.slice(0, 10);
    const label = (r: (typeof top)[number]): string => (isNoProtection(r) ? 'no protection' : inventoryKeyCells(r).join(' '));
    parts.push(
      `<h3>The ${top.length} largest inventory rows (of ${s.inventory.length}; ${records} connection records, ${s.unreached ?? 0} unreached)</h3>`,
      barChart('chart-inventory', 'Connection records by protocol, cipher, key exchange and certificate key', top.map((r) => ({ label: label(r), count: r.addresses }))),
      table(
        ['protocol', 'cipher', 'key exchange', 'certificate key', 'addresses', 'share', 'domains'],
        top.map((r) => [...inventoryKeyCells(r), String(r.addresses), percentOf(r.addresses, records), String(r.domains)]),
        new Set([4, 5, 6]),
      ),
    );
    const line = transparencyLine(s);
    if (line !== null) parts.push(`<p class="transparency">${escapeHtml(line)}</p>`);
  }
  if (s.protection) {
    const levels = Object.entries(s.protection);
    parts.push('<h3>Effective protection (domains)</h3>', table(['level', 'domains'], levels.map(([k, v]) => [k, String(v)]), new Set([1])));
  }
  parts.push('</section>');
  return parts.join('\n');
}

const COLUMNS = [
  ['domain', 'text'],
  ['target status', 'text'],
  ['MX host', 'text'],
  ['preference', 'num'],
  ['IP:port', 'text'],
  ['probe status', 'text'],
  ['protocol', 'text'],
  ['cipher', 'text'],
  ['key exchange', 'text'],
  ['certificate subject', 'text'],
  ['trusted', 'text'],
  ['name match', 'text'],
  ['days remaining', 'num'],
  ['findings', 'text'],
] as const;

/** The connection table's column widths, in per cent: a fixed layout, so a browser lays out 50,000 rows once, not again as each arrives. */
const COLUMN_WIDTHS = [10, 5, 10, 4, 8, 5, 5, 13, 6, 11, 4, 4, 4, 11];

function cell(text: string, numeric?: number | null): string {
  return numeric === undefined ? `<td>${escapeHtml(text)}</td>` : `<td class="num" data-sort="${numeric ?? ''}">${escapeHtml(text)}</td>`;
}

function yesNo(value: boolean | null | undefined): string {
  return value === true ? '✔ yes' : value === false ? '✘ no' : '—';
}

function connectionRow(target: TargetReport, mx: MxReport | null, address: AddressReport | null): string {
  const probe = address?.probe;
  const kx = probe?.tls?.keyExchange;
  const where = address === null ? '—' : address.ip.includes(':') ? `[${address.ip}]:${address.port}` : `${address.ip}:${address.port}`;
  const findings = target.findings.filter((f) => address === null || f.ip === undefined || f.ip === address.ip);
  const ids = [...new Set(findings.map((f) => `${f.id}${f.baseline === 'new' ? ' (new)' : ''}`))];
  const messages = findings.map((f) => `${f.severity} ${f.id}: ${f.message}`).join('\n');
  const days = probe?.certificate?.daysRemaining;
  return `<tr>${[
    cell(target.domain),
    `<td>${status(target.status)}</td>`,
    cell(mx?.host ?? '—'),
    cell(mx === null ? '—' : String(mx.preference), mx?.preference ?? null),
    cell(where),
    probe?.banner ? `<td title="${escapeHtml(`greeting: ${probe.banner}`)}">${escapeHtml(probe.status)}</td>` : cell(probe?.status ?? '—'),
    cell(probe?.tls?.protocol ?? (probe ? 'none' : '—')),
    cell(probe?.tls?.cipher.standardName ?? '—'),
    cell(kx ? [kx.type, kx.group ?? (kx.bits !== null ? String(kx.bits) : null)].filter((x) => x !== null).join(' ') : '—'),
    cell(probe?.certificate?.subject ?? '—'),
    cell(yesNo(probe?.certificate?.trusted)),
    cell(yesNo(probe?.certificate?.hostnameMatch)),
    cell(days === undefined ? '—' : String(days), days ?? null),
    messages === '' ? cell('—') : `<td title="${escapeHtml(messages).replace(/\\x0A/g, '&#10;')}">${escapeHtml(ids.join(', '))}</td>`,
  ].join('')}</tr>`;
}

/** Every connection, target × MX × address (a target or MX host without an address is one of its own). */
function* connections(report: Report): Generator<[TargetReport, MxReport | null, AddressReport | null]> {
  for (const target of report.targets) {
    if (target.mx.length === 0) yield [target, null, null];
    for (const mx of target.mx) {
      if (mx.addresses.length === 0) yield [target, mx, null];
      for (const address of mx.addresses) yield [target, mx, address];
    }
  }
}

/** The number of connection rows the report makes. */
export function connectionRowCount(report: Report): number {
  let n = 0;
  for (const _ of connections(report)) n += 1;
  return n;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1b1f24;background:#fff}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}h3{font-size:15px;margin:18px 0 6px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f3f4f6;padding:0 3px;border-radius:3px}
dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px;margin:8px 0}dt{font-weight:600}dd{margin:0}
.st{font-weight:600;white-space:nowrap}.st-pass{color:#116329}.st-fail{color:#b3261e}.st-error{color:#8a5300}.st-stuck{color:#b3261e}
table.data{border-collapse:collapse;margin:8px 0 16px;font-size:13px}table.data th,table.data td{border:1px solid #d0d7de;padding:3px 7px;text-align:left;vertical-align:top}
table.data th{background:#f6f8fa}#connections th{position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}
#connections{table-layout:fixed;width:100%;min-width:1400px}#connections th{cursor:pointer;user-select:none;overflow-wrap:anywhere}#connections td{overflow-wrap:anywhere}#connections th[aria-sort=ascending]::after{content:" ▲"}#connections th[aria-sort=descending]::after{content:" ▼"}
svg text{font-size:12px;fill:#1b1f24}svg .bar{fill:#3b6fb6}
#filter{font:inherit;padding:4px 8px;width:28em;max-width:100%}
.note{background:#fff8e1;border:1px solid #e0c36c;padding:6px 10px}
@media print{#filter,.hint{display:none}#connections th{position:static}}
`;

/** Sorts on a header click (again: the other way), numbers numerically, stably; filters on input. Constant markup only. */
const SCRIPT = `
(function(){
  var wrap=document.getElementById('rows');if(wrap)wrap.style.display='block';
  var table=document.getElementById('connections');if(!table)return;
  var body=table.tBodies[0];var heads=table.tHead.rows[0].cells;var rows=Array.prototype.slice.call(body.rows);
  var state={col:-1,dir:1};
  function key(row,col,numeric){var c=row.cells[col];if(!c)return numeric?-Infinity:'';if(numeric){var v=c.getAttribute('data-sort');return v===null||v===''?-Infinity:Number(v);}return c.textContent.toLowerCase();}
  function sort(col){
    var numeric=heads[col].getAttribute('data-type')==='num';
    state.dir=state.col===col?-state.dir:1;state.col=col;
    var keyed=rows.map(function(r,i){return {r:r,k:key(r,col,numeric),i:i};});
    keyed.sort(function(a,b){if(a.k<b.k)return -state.dir;if(a.k>b.k)return state.dir;return a.i-b.i;});
    rows=keyed.map(function(x){return x.r;});
    var frag=document.createDocumentFragment();for(var i=0;i<rows.length;i++)frag.appendChild(rows[i]);body.appendChild(frag);
    for(var h=0;h<heads.length;h++)heads[h].removeAttribute('aria-sort');
    heads[col].setAttribute('aria-sort',state.dir===1?'ascending':'descending');
  }
  for(var h=0;h<heads.length;h++){(function(col){heads[col].addEventListener('click',function(){sort(col);});})(h);}
  var box=document.getElementById('filter');
  if(box)box.addEventListener('input',function(){var q=box.value.toLowerCase();var shown=0;
    for(var i=0;i<rows.length;i++){var hit=q===''||rows[i].textContent.toLowerCase().indexOf(q)!==-1;rows[i].hidden=!hit;if(hit)shown++;}
    var count=document.getElementById('shown');if(count)count.textContent=String(shown);});
})();
`;

export function* renderHtml(report: Report): Iterable<string> {
  const total = connectionRowCount(report);
  const kept = Math.min(total, MAX_HTML_ROWS);
  yield `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mxready report: ${report.summary.pass} of ${report.summary.targets} ready (${escapeHtml(report.policy.name)})</title>
<style>${STYLE}</style>
<noscript><style>#rows{display:block!important}</style></noscript>
</head>
<body>
${headSection(report)}
${stuckSection(report)}
${inventorySection(report)}
<section><h2>Connections</h2>
<p class="hint">One row per destination, MX host and address. Click a header to sort (again for the other way); type to filter. <span id="shown">${kept}</span> of ${kept} rows shown.</p>
<input id="filter" type="search" placeholder="filter rows (any text)" aria-label="filter rows">
`;
  if (total > MAX_HTML_ROWS) {
    yield `<p class="note">${total - MAX_HTML_ROWS} of ${total} connection rows are left out (the table holds ${MAX_HTML_ROWS}). Every row is in the JSON report (<code>--format json</code>) or the NDJSON stream (<code>--format ndjson</code>).</p>\n`;
  }
  // Laid out once, when the script shows it (or at once without scripts: see the <noscript> style): a table laid out as each row arrives costs a browser quadratic time.
  yield `<div id="rows" style="display:none"><table class="data" id="connections"><colgroup>${COLUMN_WIDTHS.map((w) => `<col style="width:${w}%">`).join('')}</colgroup><thead><tr>${COLUMNS.map(([name, type]) => `<th data-type="${type}" scope="col">${name}</th>`).join('')}</tr></thead><tbody>\n`;
  let n = 0;
  let piece: string[] = [];
  for (const [target, mx, address] of connections(report)) {
    if (n >= MAX_HTML_ROWS) break;
    n += 1;
    piece.push(connectionRow(target, mx, address));
    if (piece.length === 500) {
      yield `${piece.join('\n')}\n`;
      piece = [];
    }
  }
  if (piece.length > 0) yield `${piece.join('\n')}\n`;
  yield `</tbody></table></div></section>
<footer><p>Made by ${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}; this file fetches nothing and needs no network.</p></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

export const HTML_FORMAT = {
  name: 'html',
  description: 'one self-contained HTML file: the verdict, the stuck destinations, the inventory as charts, every connection in a sortable table',
  render: (report: Report) => renderHtml(report),
} as const satisfies Format;
