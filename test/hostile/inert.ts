/**
 * Checks that hostile text stayed inert: in raw output bytes, nothing but valid
 * UTF-8 with no C0 control except TAB, LF and CR, no DEL, no C1 control
 * (U+0080–U+009F), no format character (category Cf: bidirectional controls,
 * zero-width characters, …) and no U+2028/U+2029; in the strings of a parsed
 * JSON report, additionally no CR (a consumer printing a field raw, `jq -r`,
 * must not be steered either) and no lone surrogate.
 */

const MAX_REPORTED = 8;
/** Unicode format characters (Cf) and the line/paragraph separators. */
const FORMAT = /^[\p{Cf}\u2028\u2029]$/u;

function describe(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

function context(text: string, index: number): string {
  return JSON.stringify(text.slice(Math.max(0, index - 30), index + 30));
}

/** Where the first byte sequence that is not well-formed UTF-8 starts, or -1. */
export function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    let length: number;
    let min = 0x80;
    let max = 0xbf;
    if (lead < 0x80) length = 1;
    else if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead === 0xe0) [length, min] = [3, 0xa0];
    else if (lead === 0xed) [length, max] = [3, 0x9f];
    else if (lead >= 0xe1 && lead <= 0xef) length = 3;
    else if (lead === 0xf0) [length, min] = [4, 0x90];
    else if (lead >= 0xf1 && lead <= 0xf3) length = 4;
    else if (lead === 0xf4) [length, max] = [4, 0x8f];
    else return i;
    if (i + length > bytes.length) return i;
    for (let k = 1; k < length; k++) {
      const b = bytes[i + k] ?? 0;
      const [lo, hi] = k === 1 ? [min, max] : [0x80, 0xbf];
      if (b < lo || b > hi) return i;
    }
    i += length;
  }
  return -1;
}

/** Problems in raw output bytes (stdout, stderr, a written file). Empty when inert. */
export function rawOutputViolations(bytes: Buffer): string[] {
  const invalid = firstInvalidUtf8(bytes);
  if (invalid >= 0) {
    const around = bytes.subarray(Math.max(0, invalid - 24), invalid + 24).toString('latin1');
    return [`byte 0x${(bytes[invalid] ?? 0).toString(16)} at offset ${invalid} is not UTF-8: ${JSON.stringify(around)}`];
  }
  return textViolations(bytes.toString('utf8'), new Set([0x09, 0x0a, 0x0d]));
}

/** Problems in one decoded string; `allowed` are the C0 controls let through. */
export function textViolations(text: string, allowed: ReadonlySet<number>): string[] {
  const problems: string[] = [];
  for (let i = 0; i < text.length && problems.length < MAX_REPORTED; i++) {
    const cp = text.codePointAt(i) ?? 0;
    const c0 = cp < 0x20 && !allowed.has(cp);
    const surrogate = cp >= 0xd800 && cp <= 0xdfff;
    const format = FORMAT.test(String.fromCodePoint(cp));
    if (c0 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f) || surrogate || format) problems.push(`${describe(cp)} at ${i}: ${context(text, i)}`);
    if (cp > 0xffff) i++;
  }
  return problems;
}

/** Problems in every string (keys too) of a parsed JSON value, with its path. */
export function jsonStringViolations(value: unknown, path = '$'): string[] {
  const allowed = new Set([0x09, 0x0a]);
  if (typeof value === 'string') return textViolations(value, allowed).map((p) => `${path}: ${p}`);
  if (Array.isArray(value)) return value.flatMap((item, i) => jsonStringViolations(item, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => [
      ...textViolations(key, allowed).map((p) => `${path} key: ${p}`),
      ...jsonStringViolations(item, `${path}.${key}`),
    ]);
  }
  return [];
}
