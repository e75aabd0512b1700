/**
 * The certificate chain exactly as the server sent it, read from the
 * handshake's own bytes. Node only exposes the chain as OpenSSL rebuilt it
 * (ordered by issuer, strays dropped, the local trust anchor appended), which
 * hides the misconfigurations a scanner exists to find: a missing intermediate,
 * a wrong order, a root sent along.
 *
 * TLS 1.0-1.2 send the Certificate message in clear. TLS 1.3 encrypts it under
 * the server handshake traffic secret, which the client learns through Node's
 * 'keylog' event (RFC 8446 §7.1-7.3 derive the record key and IV from it). The
 * secret is used here and dropped: it never reaches the report.
 *
 * Every function here is pure and returns null rather than throwing on
 * anything it cannot read; the caller then falls back to Node's chain.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { brotliDecompressSync, inflateSync } from 'node:zlib';

const RECORD_HEADER = 5;
const CONTENT_CHANGE_CIPHER_SPEC = 20;
const CONTENT_HANDSHAKE = 22;
const CONTENT_APPLICATION_DATA = 23;
const HANDSHAKE_CERTIFICATE = 11;
const HANDSHAKE_COMPRESSED_CERTIFICATE = 25;
const HANDSHAKE_FINISHED = 20;
const TAG_BYTES = 16;
/** The largest decompressed Certificate message accepted (RFC 8879 caps it at 2^24 - 1). */
const MAX_UNCOMPRESSED = 1 << 20;

interface Aead {
  readonly cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyBytes: number;
  readonly hash: 'sha256' | 'sha384';
}

/** TLS 1.3 suites by IANA name. (CCM suites are not offered by Node by default and are not read here.) */
const TLS13_SUITES: Readonly<Record<string, Aead>> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', keyBytes: 16, hash: 'sha256' },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', keyBytes: 32, hash: 'sha384' },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', keyBytes: 32, hash: 'sha256' },
};

interface TlsRecord {
  readonly type: number;
  readonly header: Buffer;
  readonly fragment: Buffer;
}

/** Splits bytes into TLS records; a trailing partial record is left out. */
export function splitRecords(bytes: Buffer): TlsRecord[] {
  const records: TlsRecord[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER <= bytes.length) {
    const length = bytes.readUInt16BE(offset + 3);
    const end = offset + RECORD_HEADER + length;
    if (end > bytes.length) break;
    records.push({ type: bytes[offset] ?? 0, header: bytes.subarray(offset, offset + RECORD_HEADER), fragment: bytes.subarray(offset + RECORD_HEADER, end) });
    offset = end;
  }
  return records;
}

interface HandshakeMessage {
  readonly type: number;
  readonly body: Buffer;
}

/** Splits a handshake byte stream into messages; an incomplete last one is left out. */
export function splitHandshake(stream: Buffer): HandshakeMessage[] {
  const messages: HandshakeMessage[] = [];
  let offset = 0;
  while (offset + 4 <= stream.length) {
    const length = stream.readUIntBE(offset + 1, 3);
    const end = offset + 4 + length;
    if (end > stream.length) break;
    messages.push({ type: stream[offset] ?? 0, body: stream.subarray(offset + 4, end) });
    offset = end;
  }
  return messages;
}

/** Reads a 24-bit-length-prefixed vector at `offset`; null when it runs past `limit`. */
function vector24(buf: Buffer, offset: number, limit: number): { value: Buffer; next: number } | null {
  if (offset + 3 > limit) return null;
  const length = buf.readUIntBE(offset, 3);
  const next = offset + 3 + length;
  return next > limit ? null : { value: buf.subarray(offset + 3, next), next };
}

/**
 * The DER certificates of a Certificate message body, in order. TLS 1.3 adds a
 * request context before the list and extensions after each entry (RFC 8446
 * §4.4.2); TLS 1.0-1.2 have neither (RFC 5246 §7.4.2).
 */
export function parseCertificateMessage(body: Buffer, tls13: boolean): Buffer[] | null {
  let offset = 0;
  if (tls13) {
    const contextLength = body[0];
    if (contextLength === undefined) return null;
    offset = 1 + contextLength;
  }
  const list = vector24(body, offset, body.length);
  if (!list || list.next !== body.length) return null;
  const certs: Buffer[] = [];
  let at = offset + 3;
  while (at < list.next) {
    const entry = vector24(body, at, list.next);
    if (!entry || entry.value.length === 0) return null;
    certs.push(Buffer.from(entry.value));
    at = entry.next;
    if (tls13) {
      if (at + 2 > list.next) return null;
      at += 2 + body.readUInt16BE(at);
    }
  }
  return at === list.next ? certs : null;
}

/** RFC 8879 CompressedCertificate → the Certificate message body it carries (zlib and brotli; zstd is not read). */
function decompressCertificate(body: Buffer): Buffer | null {
  if (body.length < 8) return null;
  const algorithm = body.readUInt16BE(0);
  const uncompressedLength = body.readUIntBE(2, 3);
  const compressed = vector24(body, 5, body.length);
  if (!compressed || uncompressedLength > MAX_UNCOMPRESSED) return null;
  const options = { maxOutputLength: uncompressedLength };
  const out = algorithm === 1 ? inflateSync(compressed.value, options) : algorithm === 2 ? brotliDecompressSync(compressed.value, options) : null;
  return out !== null && out.length === uncompressedLength ? out : null;
}

/** HKDF-Expand-Label (RFC 8446 §7.1) with an empty context, for lengths up to one hash block. */
export function hkdfExpandLabel(secret: Buffer, label: string, length: number, hash: 'sha256' | 'sha384'): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`, 'ascii');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  return createHmac(hash, secret).update(Buffer.concat([info, Buffer.from([1])])).digest().subarray(0, length);
}

/** The server handshake traffic secret from Node's keylog lines (NSS key log format). */
export function serverHandshakeSecret(keylog: readonly string[]): Buffer | null {
  for (const line of keylog) {
    const [label, , secret] = line.trim().split(' ');
    if (label === 'SERVER_HANDSHAKE_TRAFFIC_SECRET' && secret && /^[0-9a-f]+$/i.test(secret)) return Buffer.from(secret, 'hex');
  }
  return null;
}

/** Decrypts one TLS 1.3 record; returns its inner content type and content, or null. */
function openRecord(record: TlsRecord, aead: Aead, key: Buffer, iv: Buffer, seq: number): { type: number; content: Buffer } | null {
  if (record.fragment.length < TAG_BYTES + 1) return null;
  const nonce = Buffer.from(iv);
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  for (let i = 0; i < 8; i += 1) nonce[nonce.length - 8 + i] = (nonce[nonce.length - 8 + i] ?? 0) ^ (seqBytes[i] ?? 0);
  const ciphertext = record.fragment.subarray(0, record.fragment.length - TAG_BYTES);
  const tag = record.fragment.subarray(record.fragment.length - TAG_BYTES);
  // GCM and ChaCha20-Poly1305 share the AEAD interface; the types only name the GCM one.
  const decipher = createDecipheriv(aead.cipher as 'aes-128-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(record.header);
  decipher.setAuthTag(tag);
  const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end -= 1; // RFC 8446 §5.4 padding
  if (end === 0) return null;
  return { type: plain[end - 1] ?? 0, content: plain.subarray(0, end - 1) };
}

/** The chain from a TLS 1.3 handshake: decrypt the server's flight until its Certificate message. */
function tls13Chain(records: readonly TlsRecord[], keylog: readonly string[], suite: string): Buffer[] | null {
  const aead = TLS13_SUITES[suite];
  const secret = serverHandshakeSecret(keylog);
  if (!aead || !secret) return null;
  const key = hkdfExpandLabel(secret, 'key', aead.keyBytes, aead.hash);
  const iv = hkdfExpandLabel(secret, 'iv', 12, aead.hash);
  let stream = Buffer.alloc(0);
  let seq = 0;
  for (const record of records) {
    if (record.type !== CONTENT_APPLICATION_DATA) continue;
    const opened = openRecord(record, aead, key, iv, seq);
    seq += 1;
    if (!opened) return null;
    if (opened.type !== CONTENT_HANDSHAKE) continue;
    stream = Buffer.concat([stream, opened.content]);
    for (const message of splitHandshake(stream)) {
      if (message.type === HANDSHAKE_CERTIFICATE) return parseCertificateMessage(message.body, true);
      if (message.type === HANDSHAKE_COMPRESSED_CERTIFICATE) {
        const body = decompressCertificate(message.body);
        return body === null ? null : parseCertificateMessage(body, true);
      }
      if (message.type === HANDSHAKE_FINISHED) return null;
    }
  }
  return null;
}

/** The chain from a TLS 1.0-1.2 handshake: the clear handshake records before ChangeCipherSpec. */
function tls12Chain(records: readonly TlsRecord[]): Buffer[] | null {
  const parts: Buffer[] = [];
  for (const record of records) {
    if (record.type === CONTENT_CHANGE_CIPHER_SPEC) break;
    if (record.type === CONTENT_HANDSHAKE) parts.push(record.fragment);
  }
  const certificate = splitHandshake(Buffer.concat(parts)).find((m) => m.type === HANDSHAKE_CERTIFICATE);
  return certificate ? parseCertificateMessage(certificate.body, false) : null;
}

/**
 * The certificates the server sent, in order, from the bytes it sent during the
 * handshake; null when they cannot be read (the caller falls back to Node's chain).
 */
export function chainFromHandshake(serverBytes: Buffer, keylog: readonly string[], protocol: string, suite: string): Buffer[] | null {
  try {
    const records = splitRecords(serverBytes);
    const chain = protocol === 'TLSv1.3' ? tls13Chain(records, keylog, suite) : tls12Chain(records);
    return chain !== null && chain.length > 0 ? chain : null;
  } catch {
    return null;
  }
}
