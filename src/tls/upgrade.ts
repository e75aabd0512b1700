/**
 * TLS over an existing socket: after STARTTLS's 220, or from the first byte for
 * implicit TLS (the caller connects, then upgrades). The handshake never fails
 * on the certificate: trust and name match are recorded as facts (DESIGN.md).
 */
import { isIP, type Socket } from 'node:net';
import {
  connect as tlsConnect,
  createSecureContext,
  type ConnectionOptions,
  type PeerCertificate,
  type SecureContext,
  type SecureVersion,
  rootCertificates,
  type TLSSocket,
} from 'node:tls';
import { ScanError } from '../model/errors.js';
import type { CertificateFacts, KeyExchangeFacts, TlsFacts } from '../model/probe.js';
import { abortable } from '../net/deadline.js';
import { summarizeLeaf } from './certificate.js';
import { groupByCode } from './groups.js';
import { tlsVersionRank as versionRank } from '../model/tls-versions.js';
import { HandshakeTap } from './tap.js';
import { chainFromHandshake, splitHandshake, splitRecords } from './wire.js';
import type { Duplex } from 'node:stream';

/**
 * What the client offers beyond the versions, for sessions that must offer
 * something other than Node's defaults (one offer per handshake). Every field is optional;
 * when all are absent the handshake is exactly the plain probe's.
 */
export interface TlsOffer {
  /**
   * OpenSSL cipher string: TLS 1.0-1.2 suites by their OpenSSL names, TLS 1.3
   * suites by their TLS_ names (Node hands those to the TLS 1.3 list). Add
   * "@SECLEVEL=0" to offer what OpenSSL 3 refuses at its default level (TLS
   * 1.0/1.1, SHA-1, small DH). Absent: Node's default list (LEGACY_CIPHERS
   * when the minimum is below TLS 1.2).
   */
  readonly ciphers?: string;
  /** Groups offered, in order, colon separated OpenSSL names ("X25519:P-256:ffdhe2048"). Absent: Node's default. */
  readonly ecdhCurve?: string;
  /** Signature algorithms offered (OpenSSL syntax, "ECDSA+SHA256:rsa_pss_rsae_sha256"). Absent: OpenSSL's default. */
  readonly sigalgs?: string;
}

/** What the server's ServerHello (read from the wire) selected. */
export interface ServerHelloFacts {
  /** The version the server chose ("TLSv1.2"; TLS 1.3 from supported_versions), or "0x0305" style when unknown. */
  readonly version: string;
  /** The cipher suite it selected, as its IANA code point. */
  readonly cipherSuite: number;
  /** The first answer was a TLS 1.3 HelloRetryRequest (it names the suite too) rather than a ServerHello. */
  readonly helloRetryRequest: boolean;
  /**
   * TLS 1.3: the group of the server's key share (the ServerHello after a
   * HelloRetryRequest, or the group the retry asked for when no ServerHello
   * followed), as its IANA code point; null in TLS 1.0-1.2 or when absent.
   * Read from the wire because getEphemeralKeyInfo() cannot name every group
   * (Node 22 returns nothing for X25519MLKEM768).
   */
  readonly group: number | null;
}

export interface TlsUpgradeOptions extends TlsOffer {
  /** SNI and the name the certificate is matched against; not sent when null or an IP literal. */
  readonly sni: string | null;
  readonly minVersion: SecureVersion;
  /** Default TLSv1.3. */
  readonly maxVersion?: SecureVersion;
  /** Trust anchors (PEM) that replace Node's default store for the `trusted` verdict. */
  readonly trustAnchors: readonly string[];
  /** Presented when the server asks for a client certificate. */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string } | undefined;
  /** Aborts the handshake: the TLS socket is destroyed and the promise rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Wall clock for the certificate's daysRemaining. */
  readonly wallClock: () => number;
  /** False: the handshake's outcome only, no certificate read (enumeration handshakes judge none). Default true. */
  readonly readCertificate?: boolean;
  /** Receives the handshake tap and the TLS socket as soon as they exist, so the caller can destroy them on every path. */
  readonly onSocket?: (socket: Duplex) => void;
  /**
   * Called with the server's ServerHello as read from the wire, when one could
   * be read: after a completed handshake, and when the handshake fails after the
   * server sent one (before the rejection).
   */
  readonly onServerHello?: (hello: ServerHelloFacts) => void;
}

export interface TlsUpgrade {
  /** The TLS socket, ready for the EHLO inside TLS. */
  readonly socket: TLSSocket;
  readonly tls: TlsFacts;
  /** Omitted when the server sent no certificate or its leaf could not be decoded. */
  readonly certificate?: CertificateFacts;
}

/** Certificates of a chain kept in the report; a longer chain is cut here and its length recorded. */
export const MAX_CHAIN = 16;
/** A handshake logs a handful of secrets; more is not a handshake we understand. */
const MAX_KEYLOG_LINES = 16;

/**
 * OpenSSL reasons that mean "no protocol version in common" (the client's or the
 * server's view). Not "wrong version number": OpenSSL says that of a record
 * that is not TLS at all (a server answering the ClientHello in plaintext).
 */
const VERSION_REASONS = ['alert protocol version', 'unsupported protocol', 'no protocols available'];

/** TLS 1.0/1.1 need this with OpenSSL 3, which refuses them at its default security level. */
export const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

/**
 * Runs the client handshake over `socket` and gathers the facts. Rejects with a
 * ScanError (phase tls): tls-handshake-failed with the OpenSSL reason, or the
 * signal's reason (e.g. tls-timeout). The TLS socket is destroyed on failure.
 */
export async function upgradeTls(socket: Socket, options: TlsUpgradeOptions): Promise<TlsUpgrade> {
  options.signal.throwIfAborted();
  const tap = new HandshakeTap(socket);
  options.onSocket?.(tap);
  const keylog: string[] = [];
  const secure = tlsConnect(connectionOptions(tap, options));
  // The TLS 1.3 handshake secret, to read the chain as sent (./wire.ts); used once, never reported.
  if (options.readCertificate !== false) {
    secure.on('keylog', (line: Buffer) => {
      if (keylog.length < MAX_KEYLOG_LINES) keylog.push(line.toString('latin1'));
    });
  }
  secure.on('error', () => undefined); // errors are handled below; none may go unhandled later
  skipIdentityCertificate(secure);
  options.onSocket?.(secure);
  try {
    await abortable<void>(options.signal, (resolve, reject) => {
      const onError = (error: Error): void => reject(handshakeFailure(error));
      const onClose = (): void => reject(handshakeFailure(new Error('the server closed the connection during the TLS handshake')));
      secure.once('secureConnect', resolve);
      secure.once('error', onError);
      secure.once('close', onClose);
      return () => {
        secure.off('secureConnect', resolve);
        secure.off('error', onError);
        secure.off('close', onClose);
      };
    });
    const recording = tap.takeRecording();
    const hello = recording === null ? null : serverHelloOf(recording);
    if (hello !== null) options.onServerHello?.(hello);
    return collectFacts(secure, options, recording, keylog, hello);
  } catch (error) {
    if (options.onServerHello !== undefined) {
      const recording = tap.takeRecording();
      const hello = recording === null ? null : serverHelloOf(recording);
      if (hello !== null) options.onServerHello(hello);
    }
    secure.destroy();
    tap.destroy();
    throw error instanceof ScanError && error.phase === undefined
      ? new ScanError(error.code, error.message, { phase: 'tls', cause: error.cause })
      : error;
  }
}

/**
 * When a verified handshake completes, Node builds the whole peer chain as
 * JavaScript objects (getPeerCertificate(true)) only to hand it to
 * checkServerIdentity, which mxready replaces with a no-op (the name is matched
 * per MX name from the chain as sent): about a sixth of a probe's CPU time. Until
 * 'secureConnect', this socket's getPeerCertificate answers with an empty object;
 * then the real one is back (the fallback chain in peerChain() uses it).
 */
function skipIdentityCertificate(secure: TLSSocket): void {
  Object.defineProperty(secure, 'getPeerCertificate', { value: () => ({}), configurable: true, writable: true });
  const restore = (): void => {
    delete (secure as { getPeerCertificate?: unknown }).getPeerCertificate;
  };
  secure.once('secureConnect', restore);
  secure.once('close', restore);
}

/**
 * Secure contexts, memoised per trust-anchor list (one list per scan) and offer.
 * Building a context parses every anchor (Node's ~140 roots): done once per scan
 * instead of once per handshake, which otherwise dominates a scan's CPU time.
 */
const CONTEXTS = new WeakMap<readonly string[], WeakMap<object, Map<string, SecureContext>>>();
/** Stands for "no client certificate" in the memo. */
const NO_CLIENT = {};

/**
 * Contexts kept per anchor list and client certificate for offers with explicit
 * ciphers, groups or signature algorithms (a caller that tests offers builds one per
 * elimination step, so their number is not bounded by the scan's options); past
 * this the oldest such context is dropped. Plain offers are never dropped.
 */
export const MAX_OFFER_CONTEXTS = 256;

function secureContextFor(
  trustAnchors: readonly string[],
  minVersion: SecureVersion,
  maxVersion: SecureVersion,
  client?: TlsUpgradeOptions['clientCertificate'],
  offer: TlsOffer = {},
): SecureContext {
  let byClient = CONTEXTS.get(trustAnchors);
  if (!byClient) {
    byClient = new WeakMap();
    CONTEXTS.set(trustAnchors, byClient);
  }
  let byOffer = byClient.get(client ?? NO_CLIENT);
  if (!byOffer) {
    byOffer = new Map();
    byClient.set(client ?? NO_CLIENT, byOffer);
  }
  const custom = offer.ciphers !== undefined || offer.ecdhCurve !== undefined || offer.sigalgs !== undefined;
  const key = custom
    ? `${minVersion}-${maxVersion}|ciphers=${offer.ciphers ?? ''}|groups=${offer.ecdhCurve ?? ''}|sigalgs=${offer.sigalgs ?? ''}`
    : `${minVersion}-${maxVersion}`;
  let context = byOffer.get(key);
  if (!context) {
    const ciphers = offer.ciphers ?? (versionRank(minVersion) < versionRank('TLSv1.2') ? LEGACY_CIPHERS : undefined);
    const settings = {
      minVersion,
      maxVersion,
      ...(ciphers !== undefined ? { ciphers } : {}),
      ...(offer.ecdhCurve !== undefined ? { ecdhCurve: offer.ecdhCurve } : {}),
      ...(offer.sigalgs !== undefined ? { sigalgs: offer.sigalgs } : {}),
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    };
    context = withNodeRoots(trustAnchors, settings) ?? createSecureContext({ ca: [...trustAnchors], ...settings });
    if (custom) evictOldestOffer(byOffer);
    byOffer.set(key, context);
  }
  return context;
}

/**
 * When the anchors are Node's bundled roots followed by extra ones (what a scan
 * passes), a context that starts from Node's default store (its roots parsed once
 * a process, natively) with the extra anchors added, instead of one that parses
 * every root again: about 20 ms of CPU per context. Null when the anchors are
 * another list, or this Node has no addCACert on its contexts.
 */
function withNodeRoots(trustAnchors: readonly string[], settings: Parameters<typeof createSecureContext>[0]): SecureContext | null {
  if (trustAnchors.length < rootCertificates.length) return null;
  for (let i = 0; i < rootCertificates.length; i += 1) if (trustAnchors[i] !== rootCertificates[i]) return null;
  const context = createSecureContext(settings);
  const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function') return null;
  for (const pem of trustAnchors.slice(rootCertificates.length)) native.addCACert(pem);
  return context;
}

/** Drops the oldest offer-specific context once MAX_OFFER_CONTEXTS are held (a Map iterates in insertion order). */
function evictOldestOffer(byOffer: Map<string, SecureContext>): void {
  let count = 0;
  let oldest: string | undefined;
  for (const key of byOffer.keys()) {
    if (!key.includes('|')) continue;
    oldest ??= key;
    count += 1;
  }
  if (count >= MAX_OFFER_CONTEXTS && oldest !== undefined) byOffer.delete(oldest);
}

/** Options for tls.connect: everything offered, nothing rejected on the spot. */
export function connectionOptions(
  socket: Duplex,
  options: Pick<TlsUpgradeOptions, 'sni' | 'minVersion' | 'maxVersion' | 'trustAnchors' | 'clientCertificate' | 'ciphers' | 'ecdhCurve' | 'sigalgs'>,
): ConnectionOptions {
  const maxVersion = options.maxVersion ?? 'TLSv1.3';
  const offer: TlsOffer = {
    ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : {}),
    ...(options.ecdhCurve !== undefined ? { ecdhCurve: options.ecdhCurve } : {}),
    ...(options.sigalgs !== undefined ? { sigalgs: options.sigalgs } : {}),
  };
  const result: ConnectionOptions = {
    socket,
    minVersion: options.minVersion,
    maxVersion,
    secureContext: secureContextFor(options.trustAnchors, options.minVersion, maxVersion, options.clientCertificate, offer),
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  if (options.sni !== null && isIP(options.sni) === 0) result.servername = options.sni;
  // tls.connect takes the offer from the context; these only repeat it for whoever reads the options.
  if (options.ciphers !== undefined) result.ciphers = options.ciphers;
  else if (versionRank(options.minVersion) < versionRank('TLSv1.2')) result.ciphers = LEGACY_CIPHERS;
  if (options.ecdhCurve !== undefined) result.ecdhCurve = options.ecdhCurve;
  if (options.sigalgs !== undefined) result.sigalgs = options.sigalgs;
  return result;
}

const CONTENT_CHANGE_CIPHER_SPEC = 20;
const CONTENT_HANDSHAKE = 22;
const HANDSHAKE_SERVER_HELLO = 2;
const EXTENSION_SUPPORTED_VERSIONS = 43;
const EXTENSION_KEY_SHARE = 51;
/** SHA-256 of "HelloRetryRequest": the random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HELLO_RETRY_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');
const WIRE_VERSIONS: Readonly<Record<number, string>> = { 0x0300: 'SSLv3', 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' };

interface HelloFields {
  readonly wireVersion: number;
  readonly cipherSuite: number;
  readonly retry: boolean;
  readonly keyShare: number | null;
}

/**
 * The ServerHello in the server's bytes (the cleartext handshake records at the
 * start of its flight; a TLS 1.3 server's change_cipher_spec between a
 * HelloRetryRequest and its ServerHello is skipped), or null when there is none
 * or it cannot be read.
 */
export function serverHelloOf(serverBytes: Buffer): ServerHelloFacts | null {
  const fragments: Buffer[] = [];
  for (const record of splitRecords(serverBytes)) {
    if (record.type === CONTENT_CHANGE_CIPHER_SPEC) continue;
    if (record.type !== CONTENT_HANDSHAKE) break;
    fragments.push(record.fragment);
  }
  const hellos: HelloFields[] = [];
  for (const message of splitHandshake(Buffer.concat(fragments))) {
    if (message.type !== HANDSHAKE_SERVER_HELLO) break;
    const fields = helloFields(message.body);
    if (fields === null) break;
    hellos.push(fields);
  }
  const first = hellos[0];
  if (first === undefined) return null;
  const last = hellos[hellos.length - 1] ?? first;
  return {
    version: WIRE_VERSIONS[last.wireVersion] ?? `0x${last.wireVersion.toString(16).padStart(4, '0')}`,
    cipherSuite: first.cipherSuite,
    helloRetryRequest: first.retry,
    group: last.keyShare,
  };
}

/** legacy_version(2) random(32) session_id<0..32> cipher_suite(2) compression(1) extensions<0..2^16-1>. */
function helloFields(body: Buffer): HelloFields | null {
  if (body.length < 35) return null;
  const sessionIdLength = body[34] ?? 0;
  let offset = 35 + sessionIdLength;
  if (offset + 3 > body.length) return null;
  const cipherSuite = body.readUInt16BE(offset);
  offset += 3;
  let wireVersion = body.readUInt16BE(0);
  let keyShare: number | null = null;
  if (offset + 2 <= body.length) {
    const end = Math.min(body.length, offset + 2 + body.readUInt16BE(offset));
    for (let at = offset + 2; at + 4 <= end; ) {
      const type = body.readUInt16BE(at);
      const length = body.readUInt16BE(at + 2);
      if (type === EXTENSION_SUPPORTED_VERSIONS && length === 2 && at + 6 <= end) wireVersion = body.readUInt16BE(at + 4);
      // A ServerHello's KeyShareEntry and a HelloRetryRequest's selected_group both start with the group.
      if (type === EXTENSION_KEY_SHARE && length >= 2 && at + 6 <= end) keyShare = body.readUInt16BE(at + 4);
      at += 4 + length;
    }
  }
  return { wireVersion, cipherSuite, retry: body.subarray(2, 34).equals(HELLO_RETRY_RANDOM), keyShare };
}

/** The version scale lives in src/model/tls-versions.ts; these names are the TLS layer's. */
export { tlsVersionRank as versionRank, versionBelow } from '../model/tls-versions.js';

/** Whether a handshake failure means "no protocol version in common". Looks at the error and its causes. */
export function isVersionFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const text = `${(e as { reason?: unknown }).reason ?? ''} ${e.message}`.toLowerCase();
    if (VERSION_REASONS.some((reason) => text.includes(reason))) return true;
  }
  return false;
}

/** The OpenSSL reason of a handshake error ("tlsv1 alert protocol version"), else its message. */
export function handshakeReason(error: Error): string {
  const reason = (error as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason : error.message;
}

function handshakeFailure(error: Error): ScanError {
  return new ScanError('tls-handshake-failed', `TLS handshake failed: ${handshakeReason(error)}`, { phase: 'tls', cause: error });
}

function collectFacts(
  secure: TLSSocket,
  options: TlsUpgradeOptions,
  serverBytes: Buffer | null,
  keylog: readonly string[],
  hello: ServerHelloFacts | null,
): TlsUpgrade {
  const protocol = secure.getProtocol() ?? 'unknown';
  const cipher = secure.getCipher();
  const standardName = cipher.standardName ?? cipher.name;
  const tls: TlsFacts = {
    protocol,
    cipher: { name: cipher.name, standardName },
    keyExchange: withWireGroup(describeKeyExchange(standardName, secure.getEphemeralKeyInfo()), protocol, hello),
    forwardSecrecy: hasForwardSecrecy(protocol, standardName),
  };
  if (options.readCertificate === false) return { socket: secure, tls };
  const trusted = secure.authorized;
  const sent = serverBytes === null ? null : chainFromHandshake(serverBytes, keylog, protocol, standardName);
  const chain = sent ?? peerChain(secure);
  const certificate = summarizeChain(chain.slice(0, MAX_CHAIN), {
    trusted,
    validationError: trusted ? null : validationErrorOf(secure),
    hostname: options.sni,
    nowMs: options.wallClock(),
  });
  if (certificate !== undefined) {
    const length = chain.length > MAX_CHAIN ? { chainLength: chain.length } : {};
    return { socket: secure, tls, certificate: { ...certificate, chainAsSent: sent !== null, ...length } };
  }
  return certificate === undefined ? { socket: secure, tls } : { socket: secure, tls, certificate };
}

/** OpenSSL's verification error code ("CERT_HAS_EXPIRED"); Node types it as Error but sets a string. */
function validationErrorOf(secure: TLSSocket): string {
  const raw: unknown = secure.authorizationError;
  if (typeof raw === 'string' && raw !== '') return raw;
  if (raw instanceof Error) return (raw as NodeJS.ErrnoException).code ?? raw.message;
  return 'UNABLE_TO_VERIFY';
}

/**
 * The certificates as DER, leaf first, from Node's peer certificate list.
 * Caveat: Node rebuilds this list by following issuers through the certificates
 * the server sent, so it is not necessarily the order on the wire, and it may end
 * with the trust anchor from the local store even when the server did not send it.
 * The walk stops when a certificate repeats (a self-signed root is its own issuer).
 */
export function peerChain(secure: Pick<TLSSocket, 'getPeerCertificate'>): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<PeerCertificate>();
  let cert: PeerCertificate | undefined = secure.getPeerCertificate(true);
  while (cert !== undefined && Buffer.isBuffer(cert.raw) && !seen.has(cert) && chain.length < MAX_CHAIN) {
    seen.add(cert);
    chain.push(cert.raw);
    cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return chain;
}

function summarizeChain(chain: readonly Buffer[], facts: Parameters<typeof summarizeLeaf>[1]): CertificateFacts | undefined {
  if (chain.length === 0) return undefined;
  try {
    return summarizeLeaf(chain, facts);
  } catch (error) {
    if (error instanceof Error && error.name === 'CertificateParseError') return undefined;
    throw error;
  }
}

/** OpenSSL curve names → the names the report uses. */
const GROUP_NAMES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
  x25519: 'X25519',
  x448: 'X448',
};

/**
 * Key exchange from getEphemeralKeyInfo() and the suite: ECDH with its group,
 * finite-field DH with its size, static RSA for TLS_RSA_* suites, else unknown.
 */
export function describeKeyExchange(
  standardName: string,
  ephemeral: { type?: string; name?: string; size?: number } | null | undefined,
): KeyExchangeFacts {
  const bits = typeof ephemeral?.size === 'number' ? ephemeral.size : null;
  if (ephemeral?.type === 'ECDH') {
    const name = ephemeral.name ?? null;
    return { type: 'ECDH', group: name === null ? null : (GROUP_NAMES[name.toLowerCase()] ?? name), bits };
  }
  if (ephemeral?.type === 'DH') return { type: 'DH', group: null, bits };
  if (/^TLS_RSA_/.test(standardName)) return { type: 'RSA', group: null, bits: null };
  return { type: ephemeral?.type ?? null, group: ephemeral?.name ?? null, bits };
}

/**
 * Fills a TLS 1.3 key exchange Node could not name (getEphemeralKeyInfo() is
 * empty for hybrid groups such as X25519MLKEM768 on Node 22) from the group the
 * ServerHello's key share names on the wire.
 */
export function withWireGroup(facts: KeyExchangeFacts, protocol: string, hello: ServerHelloFacts | null): KeyExchangeFacts {
  if (protocol !== 'TLSv1.3' || facts.group !== null || hello === null || hello.group === null) return facts;
  const name = groupByCode(hello.group)?.name ?? `0x${hello.group.toString(16).padStart(4, '0')}`;
  const type = /MLKEM/i.test(name) ? 'ECDH+MLKEM' : /^ffdhe/i.test(name) ? 'DH' : 'ECDH';
  return { type, group: name, bits: facts.bits };
}

/** TLS 1.3 always; TLS 1.2 and below only with an ephemeral (EC)DHE suite. */
export function hasForwardSecrecy(protocol: string, standardName: string): boolean {
  if (protocol === 'TLSv1.3') return true;
  return /^TLS_(ECDHE|DHE)_|^(ECDHE|DHE|EDH)-/.test(standardName);
}

/**
 * A context that verifies certificates against these anchors, TLS 1.2 to 1.3,
 * made once per anchor list (as probes make theirs): for HTTPS clients of the
 * scan (the MTA-STS policy fetch).
 */
export function verifyingContext(trustAnchors: readonly string[]): SecureContext {
  return secureContextFor(trustAnchors, 'TLSv1.2', 'TLSv1.3');
}
