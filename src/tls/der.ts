/**
 * A small, strict DER reader. It reads tag-length-value elements from a buffer,
 * never past its end, rejects every encoding DER forbids (indefinite length,
 * non-minimal lengths or tag numbers), limits nesting depth, and throws only
 * DerError. It decodes just what certificate summaries need: object
 * identifiers, times, bit strings, booleans and unsigned integers' sizes.
 */

/** Malformed DER. `offset` is the position in the buffer being read (best effort). */
export class DerError extends Error {
  override readonly name = 'DerError' as const;
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`);
    this.offset = offset;
  }
}

/** ASN.1 tag classes, the top two bits of the identifier octet. */
export type TagClass = 'universal' | 'application' | 'context' | 'private';

/** Universal tag numbers used by X.509. */
export const Tag = {
  BOOLEAN: 1,
  INTEGER: 2,
  BIT_STRING: 3,
  OCTET_STRING: 4,
  NULL: 5,
  OBJECT_IDENTIFIER: 6,
  UTF8_STRING: 12,
  SEQUENCE: 16,
  SET: 17,
  NUMERIC_STRING: 18,
  PRINTABLE_STRING: 19,
  TELETEX_STRING: 20,
  IA5_STRING: 22,
  UTC_TIME: 23,
  GENERALIZED_TIME: 24,
  VISIBLE_STRING: 26,
  UNIVERSAL_STRING: 28,
  BMP_STRING: 30,
} as const;

/** One decoded element. Buffers are views into the input, not copies. */
export interface DerElement {
  readonly tagClass: TagClass;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** The whole encoding: identifier, length and contents. */
  readonly raw: Buffer;
  /** The contents octets. */
  readonly value: Buffer;
  /** Offset of the identifier octet in the input (the outermost reader's buffer). */
  readonly offset: number;
}

/** Deepest nesting `DerReader.children` allows by default. */
export const DEFAULT_MAX_DEPTH = 32;
/** Longest length field accepted: 4 octets, i.e. contents below 4 GiB. */
const MAX_LENGTH_OCTETS = 4;
/** Tag numbers above this are rejected (X.509 never needs more than a few). */
const MAX_TAG_NUMBER = 0x1f_ffff;

const TAG_CLASSES: readonly TagClass[] = ['universal', 'application', 'context', 'private'];

/**
 * An element as decoded: its header's fields, and views of its encoding and
 * contents made only when asked for (most elements of a certificate are skipped
 * over, and a view is an object of its own).
 */
class Element implements DerElement {
  #raw: Buffer | undefined;
  #value: Buffer | undefined;

  constructor(
    readonly buf: Buffer,
    readonly tagClass: TagClass,
    readonly constructed: boolean,
    readonly tagNumber: number,
    readonly offset: number,
    /** Where the contents start in `buf`. */
    readonly valueStart: number,
    /** Where the element ends in `buf`. */
    readonly end: number,
  ) {}

  get raw(): Buffer {
    this.#raw ??= this.buf.subarray(this.offset, this.end);
    return this.#raw;
  }

  get value(): Buffer {
    this.#value ??= this.buf.subarray(this.valueStart, this.end);
    return this.#value;
  }
}

/**
 * Reads consecutive DER elements from a buffer. `children()` opens a reader on a
 * constructed element's contents, one level deeper; past `maxDepth` it throws.
 * Readers of one input share its buffer and keep offsets into it (a child
 * reader is a window, not a copy), so reading a certificate makes no views but
 * the ones asked for.
 */
export class DerReader {
  private readonly buf: Buffer;
  private pos: number;
  /** Where this reader's region ends in `buf`. */
  private readonly limit: number;
  /** Nesting level of this reader (0 for the outermost). */
  readonly depth: number;
  readonly maxDepth: number;

  constructor(buf: Buffer, options: { depth?: number; maxDepth?: number } = {}, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.limit = end;
    this.depth = options.depth ?? 0;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    if (this.depth > this.maxDepth) throw new DerError(`nesting deeper than ${this.maxDepth}`, start);
  }

  /** True once every octet has been read. */
  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** Reads the next element. Throws DerError at the end of input or on a malformed header. */
  read(): DerElement {
    const element = this.decodeAt(this.pos);
    this.pos = element.end;
    return element;
  }

  /** Decodes the next element without consuming it; null at the end of input. */
  peek(): DerElement | null {
    return this.done ? null : this.decodeAt(this.pos);
  }

  /** Reads the next element and checks its tag; `constructed` defaults to the universal type's form. */
  expect(tagNumber: number, tagClass: TagClass = 'universal', constructed?: boolean): DerElement {
    const offset = this.pos;
    const element = this.read();
    return this.checked(element, tagNumber, tagClass, constructed, offset);
  }

  /** `element` if it has the tag asked for, else a DerError at `offset`. */
  private checked(element: DerElement, tagNumber: number, tagClass: TagClass, constructed: boolean | undefined, offset: number): DerElement {
    const wantConstructed = constructed ?? (tagClass === 'universal' && isConstructedUniversal(tagNumber));
    if (element.tagClass !== tagClass || element.tagNumber !== tagNumber || element.constructed !== wantConstructed) {
      throw new DerError(
        `expected ${describeTag(tagClass, tagNumber, wantConstructed)}, found ${describeTag(
          element.tagClass,
          element.tagNumber,
          element.constructed,
        )}`,
        offset,
      );
    }
    return element;
  }

  /** Reads the next element if it has the given context tag ([n]), else returns null without consuming. */
  optionalContext(tagNumber: number, constructed: boolean): DerElement | null {
    if (this.done) return null;
    const offset = this.pos;
    const next = this.decodeAt(this.pos);
    if (next.tagClass !== 'context' || next.tagNumber !== tagNumber) return null;
    this.pos = next.end;
    return this.checked(next, tagNumber, 'context', constructed, offset);
  }

  /** Opens a reader on a constructed element's contents, one level deeper. */
  children(element: DerElement): DerReader {
    if (!element.constructed) throw new DerError('primitive element has no children', element.offset);
    const options = { depth: this.depth + 1, maxDepth: this.maxDepth };
    if (element instanceof Element && element.buf === this.buf) return new DerReader(this.buf, options, element.valueStart, element.end);
    return new DerReader(element.value, options);
  }

  /** Throws unless every octet has been read. */
  end(what = 'element'): void {
    if (!this.done) throw new DerError(`unexpected data after ${what}`, this.pos);
  }

  /** The octet at `i`, within this reader's region. */
  private octet(i: number): number {
    if (i >= this.limit) throw new DerError('truncated element', i);
    return this.buf[i] ?? 0;
  }

  private decodeAt(start: number): Element {
    let i = start;
    const identifier = this.octet(i++);
    const tagClass = TAG_CLASSES[identifier >> 6] ?? 'universal';
    const constructed = (identifier & 0x20) !== 0;
    let tagNumber = identifier & 0x1f;
    if (tagNumber === 0x1f) {
      tagNumber = 0;
      for (let first = true; ; first = false) {
        const b = this.octet(i++);
        if (first && b === 0x80) throw new DerError('non-minimal tag number', i - 1);
        tagNumber = tagNumber * 128 + (b & 0x7f);
        if (tagNumber > MAX_TAG_NUMBER) throw new DerError('tag number too large', i - 1);
        if ((b & 0x80) === 0) break;
      }
      if (tagNumber < 0x1f) throw new DerError('non-minimal tag number', start);
    }
    const lengthOffset = i;
    const lengthByte = this.octet(i++);
    let length: number;
    if (lengthByte < 0x80) {
      length = lengthByte;
    } else if (lengthByte === 0x80) {
      throw new DerError('indefinite length is not DER', lengthOffset);
    } else {
      const count = lengthByte & 0x7f;
      if (count > MAX_LENGTH_OCTETS) throw new DerError('length field too long', lengthOffset);
      length = 0;
      for (let k = 0; k < count; k++) length = length * 256 + this.octet(i++);
      if (this.octet(lengthOffset + 1) === 0) throw new DerError('non-minimal length (leading zero)', lengthOffset);
      if (length < 0x80) throw new DerError('non-minimal length (long form for a short length)', lengthOffset);
    }
    const valueStart = i;
    if (length > this.limit - valueStart) {
      throw new DerError(`length ${length} runs past the end of the input`, lengthOffset);
    }
    return new Element(this.buf, tagClass, constructed, tagNumber, start, valueStart, valueStart + length);
  }
}

/** Decodes exactly one element spanning the whole buffer. */
export function readSingle(buf: Buffer, maxDepth = DEFAULT_MAX_DEPTH): { element: DerElement; reader: DerReader } {
  const reader = new DerReader(buf, { maxDepth });
  const element = reader.read();
  reader.end('the outermost element');
  return { element, reader };
}

/**
 * Walks every constructed element recursively and checks the whole tree is well
 * formed; returns the number of elements. Useful to validate untrusted input
 * before interpreting it, and the place where the depth limit bites.
 */
export function validateTree(buf: Buffer, maxDepth = DEFAULT_MAX_DEPTH): number {
  const walk = (reader: DerReader): number => {
    let count = 0;
    while (!reader.done) {
      const element = reader.read();
      count += 1;
      if (element.constructed) count += walk(reader.children(element));
    }
    return count;
  };
  const { element, reader } = readSingle(buf, maxDepth);
  return 1 + (element.constructed ? walk(reader.children(element)) : 0);
}

/** Decodes an OBJECT IDENTIFIER's contents to dotted form ("1.2.840.113549.1.1.11"). */
export function decodeOid(value: Buffer): string {
  if (value.length === 0) throw new DerError('empty object identifier', 0);
  let text = '';
  let current = 0;
  let started = false;
  let first = true;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] ?? 0;
    if (!started && b === 0x80) throw new DerError('non-minimal object identifier arc', i);
    started = true;
    // Arcs past 2^46 take BigInt (rare: UUID-based OIDs under 2.25); every other one stays a Number.
    if (current >= 2 ** 46) return decodeOidBig(value);
    current = current * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (first) text = current < 40 ? `0.${current}` : current < 80 ? `1.${current - 40}` : `2.${current - 80}`;
      else text += `.${current}`;
      first = false;
      current = 0;
      started = false;
    }
  }
  if (started) throw new DerError('truncated object identifier', value.length);
  return text;
}

/** decodeOid for arcs too large for a Number to hold exactly. */
function decodeOidBig(value: Buffer): string {
  const arcs: bigint[] = [];
  let current = 0n;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] ?? 0;
    if (!started && b === 0x80) throw new DerError('non-minimal object identifier arc', i);
    started = true;
    current = (current << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(current);
      current = 0n;
      started = false;
    }
  }
  if (started) throw new DerError('truncated object identifier', value.length);
  const [first, ...rest] = arcs;
  if (first === undefined) throw new DerError('empty object identifier', 0);
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...rest].map(String).join('.');
}

/** Decodes a UTCTime or GeneralizedTime element to a Date (UTC). Only the DER forms ending in "Z". */
export function decodeTime(element: DerElement): Date {
  if (element.tagClass !== 'universal' || element.constructed) throw new DerError('not a time', element.offset);
  const text = decodeAscii(element.value, element.offset);
  if (element.tagNumber === Tag.UTC_TIME) {
    const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new DerError(`malformed UTCTime "${printable(text)}"`, element.offset);
    const yy = Number(m[1]);
    return buildDate(yy >= 50 ? 1900 + yy : 2000 + yy, m.slice(2, 7).map(Number), 0, element.offset);
  }
  if (element.tagNumber === Tag.GENERALIZED_TIME) {
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d*[1-9]))?Z$/.exec(text);
    if (!m) throw new DerError(`malformed GeneralizedTime "${printable(text)}"`, element.offset);
    const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
    return buildDate(Number(m[1]), m.slice(2, 7).map(Number), millis, element.offset);
  }
  throw new DerError('not a UTCTime or GeneralizedTime', element.offset);
}

/** A BIT STRING's contents: the unused-bit count and the data octets. */
export interface BitString {
  readonly unusedBits: number;
  readonly data: Buffer;
}

/** Decodes a BIT STRING's contents; DER requires the unused bits to be zero. */
export function decodeBitString(value: Buffer): BitString {
  const unusedBits = value[0];
  if (unusedBits === undefined) throw new DerError('empty bit string', 0);
  if (unusedBits > 7) throw new DerError('bit string with more than 7 unused bits', 0);
  const data = value.subarray(1);
  const last = data[data.length - 1];
  if (last === undefined) {
    if (unusedBits !== 0) throw new DerError('empty bit string with unused bits', 0);
  } else if ((last & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError('bit string with non-zero unused bits', value.length - 1);
  }
  return { unusedBits, data };
}

/** Decodes a BOOLEAN's contents (DER: 0x00 or 0xFF). */
export function decodeBoolean(value: Buffer): boolean {
  if (value.length !== 1) throw new DerError('boolean must be one octet', 0);
  if (value[0] === 0x00) return false;
  if (value[0] === 0xff) return true;
  throw new DerError('boolean must be 0x00 or 0xFF', 0);
}

/**
 * The bit length of a non-negative INTEGER's contents (e.g. an RSA modulus):
 * 2048 for a 2048-bit modulus. Throws on an empty, negative or non-minimal integer.
 */
export function unsignedIntegerBitLength(value: Buffer): number {
  const first = value[0];
  if (first === undefined) throw new DerError('empty integer', 0);
  if ((first & 0x80) !== 0) throw new DerError('negative integer', 0);
  const second = value[1];
  if (first === 0 && second !== undefined && (second & 0x80) === 0) throw new DerError('non-minimal integer', 0);
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const lead = value[i] ?? 0;
  const leadBits = lead === 0 ? 0 : 32 - Math.clz32(lead);
  return (value.length - i - 1) * 8 + leadBits;
}

function isConstructedUniversal(tagNumber: number): boolean {
  return tagNumber === Tag.SEQUENCE || tagNumber === Tag.SET;
}

function describeTag(tagClass: TagClass, tagNumber: number, constructed: boolean): string {
  const form = constructed ? 'constructed' : 'primitive';
  return tagClass === 'universal' ? `universal ${tagNumber} (${form})` : `[${tagClass} ${tagNumber}] (${form})`;
}

function decodeAscii(value: Buffer, offset: number): string {
  for (const b of value) if (b > 0x7e || b < 0x20) throw new DerError('non-ASCII character in time', offset);
  return value.toString('latin1');
}

function printable(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Builds a UTC date from [month, day, hour, minute, second], rejecting out-of-range fields. */
function buildDate(year: number, fields: number[], millis: number, offset: number): Date {
  const [month = 0, day = 0, hour = 0, minute = 0, second = 0] = fields;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const exact =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  if (!exact) throw new DerError('time field out of range', offset);
  return date;
}
