/**
 * One bounded HTTPS GET, as MTA-STS fetches its policy (RFC 8461 §3.3): to
 * addresses the caller resolved and vetted (the lookup answers from them, never
 * from the system's resolver), the host name as SNI and for hostname
 * verification, a verifying secure context, one deadline over connect, TLS,
 * headers and body, no redirect followed, the body capped while it is read.
 * Never throws: every failure is a code.
 */
import type { LookupAddress } from 'node:dns';
import { request, type RequestOptions } from 'node:https';
import { isIPv6 } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { ErrorInfo } from '../model/report.js';
import { capText } from '../model/limits.js';
import { sanitizeText } from '../model/sanitize.js';

export interface HttpsGet {
  /** The host name: SNI, the Host header and the name the certificate must carry. */
  readonly host: string;
  /** Where to connect, in order of preference (already vetted by the caller). */
  readonly addresses: readonly string[];
  readonly port: number;
  readonly path: string;
  /** A context that verifies the chain (Node's roots and any extra anchors). */
  readonly secureContext: SecureContext;
  /** One deadline for connect, TLS, headers and body. */
  readonly timeoutMs: number;
  /** Bodies (declared or read) larger than this are refused. */
  readonly maxBytes: number;
  /** The media type the body must have (parameters allowed). */
  readonly mediaType: string;
  readonly userAgent: string;
  /** Aborts the request (the scan was cut). */
  readonly signal?: AbortSignal;
}

/** Codes: connect-failed, webpki-invalid, tls-failed, http-status, content-type, too-large, timeout. */
export type HttpsGetResult =
  | { readonly ok: true; readonly body: string; readonly status: number; readonly mediaType: string }
  | { readonly ok: false; readonly error: ErrorInfo };

/** Node's codes for a certificate that fails verification (chain, dates, name, key or digest strength). */
const VERIFY_FAILURE = /CERT|ISSUER|SELF_SIGNED|ALTNAME|HOSTNAME|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|KEY_TOO_SMALL|MD_TOO_WEAK|UNABLE_TO_VERIFY/;

/** The failure of a request that ended in an error, by how far it got. */
function failure(error: NodeJS.ErrnoException, stage: 'dns' | 'connect' | 'tls' | 'http', host: string): ErrorInfo {
  const code = error.code ?? '';
  if (VERIFY_FAILURE.test(code)) return { code: 'webpki-invalid', message: `${host}: the certificate fails validation (${code}: ${error.message})` };
  if (stage === 'dns' || stage === 'connect') return { code: 'connect-failed', message: `${host}: no connection (${code || error.message})` };
  if (stage === 'tls') return { code: 'tls-failed', message: `${host}: the TLS handshake failed (${code || error.message})` };
  return { code: 'connect-failed', message: `${host}: the connection broke during the HTTP exchange (${code || error.message})` };
}

export function httpsGet(options: HttpsGet): Promise<HttpsGetResult> {
  return new Promise((resolve) => {
    let settled = false;
    let stage: 'dns' | 'connect' | 'tls' | 'http' = 'dns';
    const families = options.addresses.map((address): LookupAddress => ({ address, family: isIPv6(address) ? 6 : 4 }));
    // Node 20's autoSelectFamily asks with {all: true}: the array form; otherwise one address.
    const lookup = (_name: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void): void => {
      if (families.length === 0) {
        callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }));
        return;
      }
      if (lookupOptions.all === true) callback(null, families);
      else callback(null, families[0]?.address, families[0]?.family);
    };
    // secureContext reaches tls.connect (https passes its options through); the types only list SecureContextOptions.
    const requestOptions: RequestOptions & { secureContext: SecureContext } = {
      host: options.host,
      port: options.port,
      path: options.path,
      method: 'GET',
      agent: false,
      servername: options.host,
      secureContext: options.secureContext,
      lookup: lookup as never,
      headers: { 'User-Agent': options.userAgent, Accept: options.mediaType },
    };
    const req = request(requestOptions);
    const finish = (result: HttpsGetResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(result);
    };
    const fail = (code: string, message: string): void => finish({ ok: false, error: { code, message } });
    const timer = setTimeout(() => fail('timeout', `${options.host}: no complete answer within ${options.timeoutMs} ms`), options.timeoutMs);
    const onAbort = (): void => fail('timeout', `${options.host}: the scan was cut before the policy arrived`);
    if (options.signal?.aborted === true) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('socket', (socket) => {
      stage = 'connect';
      socket.once('connect', () => (stage = 'tls'));
      socket.once('secureConnect', () => (stage = 'http'));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: failure(error, stage, options.host) }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const location = res.headers.location;
        const redirect = status >= 300 && status < 400 && typeof location === 'string' ? ` (a redirect to ${headerText(location, 200)}: not followed)` : '';
        fail('http-status', `${options.host}: HTTP ${status}${redirect}`);
        return;
      }
      const mediaType = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== options.mediaType) {
        fail('content-type', `${options.host}: the media type is "${headerText(mediaType, 100) || '(none)'}", not ${options.mediaType}`);
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        fail('too-large', `${options.host}: ${declared} bytes declared, more than ${options.maxBytes}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail('too-large', `${options.host}: more than ${options.maxBytes} bytes`);
        else chunks.push(chunk);
      });
      res.on('end', () => finish({ ok: true, status, mediaType, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: failure(error, 'http', options.host) }));
    });
    req.end();
  });
}

/**
 * A header value as text: Node hands it over decoded as Latin-1, one character
 * per byte; its bytes read as UTF-8 and escaped (model/sanitize.ts), so a U+202E
 * sent in a header is `\u202E`, as anywhere else, and cut to `max` characters
 * without splitting an escape.
 */
function headerText(value: string, max: number): string {
  return capText(sanitizeText(Buffer.from(value, 'latin1')), max, 'header', {});
}
