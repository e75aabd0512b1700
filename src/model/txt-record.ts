/**
 * The tag-value TXT records of MTA-STS (RFC 8461 §3.1) and TLS-RPT (RFC 8460
 * §3): `v=VERSION` first, then `key=value` fields, each delimiter a ";" with
 * optional spaces or tabs around it, one trailing delimiter allowed. Pure.
 */

export interface TxtField {
  readonly key: string;
  readonly value: string;
}

/** Spaces and tabs (WSP, RFC 5234) at either end. */
function trimWsp(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

/**
 * The fields of a record whose first field is exactly `v=VERSION`, or why it is
 * malformed: a field that is not `key=value`, an empty field between two
 * delimiters, or another version.
 */
export function txtFields(record: string, version: string): { readonly ok: true; readonly fields: readonly TxtField[] } | { readonly ok: false; readonly reason: string } {
  const parts = record.split(';').map(trimWsp);
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts[0] !== `v=${version}`) return { ok: false, reason: `it does not start with "v=${version}"` };
  const fields: TxtField[] = [];
  for (const part of parts.slice(1)) {
    if (part === '') return { ok: false, reason: 'an empty field between two ";"' };
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `"${part}" is not key=value` };
    fields.push({ key: part.slice(0, eq), value: part.slice(eq + 1) });
  }
  return { ok: true, fields };
}

/** Whether a TXT record is of this kind: it starts with `v=VERSION` (others are discarded). */
export function isVersionRecord(record: string, version: string): boolean {
  return record.startsWith(`v=${version}`);
}
