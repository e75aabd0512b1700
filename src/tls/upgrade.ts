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
  type TLSSocket,
} from 'node:tls';
import { ScanError } from '../errors.js';
import type { CertificateFacts, KeyExchangeFacts, TlsFacts } from '../model/probe.js';
import { abortable } from '../smtp/deadline.js';
import { summarizeLeaf } from './certificate.js';
import { HandshakeTap } from './tap.js';
import { chainFromHandshake } from './wire.js';
import type { Duplex } from 'node:stream';

export interface TlsUpgradeOptions {
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
  /** Receives the handshake tap and the TLS socket as soon as they exist, so the caller can destroy them on every path. */
  readonly onSocket?: (socket: Duplex) => void;
}

export interface TlsUpgrade {
  /** The TLS socket, ready for the EHLO inside TLS. */
  readonly socket: TLSSocket;
  readonly tls: TlsFacts;
  /** Omitted when the server sent no certificate or its leaf could not be decoded. */
  readonly certificate?: CertificateFacts;
}

const VERSION_ORDER: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/** Certificates of a chain kept in the report; a longer chain is cut here and its length recorded. */
export const MAX_CHAIN = 16;
/** A handshake logs a handful of secrets; more is not a handshake we understand. */
const MAX_KEYLOG_LINES = 16;

/** OpenSSL reasons that mean "no protocol version in common" (the client's or the server's view). */
const VERSION_REASONS = ['alert protocol version', 'unsupported protocol', 'no protocols available', 'wrong version number'];

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
  secure.on('keylog', (line: Buffer) => {
    if (keylog.length < MAX_KEYLOG_LINES) keylog.push(line.toString('latin1'));
  });
  secure.on('error', () => undefined); // errors are handled below; none may go unhandled later
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
    return collectFacts(secure, options, tap.takeRecording(), keylog);
  } catch (error) {
    secure.destroy();
    tap.destroy();
    throw error instanceof ScanError && error.phase === undefined
      ? new ScanError(error.code, error.message, { phase: 'tls', cause: error.cause })
      : error;
  }
}

/**
 * Secure contexts, memoised per trust-anchor list (one list per scan) and offer.
 * Building a context parses every anchor (Node's ~140 roots): done once per scan
 * instead of once per handshake, which otherwise dominates a scan's CPU time.
 */
const CONTEXTS = new WeakMap<readonly string[], WeakMap<object, Map<string, SecureContext>>>();
/** Stands for "no client certificate" in the memo. */
const NO_CLIENT = {};

function secureContextFor(
  trustAnchors: readonly string[],
  minVersion: SecureVersion,
  maxVersion: SecureVersion,
  client?: TlsUpgradeOptions['clientCertificate'],
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
  const key = `${minVersion}-${maxVersion}`;
  let context = byOffer.get(key);
  if (!context) {
    context = createSecureContext({
      ca: [...trustAnchors],
      minVersion,
      maxVersion,
      ...(versionRank(minVersion) < versionRank('TLSv1.2') ? { ciphers: LEGACY_CIPHERS } : {}),
      ...(client ? { cert: client.certPem, key: client.keyPem } : {}),
    });
    byOffer.set(key, context);
  }
  return context;
}

/** Options for tls.connect: everything offered, nothing rejected on the spot. */
export function connectionOptions(
  socket: Duplex,
  options: Pick<TlsUpgradeOptions, 'sni' | 'minVersion' | 'maxVersion' | 'trustAnchors' | 'clientCertificate'>,
): ConnectionOptions {
  const maxVersion = options.maxVersion ?? 'TLSv1.3';
  const result: ConnectionOptions = {
    socket,
    minVersion: options.minVersion,
    maxVersion,
    secureContext: secureContextFor(options.trustAnchors, options.minVersion, maxVersion, options.clientCertificate),
    rejectUnauthorized: false,
    checkServerIdentity: () => undefined,
  };
  if (options.sni !== null && isIP(options.sni) === 0) result.servername = options.sni;
  if (versionRank(options.minVersion) < versionRank('TLSv1.2')) result.ciphers = LEGACY_CIPHERS;
  return result;
}

/** Position of a version in TLSv1 < TLSv1.1 < TLSv1.2 < TLSv1.3 (-1 when unknown). */
export function versionRank(version: string): number {
  return VERSION_ORDER.indexOf(version as SecureVersion);
}

/** The version just below `version`, or null for TLSv1 (SSLv3 cannot be offered by Node). */
export function versionBelow(version: SecureVersion): SecureVersion | null {
  return VERSION_ORDER[versionRank(version) - 1] ?? null;
}

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

function collectFacts(secure: TLSSocket, options: TlsUpgradeOptions, serverBytes: Buffer | null, keylog: readonly string[]): TlsUpgrade {
  const protocol = secure.getProtocol() ?? 'unknown';
  const cipher = secure.getCipher();
  const standardName = cipher.standardName ?? cipher.name;
  const tls: TlsFacts = {
    protocol,
    cipher: { name: cipher.name, standardName },
    keyExchange: describeKeyExchange(standardName, secure.getEphemeralKeyInfo()),
    forwardSecrecy: hasForwardSecrecy(protocol, standardName),
  };
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

/** TLS 1.3 always; TLS 1.2 and below only with an ephemeral (EC)DHE suite. */
export function hasForwardSecrecy(protocol: string, standardName: string): boolean {
  if (protocol === 'TLSv1.3') return true;
  return /^TLS_(ECDHE|DHE)_|^(ECDHE|DHE|EDH)-/.test(standardName);
}
