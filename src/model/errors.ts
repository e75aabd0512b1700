/**
 * One error base class and the catalogue of stable error codes. Past the probe
 * and resolver boundaries errors are data ({phase, code, message}); ScanError is
 * what travels inside the IO layers before it becomes data.
 */
import type { Phase } from './probe.js';

/** Every stable error code, with what it means. Codes are kebab-case and never renamed. */
export const ERROR_CODES = {
  // usage (exit 2)
  'usage': 'bad command line, target, file or policy',
  // dns
  'nxdomain': 'the domain does not exist (NXDOMAIN)',
  'servfail': 'the DNS server failed to answer (SERVFAIL); temporary',
  'refused': 'the DNS server refused the query (REFUSED); temporary',
  'dns-timeout': 'no DNS server answered within the deadline after all retries',
  'dns-connection-refused': 'the DNS server refused the connection: nothing answers DNS at that address and port (given up at once)',
  'dns-unreachable': 'the DNS server cannot be reached: no route, network unreachable (given up at once)',
  'dns-malformed': 'a DNS answer could not be decoded',
  'dns-error': 'any other DNS response code',
  'cname-loop': 'a CNAME chain loops or is longer than the limit',
  'invalid-name': 'a name from DNS (an MX exchange, a CNAME target) is not a host name (a label with a dot or a byte other than letters, digits, - and _); shown in RFC 4343 presentation form, never looked up',
  'no-address': 'the host name has no A or AAAA record',
  'no-mx-address': 'no MX host of the domain has an address',
  'no-address-in-family': 'every address is of the other family, left out by -4 or -6',
  // guard
  'private-address': 'the address is in a private, loopback or link-local range',
  // connect
  'connect-refused': 'the TCP connection was refused',
  'connect-unreachable': 'the host or network is unreachable',
  'connect-timeout': 'the TCP connection was not established in time',
  'connect-error': 'any other socket error while connecting',
  // smtp
  'connection-closed': 'the server closed the connection',
  'connection-reset': 'the server reset the connection',
  'greeting-timeout': 'no complete greeting within the greeting deadline',
  'command-timeout': 'no complete reply to a command within the command deadline',
  'probe-timeout': 'the probe deadline (--timeout) passed',
  'greeting-rejected': 'the greeting was a 4xx/5xx reply',
  'ehlo-rejected': 'EHLO (and HELO) were refused',
  'starttls-not-offered': 'EHLO did not advertise STARTTLS',
  'starttls-rejected': 'STARTTLS was answered with something other than 220',
  'reply-malformed': 'a reply line did not follow the SMTP grammar',
  'reply-too-long': 'a reply line or a whole reply exceeded the size limit',
  // tls
  'tls-handshake-failed': 'the TLS handshake failed',
  'tls-timeout': 'the TLS handshake did not finish in time',
  'tls-alert': 'the server ended the TLS session with an alert after the handshake (e.g. certificate required)',
  'tls-version-unsupported': 'the server negotiates neither TLS 1.2 nor TLS 1.3 (and, with the legacy check, nothing older either, or the check did not reach a handshake)',
  'not-measured': 'a fact the policy needs was not gathered at this depth (policy.not-measured says which, and the flag that gathers it)',
  'certificate-malformed': 'the server certificate could not be parsed as X.509 DER',
  // after tls
  'ehlo-after-tls-rejected': 'the server refused EHLO inside TLS',
  // mta-sts and tls-rpt (RFC 8461, RFC 8460)
  'txt-invalid': 'the _mta-sts TXT records are duplicated or malformed: senders apply no policy',
  'refused-private': 'the MTA-STS policy host resolves only to private, loopback or special addresses: not contacted without --allow-private',
  'connect-failed': 'no TCP connection to the MTA-STS policy host (refused, unreachable, reset)',
  'webpki-invalid': "the MTA-STS policy host's certificate fails PKIX validation (chain, expiry or name)",
  'tls-failed': 'the TLS handshake with the MTA-STS policy host failed',
  'http-status': 'the MTA-STS policy fetch got another status than 200 (redirects are never followed)',
  'content-type': 'the MTA-STS policy is not served as text/plain',
  'too-large': 'the MTA-STS policy is larger than 65,536 bytes',
  'timeout': 'the MTA-STS policy fetch did not finish within its deadline (min(--timeout, 30 s))',
  'policy-invalid': 'the fetched MTA-STS policy does not parse (RFC 8461 §3.2)',
  'tls-rpt-invalid': 'the _smtp._tls TXT record is duplicated or malformed',
  // scan
  'not-scanned': 'the scan stopped before this target was assessed',
  'interrupted': 'the probe was cut short because the scan was interrupted (SIGINT/SIGTERM)',
  'internal-error': 'a bug in mxready',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ScanErrorOptions {
  readonly phase?: Phase;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class ScanError extends Error {
  override readonly name = 'ScanError' as const;
  readonly code: ErrorCode;
  readonly phase: Phase | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: ScanErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.phase = options.phase;
    this.retryable = options.retryable ?? false;
  }
}

/** A usage or configuration error: one line on stderr, exit 2, nothing scanned. */
export class UsageError extends Error {
  override readonly name = 'UsageError' as const;
  readonly code = 'usage' as const;
}

/**
 * The same error, labelled with `phase` when it has none yet (the parser and the
 * probe deadline do not know which phase they interrupted). Anything that is not a
 * ScanError is a bug and passes through untouched.
 */
export function atPhase(error: unknown, phase: Phase): unknown {
  if (!(error instanceof ScanError) || error.phase !== undefined) return error;
  return new ScanError(error.code, error.message, { phase, retryable: error.retryable, cause: error.cause });
}

/** "mxready bug: TypeError: x is undefined": how a bug confined to one target or address is reported. */
export function describeBug(bug: unknown): string {
  return `mxready bug: ${bug instanceof Error ? `${bug.name}: ${bug.message}` : String(bug)}`;
}

/** Outcomes that say a lookup could not be made, not that a name has no records (usually temporary). */
const LOOKUP_FAILURES: ReadonlySet<string> = new Set(['servfail', 'refused', 'dns-timeout', 'dns-connection-refused', 'dns-unreachable', 'dns-malformed', 'dns-error', 'internal-error']);

/** True for SERVFAIL, timeout and the like: nothing is known about the name, unlike NXDOMAIN or NODATA. */
export function isLookupFailure(error: { readonly code: string }): boolean {
  return LOOKUP_FAILURES.has(error.code);
}
