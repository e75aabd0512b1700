/**
 * Certificate factory for the offline lab and the tests: a root CA, subordinate
 * CAs, CA-issued and self-signed server certificates, generated on demand with
 * Node's WebCrypto and @peculiar/x509. Nothing is cached and nothing is written
 * to disk; every call makes fresh keys.
 *
 * The output is plain PEM that `tls.createServer({ key, cert })` accepts (the key
 * is PKCS#8) and that OpenSSL verifies as a trusted chain given `ca: [ca.certPem]`.
 */
// @peculiar/x509 v2 resolves its algorithms through tsyringe, which refuses to load
// without a Reflect metadata polyfill; it must be evaluated before the library.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;

// @peculiar/x509 keeps its provider in a module-level slot; pointing it at Node's
// WebCrypto is idempotent. Every call below also passes `webcrypto` explicitly.
x509.cryptoProvider.set(webcrypto);

/** Key algorithms the factory can generate. */
export type LabKeyType = 'ec-p256' | 'ec-p384' | 'rsa-1024' | 'rsa-2048' | 'rsa-4096';

/** A certificate with its private key, all PEM. */
export interface LabCertificate {
  /** The certificate itself. */
  readonly certPem: string;
  /** The private key, PKCS#8 ("BEGIN PRIVATE KEY"). */
  readonly keyPem: string;
  /** leaf then intermediates, PEM, for tls.createServer's `cert` */
  readonly chainPem: string;
}

/** What to put in a server (end-entity) certificate. */
export interface IssueOptions {
  /** Subject CN. Any characters: it is stored as a UTF8String, never parsed as a DN. */
  commonName: string;
  /** dNSName SAN entries, in this order. */
  dnsNames?: string[];
  /** iPAddress SAN entries (IPv4 or IPv6 text), after the DNS names. */
  ipAddresses?: string[];
  /** Default: now − 1 day. */
  notBefore?: Date;
  /** Default: now + 90 days. */
  notAfter?: Date;
  /** Default: 'ec-p256'. */
  keyType?: LabKeyType;
  /** Hash of the issuer's signature. Default: 'SHA-256'. */
  hash?: 'SHA-1' | 'SHA-256' | 'SHA-384';
  /** Subject O, placed before CN (so the RFC 4514 form reads "CN=…,O=…"). */
  organization?: string;
}

/** A certificate authority that can issue server certificates and subordinate CAs. */
export interface LabCa extends LabCertificate {
  /** Issues a server certificate signed by this CA; its chainPem is leaf + this CA's intermediates. */
  issue(opts: IssueOptions): Promise<LabCertificate>;
  /** a subordinate CA whose issued certs chain leaf→intermediate */
  intermediate(opts: { commonName: string; keyType?: LabKeyType }): Promise<LabCa>;
}

type HashName = 'SHA-1' | 'SHA-256' | 'SHA-384';

const DAY_MS = 86_400_000;
const DEFAULT_VALIDITY_DAYS = 90;

/** The private half of a signer, kept as PKCS#8 so it can be re-imported per hash. */
interface Signer {
  readonly keyType: LabKeyType;
  readonly pkcs8: ArrayBuffer;
  readonly publicKey: CryptoKey;
  /** The signer's subject Name, DER, copied verbatim into the issuer field. */
  readonly subjectDer: ArrayBuffer;
}

/**
 * Creates a self-signed root CA (basicConstraints CA:true critical, keyCertSign +
 * cRLSign). Defaults: ec-p256, valid from now − 1 day to now + 90 days.
 */
export async function createCa(opts: {
  commonName: string;
  keyType?: LabKeyType;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<LabCa> {
  const keyType = opts.keyType ?? 'ec-p256';
  const keys = await generateKeyPair(keyType);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const subject = buildName(opts.commonName, undefined);
  const validity = resolveValidity(opts.notBefore, opts.notAfter);
  const cert = await signCertificate({
    subject,
    issuerDer: subject.toArrayBuffer(),
    publicKey: keys.publicKey,
    issuerPublicKey: keys.publicKey,
    extensions: await caExtensions(keys.publicKey, keys.publicKey),
    signer: { keyType, pkcs8 },
    hash: 'SHA-256',
    ...validity,
  });
  const signer: Signer = { keyType, pkcs8, publicKey: keys.publicKey, subjectDer: cert.subjectName.toArrayBuffer() };
  return makeCa(cert, signer, '');
}

/**
 * Creates a self-signed server certificate with the same profile as an issued one
 * (CA:false, serverAuth, SAN). OpenSSL reports it as self-signed when verifying.
 */
export async function createSelfSigned(opts: IssueOptions): Promise<LabCertificate> {
  const keyType = opts.keyType ?? 'ec-p256';
  const keys = await generateKeyPair(keyType);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const subject = buildName(opts.commonName, opts.organization);
  const cert = await signCertificate({
    subject,
    issuerDer: subject.toArrayBuffer(),
    publicKey: keys.publicKey,
    issuerPublicKey: keys.publicKey,
    extensions: await leafExtensions(opts, keyType, keys.publicKey, keys.publicKey),
    signer: { keyType, pkcs8 },
    hash: opts.hash ?? 'SHA-256',
    ...resolveValidity(opts.notBefore, opts.notAfter),
  });
  const certPem = toPem('CERTIFICATE', cert.rawData);
  return { certPem, keyPem: toPem('PRIVATE KEY', pkcs8), chainPem: certPem };
}

/** Wraps a CA certificate and its signer into the LabCa interface. */
function makeCa(cert: x509.X509Certificate, signer: Signer, parentIntermediatesPem: string): LabCa {
  const certPem = toPem('CERTIFICATE', cert.rawData);
  const isRoot = parentIntermediatesPem === '' && isSelfIssued(cert);
  /** The CA certificates a server sends after its leaf: this CA (unless root) and its parents' intermediates. */
  const intermediatesPem = isRoot ? '' : certPem + parentIntermediatesPem;
  return {
    certPem,
    keyPem: toPem('PRIVATE KEY', signer.pkcs8),
    chainPem: certPem + parentIntermediatesPem,
    issue: (opts) => issueLeaf(signer, intermediatesPem, opts),
    intermediate: (opts) => issueIntermediate(signer, intermediatesPem, opts),
  };
}

function isSelfIssued(cert: x509.X509Certificate): boolean {
  return Buffer.from(cert.subjectName.toArrayBuffer()).equals(Buffer.from(cert.issuerName.toArrayBuffer()));
}

async function issueLeaf(signer: Signer, intermediatesPem: string, opts: IssueOptions): Promise<LabCertificate> {
  const keyType = opts.keyType ?? 'ec-p256';
  const keys = await generateKeyPair(keyType);
  const cert = await signCertificate({
    subject: buildName(opts.commonName, opts.organization),
    issuerDer: signer.subjectDer,
    publicKey: keys.publicKey,
    issuerPublicKey: signer.publicKey,
    extensions: await leafExtensions(opts, keyType, keys.publicKey, signer.publicKey),
    signer,
    hash: opts.hash ?? 'SHA-256',
    ...resolveValidity(opts.notBefore, opts.notAfter),
  });
  const certPem = toPem('CERTIFICATE', cert.rawData);
  const keyPem = toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem, keyPem, chainPem: certPem + intermediatesPem };
}

async function issueIntermediate(
  parent: Signer,
  parentIntermediatesPem: string,
  opts: { commonName: string; keyType?: LabKeyType },
): Promise<LabCa> {
  const keyType = opts.keyType ?? 'ec-p256';
  const keys = await generateKeyPair(keyType);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const cert = await signCertificate({
    subject: buildName(opts.commonName, undefined),
    issuerDer: parent.subjectDer,
    publicKey: keys.publicKey,
    issuerPublicKey: parent.publicKey,
    extensions: await caExtensions(keys.publicKey, parent.publicKey),
    signer: parent,
    hash: 'SHA-256',
    ...resolveValidity(undefined, undefined),
  });
  const signer: Signer = { keyType, pkcs8, publicKey: keys.publicKey, subjectDer: cert.subjectName.toArrayBuffer() };
  return makeCa(cert, signer, parentIntermediatesPem);
}

interface SignParams {
  readonly subject: x509.Name;
  readonly issuerDer: ArrayBuffer;
  readonly publicKey: CryptoKey;
  readonly issuerPublicKey: CryptoKey;
  readonly extensions: x509.Extension[];
  readonly signer: Pick<Signer, 'keyType' | 'pkcs8'>;
  readonly hash: HashName;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

async function signCertificate(p: SignParams): Promise<x509.X509Certificate> {
  const { signingKey, signingAlgorithm } = await importSigningKey(p.signer, p.hash);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerialHex(),
      subject: p.subject,
      issuer: new x509.Name(p.issuerDer),
      notBefore: p.notBefore,
      notAfter: p.notAfter,
      publicKey: p.publicKey,
      signingKey,
      signingAlgorithm,
      extensions: p.extensions,
    },
    webcrypto,
  );
}

/**
 * WebCrypto binds an RSA key to one hash, so the signer's key is imported afresh
 * for the requested hash; ECDSA takes the hash from the sign parameters.
 */
async function importSigningKey(
  signer: Pick<Signer, 'keyType' | 'pkcs8'>,
  hash: HashName,
): Promise<{ signingKey: CryptoKey; signingAlgorithm: Algorithm }> {
  if (signer.keyType.startsWith('rsa-')) {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash };
    const signingKey = await webcrypto.subtle.importKey('pkcs8', signer.pkcs8, algorithm, false, ['sign']);
    return { signingKey, signingAlgorithm: algorithm };
  }
  const namedCurve = signer.keyType === 'ec-p384' ? 'P-384' : 'P-256';
  const signingKey = await webcrypto.subtle.importKey('pkcs8', signer.pkcs8, { name: 'ECDSA', namedCurve }, false, [
    'sign',
  ]);
  return { signingKey, signingAlgorithm: { name: 'ECDSA', hash } as Algorithm };
}

async function generateKeyPair(keyType: LabKeyType): Promise<CryptoKeyPair> {
  switch (keyType) {
    case 'ec-p256':
      return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    case 'ec-p384':
      return webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    case 'rsa-1024':
    case 'rsa-2048':
    case 'rsa-4096':
      return webcrypto.subtle.generateKey(
        {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: Number(keyType.slice('rsa-'.length)),
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        },
        true,
        ['sign', 'verify'],
      );
  }
}

async function caExtensions(publicKey: CryptoKey, issuerPublicKey: CryptoKey): Promise<x509.Extension[]> {
  return [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webcrypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuerPublicKey, false, webcrypto),
  ];
}

async function leafExtensions(
  opts: IssueOptions,
  keyType: LabKeyType,
  publicKey: CryptoKey,
  issuerPublicKey: CryptoKey,
): Promise<x509.Extension[]> {
  const usage = keyType.startsWith('rsa-')
    ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
    : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, false),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, webcrypto),
    await x509.AuthorityKeyIdentifierExtension.create(issuerPublicKey, false, webcrypto),
  ];
  const sans: x509.JsonGeneralNames = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(sans, false));
  return extensions;
}

/**
 * Builds a Name from attribute values, each as a UTF8String in its own RDN. The
 * object form keeps @peculiar/x509 from interpreting a leading '#' or quotes.
 */
function buildName(commonName: string, organization: string | undefined): x509.Name {
  const rdns: x509.JsonNameParams = [];
  if (organization !== undefined) rdns.push({ O: [{ utf8String: organization }] });
  rdns.push({ CN: [{ utf8String: commonName }] });
  return new x509.Name(rdns);
}

function resolveValidity(notBefore: Date | undefined, notAfter: Date | undefined): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return {
    notBefore: notBefore ?? new Date(now - DAY_MS),
    notAfter: notAfter ?? new Date(now + DEFAULT_VALIDITY_DAYS * DAY_MS),
  };
}

/** 16 random bytes, top bit cleared so the INTEGER is positive without padding, never zero. */
function randomSerialHex(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function toPem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
