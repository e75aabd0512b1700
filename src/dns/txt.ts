/**
 * TXT lookups for the policy records of MTA-STS (`_mta-sts.DOMAIN`) and TLS-RPT
 * (`_smtp._tls.DOMAIN`): CNAMEs followed, each record's strings joined with
 * nothing between them (RFC 8461 §3.1, RFC 8460 §3), control and format
 * characters escaped. A CNAME target that is no host name ends the lookup with
 * `invalid-name`, as for an MX host. Never throws.
 */
import type { ErrorInfo } from '../model/report.js';
import { sanitizeText } from '../model/sanitize.js';
import { nameProblem } from './client.js';
import { walkAnswer } from './resolver.js';
import type { DnsClient } from './types.js';

/** CNAME hops followed across queries when a resolver answers with the alias alone. */
const MAX_HOPS = 8;

export type TxtResult =
  | { readonly ok: true; readonly records: readonly string[]; readonly authenticated: boolean }
  /** nxdomain: the name does not exist (no records); otherwise the lookup failed. */
  | { readonly ok: false; readonly error: ErrorInfo; readonly nxdomain: boolean };

/**
 * One TXT record's strings (dns-packet gives a list of Buffers, or one), joined
 * as bytes (a character may span two strings), then made inert: DNS text enters
 * the model escaped (model/sanitize.ts), so a bidi control in a record or in a
 * message that quotes it is `\u202E` in every output.
 */
function joined(data: unknown): string | null {
  const parts = Array.isArray(data) ? data : [data];
  if (!parts.every((p) => Buffer.isBuffer(p) || typeof p === 'string')) return null;
  return sanitizeText(Buffer.concat(parts.map((p: Buffer | string) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8')))));
}

/** The TXT records at `name`, following CNAMEs; NXDOMAIN and NODATA are an empty list with nxdomain set for the former. */
export async function lookupTxt(dns: DnsClient, name: string): Promise<TxtResult> {
  let current = name.toLowerCase().replace(/\.$/, '');
  let authenticated = true;
  const visited = new Set<string>();
  for (let hop = 0; hop <= MAX_HOPS; hop += 1) {
    visited.add(current);
    const result = await dns.query(current, 'TXT');
    if (!result.ok) return { ok: false, error: result.error, nxdomain: result.error.code === 'nxdomain' };
    authenticated &&= result.authenticated;
    const walk = walkAnswer(result.answers, current, 'TXT');
    // A CNAME target that is no host name (a dot inside a label, another byte): its records are not used, nor is it asked for.
    for (const alias of walk.aliases) {
      const problem = nameProblem(alias);
      if (problem !== undefined) return { ok: false, error: { code: 'invalid-name', message: `cannot look up "${alias}": ${problem}` }, nxdomain: false };
    }
    if (walk.records.length > 0) {
      const records = walk.records.map((r) => joined(r.data)).filter((r): r is string => r !== null);
      return { ok: true, records, authenticated };
    }
    const next = walk.aliases.at(-1);
    if (next === undefined) return { ok: true, records: [], authenticated };
    if (visited.has(next)) return { ok: false, error: { code: 'cname-loop', message: `${name}: the CNAME chain loops at ${next}` }, nxdomain: false };
    current = next;
  }
  return { ok: false, error: { code: 'cname-loop', message: `${name}: more than ${MAX_HOPS} CNAME hops` }, nxdomain: false };
}
