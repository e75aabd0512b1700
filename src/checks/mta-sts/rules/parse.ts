/**
 * MTA-STS, pure (RFC 8461): which `_mta-sts` TXT record a sender uses (§3.1),
 * the policy file's grammar (§3.2), and which policy pattern an MX host name
 * matches (§4.1).
 */
import type { MtaStsMode, MtaStsPolicy } from '../../../model/mta-sts.js';
import { sanitizeText } from '../../../model/sanitize.js';
import { isVersionRecord, txtFields } from '../../../model/txt-record.js';

/** The longest max_age a policy may give (RFC 8461 §3.2: about one year). */
export const MAX_AGE_LIMIT = 31_557_600;

export type StsTxt =
  /** No record starting with v=STSv1: no policy. */
  | { readonly kind: 'none' }
  /** More than one, or the one is malformed: no policy for senders (mta-sts.txt-invalid). */
  | { readonly kind: 'invalid'; readonly records: readonly string[]; readonly reason: string }
  | { readonly kind: 'valid'; readonly record: string; readonly id: string };

/** The `_mta-sts` TXT records (each one's strings joined) as a sender reads them. */
export function stsTxt(records: readonly string[]): StsTxt {
  const sts = records.filter((r) => isVersionRecord(r, 'STSv1'));
  if (sts.length === 0) return { kind: 'none' };
  if (sts.length > 1) return { kind: 'invalid', records: sts, reason: `${sts.length} records start with "v=STSv1"; a sender uses exactly one` };
  const record = sts[0] as string;
  const parsed = txtFields(record, 'STSv1');
  if (!parsed.ok) return { kind: 'invalid', records: sts, reason: parsed.reason };
  const ids = parsed.fields.filter((f) => f.key === 'id');
  if (ids.length === 0) return { kind: 'invalid', records: sts, reason: 'it has no "id" field' };
  if (ids.length > 1) return { kind: 'invalid', records: sts, reason: 'it has more than one "id" field' };
  const id = ids[0]?.value ?? '';
  if (!/^[A-Za-z0-9]{1,32}$/.test(id)) return { kind: 'invalid', records: sts, reason: `its id "${id}" is not 1 to 32 letters and digits` };
  return { kind: 'valid', record, id };
}

export type ParsedPolicy = { readonly ok: true; readonly policy: MtaStsPolicy } | { readonly ok: false; readonly reason: string };

const MODES: readonly MtaStsMode[] = ['enforce', 'testing', 'none'];
const SINGLE_KEYS: ReadonlySet<string> = new Set(['version', 'mode', 'max_age']);

/** An `mx` pattern: a name, or `*.` and one (RFC 8461 §3.2: ["*."] Domain); no space, no other "*". */
function validPattern(pattern: string): boolean {
  const name = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
  return name.length > 0 && name.length <= 253 && !/[\s*]/.test(name) && !name.startsWith('.') && !name.includes('..');
}

/**
 * A policy file (RFC 8461 §3.2): lines ending in CRLF or LF, each `key: value`
 * (whitespace after the colon and at the end ignored); `version: STSv1`; `mode`
 * enforce, testing or none; `max_age` 0 to 31557600; `mx` repeatable, at least
 * one unless the mode is none. Unknown keys are ignored; version, mode or
 * max_age twice makes the policy invalid, as does a line that is not `key: value`.
 * Each line is escaped (control and format characters) before it is read.
 */
export function parsePolicy(body: string): ParsedPolicy {
  const seen = new Map<string, string>();
  const mx: string[] = [];
  // Server text enters the model escaped (model/sanitize.ts): a pattern or a reason quoting a value shows \u202E, never the character.
  const lines = body.split(/\r?\n/).map((line) => sanitizeText(line.replace(/[ \t\r]+$/, '')));
  for (const [index, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const colon = raw.indexOf(':');
    if (colon <= 0) return { ok: false, reason: `line ${index + 1} is not "key: value"` };
    const key = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).trim();
    if (SINGLE_KEYS.has(key)) {
      if (seen.has(key)) return { ok: false, reason: `"${key}" appears twice` };
      seen.set(key, value);
    } else if (key === 'mx') {
      const pattern = value.toLowerCase().replace(/\.$/, '');
      if (!validPattern(pattern)) return { ok: false, reason: `line ${index + 1}: "${value}" is not a host name or *.name` };
      mx.push(pattern);
    }
  }
  const version = seen.get('version');
  if (version !== 'STSv1') return { ok: false, reason: version === undefined ? 'no "version: STSv1"' : `version "${version}" is not STSv1` };
  const mode = seen.get('mode');
  if (mode === undefined) return { ok: false, reason: 'no "mode"' };
  if (!(MODES as readonly string[]).includes(mode)) return { ok: false, reason: `mode "${mode}" is not enforce, testing or none` };
  const maxAge = seen.get('max_age');
  if (maxAge === undefined) return { ok: false, reason: 'no "max_age"' };
  if (!/^[0-9]{1,10}$/.test(maxAge) || Number(maxAge) > MAX_AGE_LIMIT) return { ok: false, reason: `max_age "${maxAge}" is not a whole number from 0 to ${MAX_AGE_LIMIT}` };
  if (mx.length === 0 && mode !== 'none') return { ok: false, reason: `mode ${mode} with no "mx" line` };
  return { ok: true, policy: { mode: mode as MtaStsMode, mx, maxAge: Number(maxAge) } };
}

/** A name compared as RFC 8461 §4.1 compares: case-insensitive, without a trailing dot. */
function comparable(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether an MX host name matches a policy pattern (RFC 8461 §4.1): exactly, or
 * `*.SUFFIX` for a name with exactly one more label on the left.
 */
export function mxMatches(pattern: string, host: string): boolean {
  const p = comparable(pattern);
  const h = comparable(host);
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1); // ".SUFFIX"
  if (!h.endsWith(suffix)) return false;
  const label = h.slice(0, h.length - suffix.length);
  return label.length > 0 && !label.includes('.');
}

/** The first pattern of a policy that an MX host name matches, or null. */
export function matchingPattern(patterns: readonly string[], host: string): string | null {
  return patterns.find((p) => mxMatches(p, host)) ?? null;
}
