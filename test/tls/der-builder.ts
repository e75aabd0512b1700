/**
 * A tiny DER writer for tests: hand-made names, extensions and whole certificates
 * signed with Node's crypto, so the summary can be tested on key types and string
 * types the certificate factory does not produce (Ed25519, DSA, P-521, BMPString…).
 * Test-only; it trusts its input.
 */
import { sign, type KeyObject } from 'node:crypto';

/** Encodes a length in DER (short or minimal long form). */
export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with a single identifier octet. */
export function tlv(identifier: number, ...contents: Buffer[]): Buffer {
  const value = Buffer.concat(contents);
  return Buffer.concat([Buffer.from([identifier]), derLength(value.length), value]);
}

export const seq = (...items: Buffer[]): Buffer => tlv(0x30, ...items);
/** SET OF, with its members sorted by encoding as DER requires. */
export const set = (...items: Buffer[]): Buffer => tlv(0x31, ...[...items].sort(Buffer.compare));
export const nul = (): Buffer => Buffer.from([0x05, 0x00]);
export const octets = (value: Buffer): Buffer => tlv(0x04, value);
export const bits = (value: Buffer): Buffer => tlv(0x03, Buffer.from([0]), value);
export const int = (value: number): Buffer => tlv(0x02, Buffer.from([value]));
/** Context-specific tag [n], constructed (EXPLICIT or a constructed IMPLICIT type). */
export const ctx = (n: number, ...items: Buffer[]): Buffer => tlv(0xa0 | n, ...items);
/** Context-specific tag [n], primitive (IMPLICIT over a primitive type). */
export const ctxPrim = (n: number, value: Buffer): Buffer => tlv(0x80 | n, value);

/** OBJECT IDENTIFIER from dotted text. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map(BigInt);
  const [a = 0n, b = 0n, ...rest] = arcs;
  const body: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let n = arc >> 7n; n > 0n; n >>= 7n) chunk.unshift(Number(n & 0x7fn) | 0x80);
    body.push(...chunk);
  }
  return tlv(0x06, Buffer.from(body));
}

/** String types by universal tag. */
export const str = {
  utf8: (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8')),
  printable: (s: string): Buffer => tlv(0x13, Buffer.from(s, 'latin1')),
  teletex: (s: string): Buffer => tlv(0x14, Buffer.from(s, 'latin1')),
  ia5: (s: string): Buffer => tlv(0x16, Buffer.from(s, 'latin1')),
  bmp: (s: string): Buffer => tlv(0x1e, Buffer.from(s, 'utf16le').swap16()),
  universal: (s: string): Buffer => {
    const out = Buffer.alloc([...s].length * 4);
    [...s].forEach((ch, i) => out.writeUInt32BE(ch.codePointAt(0) ?? 0, i * 4));
    return tlv(0x1c, out);
  },
};

/** An AttributeTypeAndValue. */
export const atv = (type: string, value: Buffer): Buffer => seq(oid(type), value);
/** A Name from RDNs, each a list of AttributeTypeAndValue, in DER (most general first) order. */
export const name = (...rdns: Buffer[][]): Buffer => seq(...rdns.map((rdn) => set(...rdn)));
/** A single-valued RDN with a UTF8String value. */
export const rdn = (type: string, value: string): Buffer[] => [atv(type, str.utf8(value))];

export const OIDS = {
  CN: '2.5.4.3',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
  serialNumber: '2.5.4.5',
} as const;

/** UTCTime for years 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString();
  const compact = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(compact.slice(2), 'latin1'));
  return tlv(0x18, Buffer.from(compact, 'latin1'));
}

/** An Extension with the given OID and DER value. */
export const extension = (type: string, value: Buffer, critical = false): Buffer =>
  critical ? seq(oid(type), tlv(0x01, Buffer.from([0xff])), octets(value)) : seq(oid(type), octets(value));

/** GeneralName helpers for a SubjectAltName extension value. */
export const gn = {
  email: (s: string): Buffer => ctxPrim(1, Buffer.from(s, 'latin1')),
  dns: (s: string): Buffer => ctxPrim(2, Buffer.from(s, 'latin1')),
  dirName: (nameDer: Buffer): Buffer => ctx(4, nameDer),
  uri: (s: string): Buffer => ctxPrim(6, Buffer.from(s, 'latin1')),
  ip: (bytes: number[]): Buffer => ctxPrim(7, Buffer.from(bytes)),
  rid: (dotted: string): Buffer => ctxPrim(8, oid(dotted).subarray(2)),
  other: (type: string): Buffer => ctx(0, oid(type), ctx(0, str.utf8('x'))),
};
export const subjectAltName = (...names: Buffer[]): Buffer => extension('2.5.29.17', seq(...names));

export interface SyntheticCertOptions {
  readonly subject: Buffer;
  readonly issuer?: Buffer;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly extensions?: Buffer[];
  /** Public key of the subject. */
  readonly publicKey: KeyObject;
  /** Key that signs; its type picks the algorithm. */
  readonly signingKey: KeyObject;
  /** Digest for RSA/ECDSA/DSA signatures (default sha256). */
  readonly digest?: 'sha1' | 'sha256' | 'sha384' | 'sha512';
}

const SIG_OIDS: Record<string, Record<string, string>> = {
  rsa: {
    sha1: '1.2.840.113549.1.1.5',
    sha256: '1.2.840.113549.1.1.11',
    sha384: '1.2.840.113549.1.1.12',
    sha512: '1.2.840.113549.1.1.13',
  },
  ec: {
    sha1: '1.2.840.10045.4.1',
    sha256: '1.2.840.10045.4.3.2',
    sha384: '1.2.840.10045.4.3.3',
    sha512: '1.2.840.10045.4.3.4',
  },
  dsa: { sha256: '2.16.840.1.101.3.4.3.2' },
};

/** Builds and signs a v3 certificate from parts. */
export function syntheticCertificate(o: SyntheticCertOptions): Buffer {
  const keyType = o.signingKey.asymmetricKeyType ?? '';
  const digest = o.digest ?? 'sha256';
  let algorithm: Buffer;
  if (keyType === 'ed25519') algorithm = seq(oid('1.3.101.112'));
  else if (keyType === 'ed448') algorithm = seq(oid('1.3.101.113'));
  else {
    const sigOid = SIG_OIDS[keyType]?.[digest];
    if (sigOid === undefined) throw new Error(`no signature OID for ${keyType}/${digest}`);
    algorithm = keyType === 'rsa' ? seq(oid(sigOid), nul()) : seq(oid(sigOid));
  }
  const spki = o.publicKey.export({ type: 'spki', format: 'der' });
  const now = Date.now();
  const tbs = seq(
    ctx(0, int(2)),
    tlv(0x02, Buffer.from([0x01, 0x23, 0x45, 0x67])),
    algorithm,
    o.issuer ?? o.subject,
    seq(time(o.notBefore ?? new Date(now - 86_400_000)), time(o.notAfter ?? new Date(now + 30 * 86_400_000))),
    o.subject,
    spki,
    ...(o.extensions && o.extensions.length > 0 ? [ctx(3, seq(...o.extensions))] : []),
  );
  const usesDigest = keyType !== 'ed25519' && keyType !== 'ed448';
  const signature = sign(usesDigest ? digest : null, tbs, o.signingKey);
  return seq(tbs, algorithm, bits(signature));
}
