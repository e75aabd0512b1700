/**
 * A ClientHello read from the bytes a TLS client wrote: the cipher suites and
 * groups it really offers. Used to measure what this runtime's OpenSSL can offer
 * (./runtime.ts), and by test servers that act on a client's offer. Pure; returns
 * null rather than throwing on anything it cannot read.
 */
import { splitHandshake, splitRecords } from '../../tls/wire.js';

export interface ClientHelloFacts {
  /** Cipher suite code points in the client's order, signalling values (0x00FF, 0x5600, GREASE) left out. */
  readonly cipherSuites: readonly number[];
  /** supported_groups code points in order (empty when the extension is absent). */
  readonly groups: readonly number[];
  /** Groups that carry a key share (TLS 1.3). */
  readonly keyShares: readonly number[];
  /** supported_versions, e.g. [0x0304]; empty when absent (TLS 1.2 and below). */
  readonly versions: readonly number[];
  /** legacy_version of the hello. */
  readonly legacyVersion: number;
}

const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_CLIENT_HELLO = 1;
const EXT_SUPPORTED_GROUPS = 10;
const EXT_SUPPORTED_VERSIONS = 43;
const EXT_KEY_SHARE = 51;
/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV and TLS_FALLBACK_SCSV: signals, not suites. */
const SIGNALS = new Set([0x00ff, 0x5600]);

/** GREASE values (RFC 8701): 0x0A0A, 0x1A1A, … 0xFAFA. */
function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** The first ClientHello in `bytes` (TLS records as written by the client). */
export function parseClientHello(bytes: Buffer): ClientHelloFacts | null {
  const fragments: Buffer[] = [];
  for (const record of splitRecords(bytes)) {
    if (record.type !== CONTENT_HANDSHAKE) break;
    fragments.push(record.fragment);
  }
  const hello = splitHandshake(Buffer.concat(fragments))[0];
  if (hello === undefined || hello.type !== HANDSHAKE_CLIENT_HELLO) return null;
  const body = hello.body;
  try {
    const legacyVersion = body.readUInt16BE(0);
    let at = 34;
    at += 1 + (body[at] ?? 0); // session id
    const suitesLength = body.readUInt16BE(at);
    at += 2;
    const cipherSuites: number[] = [];
    for (let i = 0; i + 1 < suitesLength; i += 2) {
      const code = body.readUInt16BE(at + i);
      if (!SIGNALS.has(code) && !isGrease(code)) cipherSuites.push(code);
    }
    at += suitesLength;
    at += 1 + (body[at] ?? 0); // compression methods
    const groups: number[] = [];
    const keyShares: number[] = [];
    const versions: number[] = [];
    if (at + 2 <= body.length) {
      const end = Math.min(body.length, at + 2 + body.readUInt16BE(at));
      for (let ext = at + 2; ext + 4 <= end; ) {
        const type = body.readUInt16BE(ext);
        const length = body.readUInt16BE(ext + 2);
        const data = body.subarray(ext + 4, Math.min(end, ext + 4 + length));
        if (type === EXT_SUPPORTED_GROUPS) groups.push(...uint16List(data.subarray(2, 2 + data.readUInt16BE(0))));
        if (type === EXT_SUPPORTED_VERSIONS) versions.push(...uint16List(data.subarray(1, 1 + (data[0] ?? 0))));
        if (type === EXT_KEY_SHARE) keyShares.push(...keyShareGroups(data));
        ext += 4 + length;
      }
    }
    return {
      cipherSuites,
      groups: groups.filter((g) => !isGrease(g)),
      keyShares: keyShares.filter((g) => !isGrease(g)),
      versions: versions.filter((v) => !isGrease(v)),
      legacyVersion,
    };
  } catch {
    return null; // a read past the end: not a ClientHello we can read
  }
}

function uint16List(data: Buffer): number[] {
  const values: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) values.push(data.readUInt16BE(i));
  return values;
}

function keyShareGroups(data: Buffer): number[] {
  const groups: number[] = [];
  const end = Math.min(data.length, 2 + data.readUInt16BE(0));
  for (let at = 2; at + 4 <= end; at += 4 + data.readUInt16BE(at + 2)) groups.push(data.readUInt16BE(at));
  return groups;
}
