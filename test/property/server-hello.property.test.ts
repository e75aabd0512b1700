/**
 * Properties of the TLS wire readers: the ServerHello reader, the record and
 * handshake splitters and the Certificate message reader take any bytes a
 * server sends and return (null when they cannot read them), never throw.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { serverHelloOf } from '../../src/tls/upgrade.js';
import { parseCertificateMessage, splitHandshake, splitRecords } from '../../src/tls/wire.js';
import { serverHello } from '../checks/enumeration/servers.js';
import { MAX_SIZE_RUNS, RUNS, SEED } from './runs.js';

/** Real ServerHello flights (TLS 1.2 and 1.3), then edited or cut. */
const flight = fc
  .record({
    suite: fc.integer({ min: 0, max: 0xffff }),
    version: fc.constantFrom(0x0301, 0x0302, 0x0303, 0x0304),
    edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    tail: fc.uint8Array({ maxLength: 64 }),
  })
  .map(({ suite, version, edits, cut, tail }) => {
    const bytes = Buffer.concat([serverHello(suite, version), Buffer.from(tail)]);
    for (const { at, value } of edits) bytes[at % bytes.length] = value;
    return cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
  });

function readAll(bytes: Buffer): void {
  const hello = serverHelloOf(bytes);
  if (hello !== null) {
    assert.equal(typeof hello.version, 'string');
    assert.ok(Number.isInteger(hello.cipherSuite) && hello.cipherSuite >= 0 && hello.cipherSuite <= 0xffff);
  }
  const records = splitRecords(bytes);
  const stream = Buffer.concat(records.filter((r) => r.type === 22).map((r) => r.fragment));
  for (const message of splitHandshake(stream)) {
    parseCertificateMessage(message.body, false);
    parseCertificateMessage(message.body, true);
  }
}

describe('TLS wire reader properties', () => {
  it(`Given arbitrary bytes (${RUNS} cases) Then serverHelloOf and the splitters return, never throw`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), (bytes) => readAll(Buffer.from(bytes))), { numRuns: RUNS, seed: SEED });
  });
  it(`Given arbitrary bytes at size max (${MAX_SIZE_RUNS} cases) Then the same holds`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 65536, size: 'max' }), (bytes) => readAll(Buffer.from(bytes))), { numRuns: MAX_SIZE_RUNS, seed: SEED });
  });
  it(`Given real ServerHello flights with bytes changed or cut (${RUNS} cases) Then they return, never throw`, () => {
    fc.assert(fc.property(flight, (bytes) => readAll(bytes)), { numRuns: RUNS, seed: SEED });
  });
  it(`Given intact ServerHello flights (${RUNS} cases) Then the version and suite read back`, () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x0301, 0x0302, 0x0303, 0x0304), (suite, version) => {
        const hello = serverHelloOf(serverHello(suite, version));
        assert.equal(hello?.cipherSuite, suite);
        assert.equal(hello?.version, { 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' }[version]);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
