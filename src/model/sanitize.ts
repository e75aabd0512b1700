/**
 * Text that came from the network, made safe to store, print and render.
 *
 * Bytes are decoded as UTF-8; a byte that does not start a valid sequence is
 * shown as `\xNN`. Control characters are escaped so a hostile banner cannot
 * move the cursor, clear the screen or forge lines in a terminal or a log:
 * C0 controls except TAB and DEL become `\xNN`, C1 controls become `\u00NN`
 * (so an invalid byte 0x85 and the code point U+0085 stay distinguishable),
 * and lone UTF-16 surrogates (strings only) become `\uXXXX`. Format characters
 * (Unicode category Cf: the bidirectional controls U+202A–202E, U+2066–2069,
 * U+200E/200F, U+061C, zero-width and invisible characters, the BOM, tags) and
 * the line and paragraph separators U+2028/U+2029 become `\uXXXX` (`\u{XXXXX}`
 * above U+FFFF), so text can never reorder or hide how a line reads (the
 * "Trojan Source" class, CVE-2021-42574). Every other character, non-ASCII
 * included, is kept as is.
 */

const TAB = 0x09;
const DEL = 0x7f;

/** Decodes (when given bytes) and escapes control characters; see the module comment. */
export function sanitizeText(input: string | Buffer): string {
  if (typeof input === 'string') return needsEscaping(input) ? sanitizeString(input) : input;
  // Nearly all network text is printable ASCII, or UTF-8 with nothing to escape: decoded once, returned as is.
  if (isPrintableAscii(input)) return input.toString('latin1');
  const decoded = decodeUtf8(input);
  return decoded !== null && !needsEscaping(decoded) ? decoded : sanitizeUtf8(input);
}

/** The character-by-character forms, which sanitizeText's fast paths must equal (a property suite checks). */
export function sanitizeSlowly(input: string | Buffer): string {
  return typeof input === 'string' ? sanitizeString(input) : sanitizeUtf8(input);
}

/** TAB and 0x20-0x7E only. */
function isPrintableAscii(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] ?? 0;
    if ((b < 0x20 && b !== TAB) || b >= DEL) return false;
  }
  return true;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Well-formed UTF-8 decoded, or null. */
function decodeUtf8(bytes: Buffer): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

function hex(value: number, width: number): string {
  return value.toString(16).toUpperCase().padStart(width, '0');
}

const FORMAT = /^[\p{Cf}\u2028\u2029]$/u;

/** The printable form of one code point. */
function escapeCodePoint(cp: number): string {
  if ((cp < 0x20 && cp !== TAB) || cp === DEL) return `\\x${hex(cp, 2)}`;
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp <= 0x9f) return `\\u${hex(cp, 4)}`;
  if (cp >= 0xd800 && cp <= 0xdfff) return `\\u${hex(cp, 4)}`;
  const ch = String.fromCodePoint(cp);
  if (FORMAT.test(ch)) return cp > 0xffff ? `\\u{${hex(cp, 5)}}` : `\\u${hex(cp, 4)}`;
  return ch;
}

/** Whether a string holds a character sanitizeText would escape (C0 but TAB, DEL, C1, lone surrogates, Cf, U+2028/2029). */
export function needsEscaping(text: string): boolean {
  return NEEDS_ESCAPING.test(text);
}

const NEEDS_ESCAPING = /[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\p{Cf}\u2028\u2029]/u;

function sanitizeString(input: string): string {
  let out = '';
  // for…of walks code points; a lone surrogate comes through on its own.
  for (const ch of input) out += escapeCodePoint(ch.codePointAt(0) ?? 0);
  return out;
}

function sanitizeUtf8(bytes: Buffer): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const decoded = decodeAt(bytes, i);
    if (decoded === null) {
      out += `\\x${hex(bytes[i] ?? 0, 2)}`;
      i += 1;
    } else {
      out += escapeCodePoint(decoded.cp);
      i += decoded.length;
    }
  }
  return out;
}

/**
 * The valid range of the second byte of a sequence, by lead byte (RFC 3629 §4):
 * it excludes overlong forms, surrogates and code points above U+10FFFF.
 */
function sequenceShape(lead: number): { length: number; min: number; max: number } | null {
  if (lead >= 0xc2 && lead <= 0xdf) return { length: 2, min: 0x80, max: 0xbf };
  if (lead === 0xe0) return { length: 3, min: 0xa0, max: 0xbf };
  if (lead === 0xed) return { length: 3, min: 0x80, max: 0x9f };
  if (lead >= 0xe1 && lead <= 0xef) return { length: 3, min: 0x80, max: 0xbf };
  if (lead === 0xf0) return { length: 4, min: 0x90, max: 0xbf };
  if (lead >= 0xf1 && lead <= 0xf3) return { length: 4, min: 0x80, max: 0xbf };
  if (lead === 0xf4) return { length: 4, min: 0x80, max: 0x8f };
  return null;
}

/** One well-formed UTF-8 sequence at `at`, or null when the byte there does not start one. */
function decodeAt(bytes: Buffer, at: number): { cp: number; length: number } | null {
  const lead = bytes[at] ?? 0;
  if (lead < 0x80) return { cp: lead, length: 1 };
  const shape = sequenceShape(lead);
  if (shape === null || at + shape.length > bytes.length) return null;
  const second = bytes[at + 1] ?? 0;
  if (second < shape.min || second > shape.max) return null;
  let cp = lead & (0xff >> (shape.length + 1));
  for (let k = 1; k < shape.length; k += 1) {
    const next = bytes[at + k] ?? 0;
    if ((next & 0xc0) !== 0x80) return null;
    cp = (cp << 6) | (next & 0x3f);
  }
  return { cp, length: shape.length };
}

/** sanitizeText with line feeds kept (a saved report's own text may span lines; the network's never does). */
function sanitizeKeepingLines(text: string): string {
  return text.includes('\n') ? text.split('\n').map((line) => sanitizeText(line)).join('\n') : sanitizeText(text);
}

/** Sets an own data property, "__proto__" included (plain assignment would set the prototype instead). */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Makes every string of a freshly parsed JSON value inert, in place: values and
 * keys as sanitizeText makes network text, except that a line feed stays. A saved
 * report is as untrusted as the network (made by an older mxready, edited by hand),
 * so whatever renders it, JSON and the CI formats included, shows `\u202E`, never the
 * character. Text already escaped stays as it is. Walks with a stack of its own: no
 * recursion, however deep the value.
 */
export function sanitizeParsedJson(value: unknown): void {
  const stack: object[] = [];
  if (typeof value === 'object' && value !== null) stack.push(value);
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i += 1) {
        const item: unknown = node[i];
        if (typeof item === 'string') {
          if (needsEscaping(item)) node[i] = sanitizeKeepingLines(item);
        } else if (typeof item === 'object' && item !== null) stack.push(item);
      }
      continue;
    }
    const entries = Object.entries(node);
    const rename = entries.some(([key]) => needsEscaping(key));
    // A key to escape: every key is put back, in order, so the object keeps its order.
    if (rename) for (const [key] of entries) Reflect.deleteProperty(node, key);
    for (const [key, item] of entries) {
      const name = rename ? sanitizeKeepingLines(key) : key;
      if (typeof item === 'string') {
        if (rename || needsEscaping(item)) define(node, name, sanitizeKeepingLines(item));
      } else {
        if (rename) define(node, name, item);
        if (typeof item === 'object' && item !== null) stack.push(item);
      }
    }
  }
}
