/**
 * TLS-RPT, pure (RFC 8460 §3): which `_smtp._tls` TXT record a sender uses and
 * where it sends reports.
 */
import { isVersionRecord, txtFields } from '../../../model/txt-record.js';

export type RptTxt =
  /** No record starting with v=TLSRPTv1. */
  | { readonly kind: 'none' }
  /** Two or more: senders use none (tls-rpt.invalid). */
  | { readonly kind: 'duplicate'; readonly records: readonly string[] }
  /** One, malformed. */
  | { readonly kind: 'invalid'; readonly record: string; readonly reason: string }
  | { readonly kind: 'valid'; readonly record: string; readonly rua: readonly string[] };

/** A reporting URI: mailto: with an address, or https: with a host (RFC 8460 §3: tlsrpt-uri). */
function validUri(uri: string): boolean {
  if (/^mailto:[^\s@,;!]+@[^\s@,;!]+$/i.test(uri)) return true;
  if (!/^https:\/\//i.test(uri)) return false;
  try {
    return new URL(uri).hostname !== '';
  } catch {
    return false;
  }
}

/** The `_smtp._tls` TXT records (each one's strings joined) as a sender reads them. */
export function rptTxt(records: readonly string[]): RptTxt {
  const rpt = records.filter((r) => isVersionRecord(r, 'TLSRPTv1'));
  if (rpt.length === 0) return { kind: 'none' };
  if (rpt.length > 1) return { kind: 'duplicate', records: rpt };
  const record = rpt[0] as string;
  const parsed = txtFields(record, 'TLSRPTv1');
  if (!parsed.ok) return { kind: 'invalid', record, reason: parsed.reason };
  const ruas = parsed.fields.filter((f) => f.key === 'rua');
  if (ruas.length !== 1) return { kind: 'invalid', record, reason: ruas.length === 0 ? 'it has no "rua" field' : 'it has more than one "rua" field' };
  // "," with optional spaces between URIs; a "!" or "," inside a URI is written %21 / %2C.
  const rua = (ruas[0]?.value ?? '').split(',').map((u) => u.replace(/^[ \t]+|[ \t]+$/g, ''));
  const bad = rua.find((u) => !validUri(u));
  if (bad !== undefined) return { kind: 'invalid', record, reason: `"${bad}" is not a mailto: or https: URI` };
  return { kind: 'valid', record, rua };
}
