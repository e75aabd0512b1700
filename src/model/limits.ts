/**
 * How much server and DNS text the report keeps. Text from a server or from DNS
 * enters the model escaped once (src/model/sanitize.ts, DNS names in RFC 4343
 * presentation form) and capped here, so that a server shared by a thousand
 * domains cannot multiply itself into the report: one name or message is at
 * most 1 KiB, a certificate lists at most 100 alternative names, a stored reply
 * at most 32 lines (a banner 4 KiB in all), and all the text of one probe record
 * together at most 16 KiB, the longest lists cut first. A cut field keeps its
 * type; the record's `truncated` maps the field's path to its original length
 * (characters for a text, items for a list). The facts a check keeps outside
 * a probe record (a TLSA set, MTA-STS's and TLS-RPT's) follow the same rules
 * with a budget of their own (capFacts).
 */
import type { CheckResult } from './check.js';
import { sanitizeText } from './sanitize.js';
import type { CertificateFacts, ChainCertificate, ProbeError, ProbeResult } from './probe.js';

export const LIMITS = {
  /** A name or a message, in characters. */
  text: 1024,
  /** Subject alternative names kept per certificate. */
  subjectAltNames: 100,
  /** Lines kept of a stored reply (banner, extensions, extensionsAfterTls, error.reply). */
  replyLines: 32,
  /** A banner, in characters. */
  banner: 4096,
  /** All the server and DNS text of one probe record, in characters. */
  record: 16384,
  /** All the DNS and server text of one check's facts outside a probe record (an MX host's TLSA set, a domain's MTA-STS or TLS-RPT facts), in characters. */
  facts: 2048,
  /** TLSA records kept per MX host (the usable ones first when some are cut). */
  tlsaRecords: 16,
  /** A TLSA record's association data, in hex characters (a SHA-512 digest whole; a longer one keeps its SHA-256 as `dataSha256`). */
  tlsaData: 256,
} as const;

/** What was cut: field path → original length. */
export type Truncated = Record<string, number>;

const ELLIPSIS = '…';

/** `text` cut to `max` characters (the last one an ellipsis), noting the original length under `path`. */
export function capText(text: string, max: number, path: string, cuts: Truncated): string {
  if (text.length <= max) return text;
  cuts[path] ??= text.length;
  return cutBefore(text, Math.max(0, max - ELLIPSIS.length));
}

/**
 * `text` cut to `max` bytes of UTF-8 (the last three the ellipsis), noting the
 * original length in bytes under `path`: for limits that count what goes on
 * the wire or into a file, such as a --trace entry.
 */
export function capBytes(text: string, max: number, path: string, cuts: Truncated): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= max) return text;
  cuts[path] ??= bytes;
  const budget = Math.max(0, max - Buffer.byteLength(ELLIPSIS, 'utf8'));
  let end = 0;
  let used = 0;
  // Whole code points while they fit (a bounded walk: at most `budget` steps).
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (used + size > budget) break;
    used += size;
    end += ch.length;
  }
  return cutBefore(text, end);
}

/** `text` up to `end` characters and an ellipsis, never splitting a surrogate pair nor an escape such as \x1B or \u202E in half. */
function cutBefore(text: string, end: number): string {
  let at = end;
  if (at > 0 && /[\ud800-\udbff]/.test(text.charAt(at - 1))) at -= 1;
  const cut = text.slice(0, at);
  const escape = /\\(?:x[0-9A-Fa-f]{0,1}|u[0-9A-Fa-f]{0,3}|u\{[0-9A-Fa-f]{0,5}|[0-9]{0,2})?$/.exec(cut);
  return `${escape ? cut.slice(0, escape.index) : cut}${ELLIPSIS}`;
}

/** How many characters a quoted value shows, its quotes aside. */
export const QUOTED_CHARS = 80;

/**
 * A value someone typed or a file held (a target, a flag's value, a path), as
 * a message quotes it: inert (escaped as server text is), at most 80
 * characters with an escape never cut in half, in double quotes.
 */
export function quoted(value: string): string {
  return `"${capText(sanitizeText(value), QUOTED_CHARS, 'value', {})}"`;
}

/** At most `max` items, each text at most LIMITS.text. */
function capLines(lines: readonly string[], max: number, path: string, cuts: Truncated): string[] {
  if (lines.length > max) cuts[path] ??= lines.length;
  // The path is spelled only for a line that is cut (most are short).
  return lines.slice(0, max).map((line, i) => (line.length <= LIMITS.text ? line : capText(line, LIMITS.text, `${path}[${i}]`, cuts)));
}

/** A banner: at most LIMITS.replyLines lines and LIMITS.banner characters; `truncated.banner` is its original length. */
function capBanner(banner: string, cuts: Truncated): string {
  const lines = banner.split('\n');
  if (lines.length > LIMITS.replyLines) cuts['banner'] ??= banner.length;
  return capText(lines.slice(0, LIMITS.replyLines).join('\n'), LIMITS.banner, 'banner', cuts);
}

function capError(error: ProbeError, path: string, cuts: Truncated): ProbeError {
  return {
    ...error,
    message: capText(error.message, LIMITS.text, `${path}.message`, cuts),
    ...(error.reply ? { reply: { ...error.reply, lines: capLines(error.reply.lines, LIMITS.replyLines, `${path}.reply.lines`, cuts) } } : {}),
  };
}

function capChainCertificate(c: ChainCertificate, path: string, cuts: Truncated): ChainCertificate {
  return {
    ...c,
    subject: capText(c.subject, LIMITS.text, `${path}.subject`, cuts),
    issuer: capText(c.issuer, LIMITS.text, `${path}.issuer`, cuts),
    keyType: capText(c.keyType, LIMITS.text, `${path}.keyType`, cuts),
    signatureAlgorithm: capText(c.signatureAlgorithm, LIMITS.text, `${path}.signatureAlgorithm`, cuts),
  };
}

function capCertificate(cert: CertificateFacts, cuts: Truncated): CertificateFacts {
  return {
    ...cert,
    ...capChainCertificate(cert, 'certificate', cuts),
    subjectAltNames: capLines(cert.subjectAltNames, LIMITS.subjectAltNames, 'certificate.subjectAltNames', cuts),
    commonNames: capLines(cert.commonNames, LIMITS.subjectAltNames, 'certificate.commonNames', cuts),
    validationError: cert.validationError === null ? null : capText(cert.validationError, LIMITS.text, 'certificate.validationError', cuts),
    chain: cert.chain.map((c, i) => capChainCertificate(c, `certificate.chain[${i}]`, cuts)),
  };
}

/** The lists of a record that may be cut to meet the record's budget, longest (in text) first. */
type ListField = 'extensions' | 'extensionsAfterTls' | 'certificate.subjectAltNames' | 'certificate.commonNames' | 'certificate.chain' | 'error.reply.lines';

function listsOf(p: ProbeResult): Record<ListField, readonly unknown[]> {
  return {
    extensions: p.extensions,
    extensionsAfterTls: p.extensionsAfterTls ?? [],
    'certificate.subjectAltNames': p.certificate?.subjectAltNames ?? [],
    'certificate.commonNames': p.certificate?.commonNames ?? [],
    'certificate.chain': p.certificate?.chain ?? [],
    'error.reply.lines': p.error?.reply?.lines ?? [],
  };
}

function withList(p: ProbeResult, field: ListField, keep: number): ProbeResult {
  const cut = <T>(list: readonly T[] | undefined): T[] => (list ?? []).slice(0, keep);
  switch (field) {
    case 'extensions':
      return { ...p, extensions: cut(p.extensions) };
    case 'extensionsAfterTls':
      return { ...p, extensionsAfterTls: cut(p.extensionsAfterTls) };
    case 'error.reply.lines':
      return p.error?.reply ? { ...p, error: { ...p.error, reply: { ...p.error.reply, lines: cut(p.error.reply.lines) } } } : p;
    default: {
      if (!p.certificate) return p;
      const key = field.slice('certificate.'.length) as 'subjectAltNames' | 'commonNames' | 'chain';
      return { ...p, certificate: { ...p.certificate, [key]: cut(p.certificate[key] as readonly unknown[]) } as CertificateFacts };
    }
  }
}

/** Every string in `value` at most `max` characters, each cut noted under its path. */
function capStrings(value: unknown, max: number, path: string, cuts: Truncated): unknown {
  if (typeof value === 'string') return capText(value, max, path, cuts);
  if (Array.isArray(value)) return value.map((item, i) => capStrings(item, max, `${path}[${i}]`, cuts));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, capStrings(v, max, path === '' ? k : `${path}.${k}`, cuts)]));
  }
  return value;
}

/** Characters of server and DNS text in a value: every string in it. */
export function textSize(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, item) => n + textSize(item), 0);
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce((n: number, item) => n + textSize(item), 0);
  return 0;
}

/** The server text of a record (its timings, statuses and numbers aside, which are small and fixed; the --trace transcript has limits of its own). */
export function recordText(p: ProbeResult): number {
  const { timings: _timings, truncated: _truncated, transcript: _transcript, enumeration, ...text } = p;
  return textSize(text) + (enumeration ? textSize(enumeration.error) + textSize(enumeration.broken) : 0);
}

/**
 * A probe record within every limit, with `truncated` saying what was cut. Facts
 * computed from full values are kept as they are. `budget` is the record's text
 * in all (LIMITS.record; less where a target holds several records: targetRecords).
 */
export function capProbe(probe: ProbeResult, budget: number = LIMITS.record): ProbeResult {
  const cuts: Truncated = { ...probe.truncated };
  let p: ProbeResult = {
    ...probe,
    banner: probe.banner === null ? null : capBanner(probe.banner, cuts),
    extensions: capLines(probe.extensions, LIMITS.replyLines, 'extensions', cuts),
    ...(probe.extensionsAfterTls ? { extensionsAfterTls: capLines(probe.extensionsAfterTls, LIMITS.replyLines, 'extensionsAfterTls', cuts) } : {}),
    ...(probe.sni ? { sni: capText(probe.sni, LIMITS.text, 'sni', cuts) } : {}),
    ...(probe.certificate ? { certificate: capCertificate(probe.certificate, cuts) } : {}),
    ...(probe.error ? { error: capError(probe.error, 'error', cuts) } : {}),
    ...(probe.enumeration?.error ? { enumeration: { ...probe.enumeration, error: capError(probe.enumeration.error, 'enumeration.error', cuts) } } : {}),
  };
  // The record's budget: halve the list with the most text until it fits or every list is down to one item.
  for (let guard = 0; recordText(p) > budget && guard < 64; guard += 1) {
    const lists = Object.entries(listsOf(p)).filter(([, list]) => list.length > 1) as [ListField, readonly unknown[]][];
    if (lists.length === 0) break;
    const [field, list] = lists.reduce((a, b) => (textSize(b[1]) > textSize(a[1]) ? b : a));
    cuts[field] ??= list.length;
    p = withList(p, field, Math.floor(list.length / 2));
  }
  if (recordText(p) > budget) {
    // Still over (one huge text per field): the banner, then every other text, down to a quarter of the text limit.
    if (p.banner !== null) p = { ...p, banner: capText(p.banner, LIMITS.text / 4, 'banner', cuts) };
    if (recordText(p) > budget) {
      const { timings, truncated: _earlier, transcript, ...text } = p;
      p = { ...(capStrings(text, LIMITS.text / 4, '', cuts) as typeof text), timings, ...(transcript ? { transcript } : {}) } as ProbeResult;
    }
  }
  return Object.keys(cuts).length > 0 ? { ...p, truncated: cuts } : p;
}

/**
 * The probe records of one target within LIMITS.record together: a target whose
 * MX hosts lead to several addresses (an A and an AAAA of one server, several
 * MX names on one address) holds a copy of each record, so k records get
 * LIMITS.record / k each (at least LIMITS.text), and a report grows by about the
 * same per target however its records are laid out.
 */
export function targetRecordBudget(records: number): number {
  return records <= 1 ? LIMITS.record : Math.max(LIMITS.text / 2, Math.floor(LIMITS.record / (2 * records)));
}

/** Any other check's result: every text in its facts at most LIMITS.text. */
export function capCheckResult(result: CheckResult): CheckResult {
  const cuts: Truncated = {};
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return capText(value, LIMITS.text, path, cuts);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, `${path}[${i}]`));
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, path === '' ? k : `${path}.${k}`)]));
    return value;
  };
  const capped = {
    ...result,
    ...(result.facts !== undefined ? { facts: walk(result.facts, 'facts') } : {}),
    ...(result.error ? { error: { ...result.error, message: capText(result.error.message, LIMITS.text, 'error.message', cuts) } } : {}),
    ...(result.reason !== undefined ? { reason: capText(result.reason, LIMITS.text, 'reason', cuts) } : {}),
  };
  return Object.keys(cuts).length > 0 ? { ...capped, truncated: cuts } : capped;
}

/** Where a dotted path ("policy.mx") leads in a plain object. */
function valueAt(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** A copy of `value` with the dotted path set to `next`. */
function withValueAt<T>(value: T, path: string, next: unknown): T {
  const [key, ...rest] = path.split('.');
  if (key === undefined || typeof value !== 'object' || value === null) return value;
  const inner = (value as Record<string, unknown>)[key];
  return { ...value, [key]: rest.length === 0 ? next : withValueAt(inner, rest.join('.'), next) };
}

/**
 * A check's facts from DNS or a server (an MX host's TLSA set, a domain's
 * MTA-STS or TLS-RPT facts), escaped and within the limits, as a probe record
 * is: every text escaped (src/model/sanitize.ts) and at most `textMax(path)`
 * characters (LIMITS.text unless said otherwise); each list named in `lists`
 * (dotted path → items kept) at most that long; and all the text together at
 * most LIMITS.facts, the list with the most text halved first. What was cut is
 * in the facts' own `truncated` (path → original length), as on a probe record.
 */
export function capFacts<T extends object>(facts: T, lists: Readonly<Record<string, number>>, textMax: (path: string) => number = () => LIMITS.text): T & { readonly truncated?: Truncated } {
  const { truncated: earlier, ...rest } = facts as T & { truncated?: Truncated };
  const cuts: Truncated = { ...earlier };
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') return capText(sanitizeText(value), textMax(path), path, cuts);
    if (Array.isArray(value)) {
      const max = lists[path];
      if (max !== undefined && value.length > max) cuts[path] ??= value.length;
      return (max === undefined ? value : value.slice(0, max)).map((item, i) => walk(item, `${path}[${i}]`));
    }
    if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, path === '' ? k : `${path}.${k}`)]));
    return value;
  };
  let out = walk(rest, '') as T;
  // The facts' budget: halve the list with the most text until it fits or every list is down to one item.
  for (let guard = 0; textSize(out) > LIMITS.facts && guard < 64; guard += 1) {
    const cuttable = Object.keys(lists)
      .map((path) => [path, valueAt(out, path)] as const)
      .filter((entry): entry is readonly [string, unknown[]] => Array.isArray(entry[1]) && entry[1].length > 1);
    if (cuttable.length === 0) break;
    const [path, list] = cuttable.reduce((a, b) => (textSize(b[1]) > textSize(a[1]) ? b : a));
    cuts[path] ??= list.length;
    out = withValueAt(out, path, list.slice(0, Math.floor(list.length / 2)));
  }
  // Cuts inside items the budget then dropped say nothing about what the report keeps.
  for (const key of Object.keys(cuts)) {
    const item = /^(.*?)\[(\d+)\]/.exec(key);
    const list = item?.[1] !== undefined && item[1] in lists ? valueAt(out, item[1]) : undefined;
    if (Array.isArray(list) && Number(item?.[2]) >= list.length) delete cuts[key];
  }
  return Object.keys(cuts).length > 0 ? { ...out, truncated: cuts } : out;
}
