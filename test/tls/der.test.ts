import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBitString,
  decodeBoolean,
  decodeOid,
  decodeTime,
  DerError,
  DerReader,
  readSingle,
  Tag,
  unsignedIntegerBitLength,
  validateTree,
} from '../../src/tls/der.js';
import { oid, seq, tlv } from './der-builder.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Asserts `fn` throws a DerError (and nothing else). */
function assertDerError(fn: () => unknown, label: string): void {
  assert.throws(fn, (error: unknown) => error instanceof DerError && error.name === 'DerError', label);
}

describe('DerReader', () => {
  it('given a SEQUENCE of INTEGER and OCTET STRING, when read, then each element has its tag, value and raw bytes', () => {
    const input = hex('30 07 02 01 05 04 02 ab cd');
    const { element, reader } = readSingle(input);
    assert.equal(element.tagClass, 'universal');
    assert.equal(element.tagNumber, Tag.SEQUENCE);
    assert.equal(element.constructed, true);
    const children = reader.children(element);
    const integer = children.expect(Tag.INTEGER);
    assert.deepEqual([...integer.value], [5]);
    const octets = children.expect(Tag.OCTET_STRING);
    assert.deepEqual([...octets.raw], [0x04, 0x02, 0xab, 0xcd]);
    assert.equal(children.done, true);
    children.end();
  });

  it('given a long-form length, when read, then the full value is returned', () => {
    const value = Buffer.alloc(300, 0x41);
    const input = Buffer.concat([hex('04 82 01 2c'), value]);
    const { element } = readSingle(input);
    assert.equal(element.value.length, 300);
  });

  it('given context and high tag numbers, when read, then class and number are decoded', () => {
    const reader = new DerReader(hex('a3 00 9f 81 00 00 5f 20 00'));
    const explicit = reader.read();
    assert.deepEqual([explicit.tagClass, explicit.tagNumber, explicit.constructed], ['context', 3, true]);
    const high = reader.read();
    assert.deepEqual([high.tagClass, high.tagNumber], ['context', 128]);
    const app = reader.read();
    assert.deepEqual([app.tagClass, app.tagNumber], ['application', 32]);
  });

  it('given optional context fields, when absent, then optionalContext returns null without consuming', () => {
    const reader = new DerReader(hex('02 01 01 a3 02 05 00'));
    assert.equal(reader.optionalContext(0, true), null);
    reader.expect(Tag.INTEGER);
    assert.notEqual(reader.optionalContext(3, true), null);
  });

  it('given an unexpected tag, when expect is called, then a DerError names both tags', () => {
    const reader = new DerReader(hex('04 00'));
    assert.throws(() => reader.expect(Tag.INTEGER), /expected universal 2.*found universal 4/);
  });

  describe('malformed input always throws DerError', () => {
    const rows: Array<[label: string, input: string]> = [
      ['empty input', ''],
      ['identifier only', '30'],
      ['truncated value', '04 05 01 02'],
      ['length runs past a nested end', '30 03 04 05 00'],
      ['indefinite length', '30 80 00 00'],
      ['long form for a short length', '04 81 05 01 02 03 04 05'],
      ['long form with a leading zero', '04 82 00 81 00'],
      ['length field of 5 octets', '04 85 00 00 00 00 01 00'],
      ['length field of 127 octets', '04 ff'],
      ['huge length', '04 84 ff ff ff ff 00'],
      ['truncated long-form length', '04 82 01'],
      ['high tag number without continuation end', '1f 81 81'],
      ['high tag number with leading 0x80', '1f 80 05 00'],
      ['high tag form for a low tag number', '1f 05 00'],
      ['tag number too large', '1f ff ff ff 7f 00'],
      ['trailing bytes after the outermost element', '05 00 00'],
    ];
    for (const [label, input] of rows) {
      it(`given ${label}, when read fully, then DerError`, () => {
        assertDerError(() => validateTree(hex(input)), label);
      });
    }
  });

  it('given nesting deeper than the limit, when walked, then DerError and no stack overflow', () => {
    let nested: Buffer = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 40; i++) nested = seq(nested);
    assertDerError(() => validateTree(nested), 'deep');
    assert.equal(validateTree(nested, 64), 41);
    let veryDeep: Buffer = Buffer.from([0x05, 0x00]);
    for (let i = 0; i < 5000; i++) veryDeep = tlv(0x30, veryDeep);
    assertDerError(() => validateTree(veryDeep), 'very deep');
  });

  it('given a primitive element, when children() is called, then DerError', () => {
    const reader = new DerReader(hex('04 00'));
    const element = reader.read();
    assertDerError(() => reader.children(element), 'primitive');
  });
});

describe('decodeOid', () => {
  const rows: Array<[dotted: string]> = [
    ['1.2.840.113549.1.1.11'],
    ['2.5.4.3'],
    ['0.9.2342.19200300.100.1.25'],
    ['1.3.101.112'],
    ['2.999.3'],
    ['2.25.329800735698586629295641978511506172918'],
  ];
  for (const [dotted] of rows) {
    it(`given the encoding of ${dotted}, when decoded, then the dotted form round-trips`, () => {
      assert.equal(decodeOid(oid(dotted).subarray(2)), dotted);
    });
  }

  const bad: Array<[label: string, value: string]> = [
    ['empty', ''],
    ['truncated arc', '2a 86'],
    ['non-minimal arc', '2a 80 01'],
  ];
  for (const [label, value] of bad) {
    it(`given a ${label} OID, when decoded, then DerError`, () => {
      assertDerError(() => decodeOid(hex(value)), label);
    });
  }
});

describe('decodeTime', () => {
  const ok: Array<[label: string, tag: number, text: string, iso: string]> = [
    ['UTCTime in 2049', Tag.UTC_TIME, '491231235959Z', '2049-12-31T23:59:59.000Z'],
    ['UTCTime in 1950', Tag.UTC_TIME, '500101000000Z', '1950-01-01T00:00:00.000Z'],
    ['GeneralizedTime', Tag.GENERALIZED_TIME, '20500101000000Z', '2050-01-01T00:00:00.000Z'],
    ['GeneralizedTime with fraction', Tag.GENERALIZED_TIME, '20240229120000.25Z', '2024-02-29T12:00:00.250Z'],
    ['GeneralizedTime year 0099', Tag.GENERALIZED_TIME, '00990101000000Z', '0099-01-01T00:00:00.000Z'],
  ];
  for (const [label, tag, text, iso] of ok) {
    it(`given ${label}, when decoded, then ${iso}`, () => {
      const { element } = readSingle(tlv(tag, Buffer.from(text, 'latin1')));
      assert.equal(decodeTime(element).toISOString(), iso);
    });
  }

  const bad: Array<[label: string, tag: number, text: string]> = [
    ['UTCTime without seconds', Tag.UTC_TIME, '2401010000Z'],
    ['UTCTime with offset', Tag.UTC_TIME, '240101000000+0100'],
    ['UTCTime month 13', Tag.UTC_TIME, '241301000000Z'],
    ['UTCTime February 30', Tag.UTC_TIME, '240230000000Z'],
    ['UTCTime hour 24', Tag.UTC_TIME, '240101240000Z'],
    ['GeneralizedTime without Z', Tag.GENERALIZED_TIME, '20240101000000'],
    ['GeneralizedTime with trailing zero fraction', Tag.GENERALIZED_TIME, '20240101000000.50Z'],
    ['GeneralizedTime with control character', Tag.GENERALIZED_TIME, '2024010100000\u00000Z'],
    ['not a time tag', Tag.OCTET_STRING, '240101000000Z'],
  ];
  for (const [label, tag, text] of bad) {
    it(`given ${label}, when decoded, then DerError`, () => {
      const { element } = readSingle(tlv(tag, Buffer.from(text, 'latin1')));
      assertDerError(() => decodeTime(element), label);
    });
  }
});

describe('bit strings, booleans and integers', () => {
  it('given a bit string with 3 unused zero bits, when decoded, then data and count are kept', () => {
    const bitString = decodeBitString(hex('03 a8'));
    assert.equal(bitString.unusedBits, 3);
    assert.deepEqual([...bitString.data], [0xa8]);
  });

  const badBits: Array<[label: string, value: string]> = [
    ['empty', ''],
    ['8 unused bits', '08 00'],
    ['non-zero unused bits', '01 01'],
    ['unused bits without data', '01'],
  ];
  for (const [label, value] of badBits) {
    it(`given a ${label} bit string, when decoded, then DerError`, () => {
      assertDerError(() => decodeBitString(hex(value)), label);
    });
  }

  it('given DER booleans, when decoded, then 00/FF only', () => {
    assert.equal(decodeBoolean(hex('ff')), true);
    assert.equal(decodeBoolean(hex('00')), false);
    assertDerError(() => decodeBoolean(hex('01')), 'BER true');
    assertDerError(() => decodeBoolean(hex('')), 'empty');
  });

  const lengths: Array<[value: string, bitsExpected: number]> = [
    ['00', 0],
    ['01', 1],
    ['7f', 7],
    ['00 80', 8],
    ['01 00', 9],
    [`00 ${'ff '.repeat(256)}`, 2048],
  ];
  for (const [value, expected] of lengths) {
    it(`given the integer ${value.slice(0, 8)}…, when measured, then ${expected} bits`, () => {
      assert.equal(unsignedIntegerBitLength(hex(value)), expected);
    });
  }
  it('given negative or non-minimal integers, when measured, then DerError', () => {
    assertDerError(() => unsignedIntegerBitLength(hex('80')), 'negative');
    assertDerError(() => unsignedIntegerBitLength(hex('00 01')), 'non-minimal');
    assertDerError(() => unsignedIntegerBitLength(hex('')), 'empty');
  });
});
