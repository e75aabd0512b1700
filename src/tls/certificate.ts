/**
 * Pure certificate summary from DER: subject and issuer as RFC 4514 strings,
 * validity, key type and size, signature algorithm, fingerprint, subject
 * alternative names, and RFC 6125 host name matching. It parses the DER itself
 * (src/tls/der.ts) rather than trusting what a given Node version exposes; Node
 * is used only for the SHA-256 digest and to check a self-signature.
 */
import { matchesHostname } from '../model/hostname.js';
import { sanitizeText } from '../model/sanitize.js';
import { createHash, createPublicKey, verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import type { CertificateFacts, ChainCertificate } from '../model/probe.js';
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
  type DerElement,
} from './der.js';

/** A certificate that could not be decoded. `cause` holds the DerError when there is one. */
export class CertificateParseError extends Error {
  override readonly name = 'CertificateParseError' as const;
  readonly code = 'certificate-malformed' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Summarises one DER certificate. Throws CertificateParseError on malformed DER. */
export function summarizeCertificate(der: Buffer): ChainCertificate {
  return summaryOf(parseCertificate(der), der);
}

/**
 * The leaf's facts: chain[0] summarised with its names and validity window, the
 * trust verdict passed in, the host name match, and every certificate of the
 * chain summarised in the order given (leaf included).
 */
export function summarizeLeaf(
  chain: readonly Buffer[],
  facts: { trusted: boolean; validationError: string | null; hostname: string | null; nowMs: number },
): CertificateFacts {
  const leafDer = chain[0];
  if (leafDer === undefined) throw new CertificateParseError('the certificate chain is empty');
  const parsed = parseCertificate(leafDer);
  const leaf = summaryOf(parsed, leafDer);
  const names = { subjectAltNames: parsed.subjectAltNames, commonNames: parsed.commonNames };
  const issuers = issuerIndexes(chain);
  const summaries: ChainCertificate[] = [{ ...leaf, issuerIndex: issuers[0] ?? null }];
  for (let i = 1; i < chain.length; i += 1) summaries.push({ ...summarizeCertificate(chain[i] as Buffer), issuerIndex: issuers[i] ?? null });
  // Spelled out rather than spread: object spreads of varying shapes are slow, and this runs once a probe.
  return {
    subject: leaf.subject,
    issuer: leaf.issuer,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    keyType: leaf.keyType,
    keyBits: leaf.keyBits,
    signatureAlgorithm: leaf.signatureAlgorithm,
    fingerprintSha256: leaf.fingerprintSha256,
    fingerprintSha512: leaf.fingerprintSha512,
    spkiSha256: leaf.spkiSha256,
    spkiSha512: leaf.spkiSha512,
    issuerIndex: issuers[0] ?? null,
    selfSigned: leaf.selfSigned,
    subjectAltNames: names.subjectAltNames,
    commonNames: names.commonNames,
    daysRemaining: Math.floor((parsed.notAfter.getTime() - facts.nowMs) / 86_400_000),
    trusted: facts.trusted,
    validationError: facts.validationError,
    hostnameMatch: facts.hostname === null ? false : matchesHostname(names, facts.hostname),
    chain: summaries,
  };
}

/** What parseCertificate extracts, before presentation. */
interface ParsedCertificate {
  readonly subject: string;
  readonly issuer: string;
  readonly subjectDer: Buffer;
  readonly issuerDer: Buffer;
  /** The SubjectPublicKeyInfo, DER (TLSA selector 1 hashes it). */
  readonly spkiDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType: string;
  readonly keyBits: number | null;
  readonly signatureAlgorithm: string;
  readonly subjectAltNames: readonly string[];
  readonly commonNames: readonly string[];
}

function summaryOf(parsed: ParsedCertificate, der: Buffer): ChainCertificate {
  return {
    subject: parsed.subject,
    issuer: parsed.issuer,
    notBefore: parsed.notBefore.toISOString(),
    notAfter: parsed.notAfter.toISOString(),
    keyType: parsed.keyType,
    keyBits: parsed.keyBits,
    signatureAlgorithm: parsed.signatureAlgorithm,
    fingerprintSha256: fingerprintSha256(der),
    fingerprintSha512: createHash('sha512').update(der).digest('hex'),
    spkiSha256: createHash('sha256').update(parsed.spkiDer).digest('hex'),
    spkiSha512: createHash('sha512').update(parsed.spkiDer).digest('hex'),
    issuerIndex: null,
    selfSigned: parsed.subjectDer.equals(parsed.issuerDer) && verifiesWithOwnKey(der),
  };
}

/** The parts of a certificate its issuer's signature covers, and who it names. */
interface SignedParts {
  readonly tbs: Buffer;
  readonly signatureOid: string;
  readonly signature: Buffer;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly spkiDer: Buffer;
}

function signedParts(der: Buffer): SignedParts | null {
  try {
    const { element, reader: top } = readSingle(der);
    const cert = top.children(element);
    const tbsElement = cert.expect(Tag.SEQUENCE);
    const signatureOid = readAlgorithmOid(cert, cert.expect(Tag.SEQUENCE));
    const signature = decodeBitString(cert.expect(Tag.BIT_STRING).value).data;
    const tbs = cert.children(tbsElement);
    tbs.optionalContext(0, true); // version
    tbs.expect(Tag.INTEGER);
    tbs.expect(Tag.SEQUENCE);
    const issuer = tbs.expect(Tag.SEQUENCE);
    tbs.expect(Tag.SEQUENCE);
    const subject = tbs.expect(Tag.SEQUENCE);
    const spki = tbs.expect(Tag.SEQUENCE);
    return { tbs: tbsElement.raw, signatureOid, signature, issuerDer: issuer.raw, subjectDer: subject.raw, spkiDer: spki.raw };
  } catch {
    return null;
  }
}

/** Signature OIDs verified here, by their hash (null: the algorithm has none, as EdDSA). Others go through X509Certificate. */
const SIGNATURE_HASHES: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
  '1.3.101.113': null,
};

/**
 * Issuers' public keys, by their SubjectPublicKeyInfo: OpenSSL 3 takes about
 * 120 µs to decode one, and a few intermediates issue most certificates. Every
 * signature is still verified, once per certificate. Bounded: past 256 keys the
 * oldest goes.
 */
const ISSUER_KEYS = new Map<string, KeyObject>();
const MAX_ISSUER_KEYS = 256;

function issuerKey(spkiDer: Buffer): KeyObject {
  const id = spkiDer.toString('base64');
  let key = ISSUER_KEYS.get(id);
  if (key === undefined) {
    key = createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
    if (ISSUER_KEYS.size >= MAX_ISSUER_KEYS) ISSUER_KEYS.delete(ISSUER_KEYS.keys().next().value as string);
    ISSUER_KEYS.set(id, key);
  }
  return key;
}

/** Whether `issuer`'s key verifies `cert`'s signature. Never throws. */
function signedBy(cert: SignedParts, certDer: Buffer, issuer: SignedParts, issuerDer: Buffer): boolean {
  try {
    const hash = SIGNATURE_HASHES[cert.signatureOid];
    if (hash === undefined) {
      // RSASSA-PSS, DSA and the rest: Node's X509Certificate reads their parameters.
      const child = new X509Certificate(certDer);
      const parent = new X509Certificate(issuerDer);
      return parent.checkIssued(child) && child.verify(parent.publicKey);
    }
    return verifySignature(hash, cert.tbs, issuerKey(issuer.spkiDer), cert.signature);
  } catch {
    return false;
  }
}

/**
 * For each certificate of a chain as sent, the index of another sent one that
 * issued it: whose subject is its issuer, byte for byte, and whose key verifies
 * its signature (the cheaper equivalent of X509Certificate's checkIssued and
 * verify, which parses each certificate at ten times the cost). Null when none did.
 */
export function issuerIndexes(chain: readonly Buffer[]): (number | null)[] {
  const parts = chain.map(signedParts);
  return parts.map((cert, i) => {
    if (cert === null) return null;
    for (let j = 0; j < parts.length; j += 1) {
      const issuer = parts[j];
      if (j === i || issuer === null || issuer === undefined || !issuer.subjectDer.equals(cert.issuerDer)) continue;
      if (signedBy(cert, chain[i] as Buffer, issuer, chain[j] as Buffer)) return j;
    }
    return null;
  });
}

/** Decodes the parts of an X.509 v1–v3 certificate (RFC 5280 §4.1) that the summary needs. */
function parseCertificate(der: Buffer): ParsedCertificate {
  try {
    const { element: certificate, reader: top } = readSingle(der);
    if (certificate.tagNumber !== Tag.SEQUENCE || !certificate.constructed) {
      throw new DerError('a certificate is a SEQUENCE', 0);
    }
    const cert = top.children(certificate);
    const tbs = cert.children(cert.expect(Tag.SEQUENCE));
    const signatureAlgorithm = readAlgorithmOid(cert, cert.expect(Tag.SEQUENCE));
    decodeBitString(cert.expect(Tag.BIT_STRING).value);
    cert.end('the certificate signature');
    return parseTbs(tbs, signatureAlgorithmName(signatureAlgorithm));
  } catch (error) {
    if (error instanceof CertificateParseError) throw error;
    if (error instanceof DerError) throw new CertificateParseError(`malformed certificate: ${error.message}`, { cause: error });
    throw error;
  }
}

function parseTbs(tbs: DerReader, signatureAlgorithm: string): ParsedCertificate {
  const version = tbs.optionalContext(0, true);
  if (version !== null) tbs.children(version).expect(Tag.INTEGER);
  tbs.expect(Tag.INTEGER); // serialNumber
  tbs.expect(Tag.SEQUENCE); // signature (repeats the outer algorithm)
  const issuer = tbs.expect(Tag.SEQUENCE);
  const validity = tbs.children(tbs.expect(Tag.SEQUENCE));
  const notBefore = decodeTime(validity.read());
  const notAfter = decodeTime(validity.read());
  validity.end('validity');
  const subject = tbs.expect(Tag.SEQUENCE);
  const spki = tbs.expect(Tag.SEQUENCE);
  const key = describeSubjectPublicKey(tbs, spki);
  tbs.optionalContext(1, false); // issuerUniqueID
  tbs.optionalContext(2, false); // subjectUniqueID
  const extensions = tbs.optionalContext(3, true);
  tbs.end('the TBSCertificate');
  const subjectAttributes = parseName(tbs, subject);
  return {
    subject: formatAttributes(subjectAttributes),
    issuer: formatAttributes(parseName(tbs, issuer)),
    subjectDer: subject.raw,
    issuerDer: issuer.raw,
    spkiDer: spki.raw,
    notBefore,
    notAfter,
    keyType: key.keyType,
    keyBits: key.keyBits,
    signatureAlgorithm,
    subjectAltNames: extensions === null ? [] : readSubjectAltNames(tbs, extensions),
    commonNames: commonNamesOf(subjectAttributes),
  };
}

/** The subject's CN values, sanitised, in order. */
function commonNamesOf(rdns: readonly (readonly NameAttribute[])[]): string[] {
  const names: string[] = [];
  for (const rdn of rdns) for (const a of rdn) if (a.oid === OID_COMMON_NAME && a.text !== null) names.push(sanitizeText(a.text));
  return names;
}

// ---------------------------------------------------------------------------
// Algorithms and keys

const OID_RSA = '1.2.840.113549.1.1.1';
const OID_RSASSA_PSS = '1.2.840.113549.1.1.10';
const OID_EC = '1.2.840.10045.2.1';
const OID_DSA = '1.2.840.10040.4.1';
const OID_ED25519 = '1.3.101.112';
const OID_ED448 = '1.3.101.113';

/** Signature algorithm OIDs → OpenSSL's long names (as `openssl x509 -text` prints them). */
const SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSA',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '2.16.840.1.101.3.4.3.9': 'ecdsa_with_SHA3-224',
  '2.16.840.1.101.3.4.3.10': 'ecdsa_with_SHA3-256',
  '2.16.840.1.101.3.4.3.11': 'ecdsa_with_SHA3-384',
  '2.16.840.1.101.3.4.3.12': 'ecdsa_with_SHA3-512',
  '2.16.840.1.101.3.4.3.13': 'RSA-SHA3-224',
  '2.16.840.1.101.3.4.3.14': 'RSA-SHA3-256',
  '2.16.840.1.101.3.4.3.15': 'RSA-SHA3-384',
  '2.16.840.1.101.3.4.3.16': 'RSA-SHA3-512',
  '2.16.840.1.101.3.4.3.17': 'ML-DSA-44',
  '2.16.840.1.101.3.4.3.18': 'ML-DSA-65',
  '2.16.840.1.101.3.4.3.19': 'ML-DSA-87',
  '1.2.156.10197.1.501': 'SM2-with-SM3',
};

/** Named curve OIDs → field size in bits. */
const CURVE_BITS: Readonly<Record<string, number>> = {
  '1.2.840.10045.3.1.1': 192, // P-192
  '1.3.132.0.33': 224, // P-224
  '1.2.840.10045.3.1.7': 256, // P-256
  '1.3.132.0.34': 384, // P-384
  '1.3.132.0.35': 521, // P-521
  '1.3.132.0.10': 256, // secp256k1
  '1.3.36.3.3.2.8.1.1.7': 256, // brainpoolP256r1
  '1.3.36.3.3.2.8.1.1.11': 384, // brainpoolP384r1
  '1.3.36.3.3.2.8.1.1.13': 512, // brainpoolP512r1
  '1.2.156.10197.1.301': 256, // SM2
};

/** Maps a signature algorithm OID to OpenSSL's long name, else returns the OID. */
export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
}

/** Reads an AlgorithmIdentifier's OID (parameters are left unread). */
function readAlgorithmOid(parent: DerReader, algorithm: DerElement): string {
  return decodeOid(parent.children(algorithm).expect(Tag.OBJECT_IDENTIFIER).value);
}

/** keyType and keyBits from a SubjectPublicKeyInfo. Unknown algorithms give their OID and null bits. */
function describeSubjectPublicKey(parent: DerReader, spki: DerElement): { keyType: string; keyBits: number | null } {
  const fields = parent.children(spki);
  const algorithm = fields.children(fields.expect(Tag.SEQUENCE));
  const oid = decodeOid(algorithm.expect(Tag.OBJECT_IDENTIFIER).value);
  const parameters = algorithm.done ? null : algorithm.read();
  const key = decodeBitString(fields.expect(Tag.BIT_STRING).value);
  fields.end('SubjectPublicKeyInfo');
  switch (oid) {
    case OID_RSA:
    case OID_RSASSA_PSS:
      return { keyType: 'rsa', keyBits: rsaModulusBits(key.data) };
    case OID_EC:
      return { keyType: 'ec', keyBits: curveBits(parameters) };
    case OID_ED25519:
      return { keyType: 'ed25519', keyBits: 256 };
    case OID_ED448:
      return { keyType: 'ed448', keyBits: 456 };
    case OID_DSA:
      return { keyType: 'dsa', keyBits: dsaPrimeBits(parameters, parent) };
    default:
      return { keyType: oid, keyBits: null };
  }
}

/** RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
function rsaModulusBits(data: Buffer): number {
  const { element, reader } = readSingle(data);
  const fields = reader.children(element);
  return unsignedIntegerBitLength(fields.expect(Tag.INTEGER).value);
}

function curveBits(parameters: DerElement | null): number | null {
  if (parameters === null || parameters.tagClass !== 'universal' || parameters.tagNumber !== Tag.OBJECT_IDENTIFIER) {
    return null; // implicit or explicit curve parameters: size not reported
  }
  return CURVE_BITS[decodeOid(parameters.value)] ?? null;
}

/** Dss-Parms ::= SEQUENCE { p INTEGER, q INTEGER, g INTEGER } */
function dsaPrimeBits(parameters: DerElement | null, parent: DerReader): number | null {
  if (parameters === null || !parameters.constructed || parameters.tagNumber !== Tag.SEQUENCE) return null;
  return unsignedIntegerBitLength(parent.children(parameters).expect(Tag.INTEGER).value);
}

/** Upper-case hex SHA-256 of the DER, colon separated (as Node's fingerprint256). */
function fingerprintSha256(der: Buffer): string {
  const digest = createHash('sha256').update(der).digest();
  let out = '';
  for (let i = 0; i < digest.length; i += 1) out += (i === 0 ? '' : ':') + HEX_BYTES[digest[i] ?? 0];
  return out;
}

const HEX_BYTES: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).toUpperCase().padStart(2, '0'));

/** Whether the certificate's signature verifies with its own public key. Never throws. */
function verifiesWithOwnKey(der: Buffer): boolean {
  try {
    const cert = new X509Certificate(der);
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// Distinguished names (RFC 4514)

const OID_COMMON_NAME = '2.5.4.3';

/**
 * Attribute type names: RFC 4514 §3's short names, then the names OpenSSL
 * prints (`-nameopt RFC2253`) for types common in server certificates
 * (self-made MTA certificates carry emailAddress; OV/EV ones serialNumber,
 * businessCategory, jurisdiction*), so subjects compare with OpenSSL's RDN by
 * RDN. Others print as a dotted OID with the value's DER in hex.
 */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.6': 'C',
  '2.5.4.9': 'STREET',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.12': 'title',
  '2.5.4.13': 'description',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.41': 'name',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.44': 'generationQualifier',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

/** One AttributeTypeAndValue: the type's OID, its text (null when not a decodable string) and the value's DER. */
interface NameAttribute {
  readonly oid: string;
  readonly text: string | null;
  readonly valueDer: Buffer;
}

/**
 * Formats a DER Name (an RDNSequence, the whole SEQUENCE element) as an RFC 4514
 * string: RDNs in reverse order, multi-valued RDNs joined with '+' (their members
 * also last to first, matching `openssl -nameopt RFC2253`), short names
 * for the §3 types, '#'+hex of the DER value for other types or undecodable
 * values. Throws CertificateParseError on malformed DER.
 */
export function formatRfc4514(rdnSequenceDer: Buffer): string {
  try {
    const { element, reader } = readSingle(rdnSequenceDer);
    if (element.tagNumber !== Tag.SEQUENCE || !element.constructed) throw new DerError('a Name is a SEQUENCE', 0);
    return formatAttributes(parseName(reader, element));
  } catch (error) {
    if (error instanceof DerError) throw new CertificateParseError(`malformed name: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue. */
function parseName(parent: DerReader, name: DerElement): NameAttribute[][] {
  const rdns: NameAttribute[][] = [];
  const sequence = parent.children(name);
  while (!sequence.done) {
    const set = sequence.children(sequence.expect(Tag.SET));
    const attributes: NameAttribute[] = [];
    while (!set.done) {
      const atv = set.children(set.expect(Tag.SEQUENCE));
      const oid = decodeOid(atv.expect(Tag.OBJECT_IDENTIFIER).value);
      const value = atv.read();
      atv.end('AttributeTypeAndValue');
      attributes.push({ oid, text: decodeDirectoryString(value), valueDer: value.raw });
    }
    if (attributes.length === 0) throw new DerError('empty RelativeDistinguishedName', 0);
    rdns.push(attributes);
  }
  return rdns;
}

/** RDNs last to first, and the members of a multi-valued RDN last to first too, as OpenSSL prints them. */
function formatAttributes(rdns: readonly (readonly NameAttribute[])[]): string {
  return [...rdns]
    .reverse()
    .map((rdn) => [...rdn].reverse().map(formatAttribute).join('+'))
    .join(',');
}

function formatAttribute(attribute: NameAttribute): string {
  const shortName = SHORT_NAMES[attribute.oid];
  if (shortName === undefined || attribute.text === null) {
    return `${shortName ?? attribute.oid}=#${attribute.valueDer.toString('hex')}`;
  }
  return `${shortName}=${escapeRfc4514(attribute.text)}`;
}

const PLAIN_VALUE = /^(?:[!$-*\--:=?-[\]-~](?:[ !$-*\--:=?-[\]-~]*[!$-*\--:=?-[\]-~])?)?$/;

/** Format characters (Cf: bidirectional controls, zero-width, …) and U+2028/U+2029: never raw in a report. */
const FORMAT = /^[\p{Cf}\u2028\u2029]$/u;

/** `\hh` for each UTF-8 byte of a character (RFC 4514 §2.4 hexpair escapes). */
function hexPairs(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * Escapes an attribute value per RFC 4514 §2.4: `"+,;<>\` anywhere, a leading
 * space or '#', a trailing space; NUL and other control characters as \hh; C1
 * controls and format characters (bidirectional overrides and isolates,
 * zero-width characters, U+2028/U+2029) as the \hh of their UTF-8 bytes, so no
 * terminal acts on them and no line reads reordered.
 */
export function escapeRfc4514(value: string): string {
  // Printable ASCII without the special characters, a leading space or '#', or a trailing space: nothing to escape.
  if (PLAIN_VALUE.test(value)) return value;
  let out = '';
  const chars = [...value];
  const last = chars.length - 1;
  chars.forEach((ch, i) => {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16).toUpperCase()}`; // a lone surrogate (BMPString): no UTF-8 bytes
    else if ((code >= 0x80 && code <= 0x9f) || FORMAT.test(ch)) out += hexPairs(ch);
    else if ('"+,;<>\\'.includes(ch)) out += `\\${ch}`;
    else if ((i === 0 && (ch === ' ' || ch === '#')) || (i === last && ch === ' ')) out += `\\${ch}`;
    else out += ch;
  });
  return out;
}

/** Decodes the string types a DirectoryString (and friends) may use; null for anything else or bad encodings. */
function decodeDirectoryString(element: DerElement): string | null {
  if (element.tagClass !== 'universal' || element.constructed) return null;
  const v = element.value;
  switch (element.tagNumber) {
    case Tag.UTF8_STRING:
      return decodeUtf8(v);
    case Tag.PRINTABLE_STRING:
    case Tag.NUMERIC_STRING:
    case Tag.IA5_STRING:
    case Tag.VISIBLE_STRING:
      return v.every((b) => b < 0x80) ? v.toString('latin1') : null;
    case Tag.TELETEX_STRING:
      return v.toString('latin1');
    case Tag.BMP_STRING:
      return decodeUtf16Be(v);
    case Tag.UNIVERSAL_STRING:
      return decodeUtf32Be(v);
    default:
      return null;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(v: Buffer): string | null {
  try {
    return UTF8.decode(v);
  } catch {
    return null;
  }
}

function decodeUtf16Be(v: Buffer): string | null {
  if (v.length % 2 !== 0) return null;
  let text = '';
  for (let i = 0; i < v.length; i += 2) {
    const unit = v.readUInt16BE(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = i + 2 < v.length ? v.readUInt16BE(i + 2) : 0;
      if (low < 0xdc00 || low > 0xdfff) return null; // unpaired high surrogate
      text += String.fromCharCode(unit, low);
      i += 2;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return null; // unpaired low surrogate
    } else {
      text += String.fromCharCode(unit);
    }
  }
  return text;
}

function decodeUtf32Be(v: Buffer): string | null {
  if (v.length % 4 !== 0) return null;
  let text = '';
  for (let i = 0; i < v.length; i += 4) {
    const cp = v.readUInt32BE(i);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return null;
    text += String.fromCodePoint(cp);
  }
  return text;
}

// ---------------------------------------------------------------------------
// Subject alternative names

const OID_SUBJECT_ALT_NAME = '2.5.29.17';

/** Extensions ::= SEQUENCE OF Extension; returns the SAN entries as strings, in certificate order. */
function readSubjectAltNames(parent: DerReader, explicit: DerElement): string[] {
  const wrapper = parent.children(explicit);
  const list = wrapper.children(wrapper.expect(Tag.SEQUENCE));
  wrapper.end('extensions');
  let names: string[] = [];
  while (!list.done) {
    const extension = list.children(list.expect(Tag.SEQUENCE));
    const oid = decodeOid(extension.expect(Tag.OBJECT_IDENTIFIER).value);
    const critical = extension.peek();
    if (critical !== null && critical.tagClass === 'universal' && critical.tagNumber === Tag.BOOLEAN) {
      decodeBoolean(extension.read().value);
    }
    const value = extension.expect(Tag.OCTET_STRING).value;
    extension.end('Extension');
    if (oid === OID_SUBJECT_ALT_NAME) names = parseGeneralNames(value);
  }
  return names;
}

/**
 * GeneralNames as strings: "DNS:…", "IP:…", "email:…", "URI:…", "DirName:<RFC 4514>",
 * "RID:<oid>", "othername:<oid>"; x400Address and ediPartyName are skipped.
 */
function parseGeneralNames(der: Buffer): string[] {
  const { element, reader } = readSingle(der);
  if (element.tagNumber !== Tag.SEQUENCE || !element.constructed) throw new DerError('GeneralNames is a SEQUENCE', 0);
  const names = reader.children(element);
  const out: string[] = [];
  while (!names.done) {
    const name = names.read();
    if (name.tagClass !== 'context') throw new DerError('a GeneralName is context-tagged', name.offset);
    const text = formatGeneralName(names, name);
    if (text !== null) out.push(text);
  }
  return out;
}

function formatGeneralName(parent: DerReader, name: DerElement): string | null {
  switch (name.tagNumber) {
    case 0: {
      const other = parent.children(name);
      return `othername:${decodeOid(other.expect(Tag.OBJECT_IDENTIFIER).value)}`;
    }
    case 1:
      return `email:${sanitizeText(name.value)}`;
    case 2:
      return `DNS:${sanitizeText(name.value)}`;
    case 4: {
      const inner = parent.children(name);
      const dn = inner.expect(Tag.SEQUENCE);
      inner.end('directoryName');
      return `DirName:${formatAttributes(parseName(inner, dn))}`;
    }
    case 6:
      return `URI:${sanitizeText(name.value)}`;
    case 7:
      return `IP:${formatIpAddress(name.value)}`;
    case 8:
      return `RID:${decodeOid(name.value)}`;
    default:
      return null;
  }
}

/** IPv4 dotted, IPv6 in RFC 5952 compressed form; any other length as hex. */
function formatIpAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return bytes.toString('hex');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Host name matching lives in the model (rules use it too); the TLS layer's callers find it here as before. */
export { matchesHostname };
