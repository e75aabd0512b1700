/**
 * Facts gathered by one SMTP session to one IP:port. A probe result is a
 * connection record: its protection state may be "none" and that is data,
 * never an exception. Every type here is a plain, readonly, JSON-safe object.
 */

/** How a probe ended. A closed list: reporters and policy switch on it. */
export type ProbeStatus =
  /** Greeting, EHLO, STARTTLS, TLS handshake and EHLO inside TLS all succeeded (in the first session or the legacy check's). */
  | 'ok'
  /** The server greeted and answered EHLO but did not advertise STARTTLS. */
  | 'no-starttls'
  /** STARTTLS was advertised but the server answered it with something other than 220. */
  | 'starttls-rejected'
  /** The TLS handshake failed (alert, no common version or cipher, garbage instead of ServerHello). */
  | 'tls-failed'
  /** The server refused the session with a 4xx/5xx reply (greeting, EHLO, or EHLO inside TLS). */
  | 'smtp-rejected'
  /** The server broke the SMTP grammar (unparseable reply, line or reply too long, non-SMTP banner). */
  | 'protocol-error'
  /** The TCP connection was refused (RST) or the host/network is unreachable. */
  | 'connection-refused'
  /** The TCP connection was not established within the connect deadline. */
  | 'connection-timeout'
  /** The server closed the connection before the session was complete. */
  | 'connection-closed'
  /** A phase deadline or the probe deadline passed after the connection was up. */
  | 'timeout'
  /** Not connected: the address came from DNS and lies in a private/loopback/link-local range. */
  | 'refused-private'
  /** A bug in mxready; the other targets are unaffected. */
  | 'internal-error';

export const PROBE_STATUSES: readonly ProbeStatus[] = [
  'ok',
  'no-starttls',
  'starttls-rejected',
  'tls-failed',
  'smtp-rejected',
  'protocol-error',
  'connection-refused',
  'connection-timeout',
  'connection-closed',
  'timeout',
  'refused-private',
  'internal-error',
];

/** Where in the session something happened. */
export type Phase =
  | 'dns'
  | 'guard'
  | 'connect'
  | 'greeting'
  | 'ehlo'
  | 'starttls'
  | 'tls'
  | 'ehlo-after-tls'
  | 'quit'
  | 'internal';

/** A parsed SMTP reply, as kept in errors. Text is sanitised for output. */
export interface SmtpReplyRecord {
  readonly code: number;
  /** RFC 3463 enhanced status code ("5.7.1") when the server sent one. */
  readonly enhanced?: string;
  /** The text of each line, without the "NNN-" prefix. */
  readonly lines: readonly string[];
}

export interface ProbeError {
  readonly phase: Phase;
  /** Stable kebab-case code from src/errors.ts (e.g. "connect-refused", "tls-handshake-failed"). */
  readonly code: string;
  readonly message: string;
  readonly reply?: SmtpReplyRecord;
}

export type TlsVersionName = 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface KeyExchangeFacts {
  /** "ECDH", "DH", or "RSA" (static RSA key transport, no forward secrecy); null when unknown. */
  readonly type: string | null;
  /** Named group ("X25519", "P-256", "X25519MLKEM768"), null for finite-field DH or unknown. */
  readonly group: string | null;
  /** Size in bits as OpenSSL reports it (253 for X25519, 2048 for a 2048-bit DH group). */
  readonly bits: number | null;
}

export interface TlsFacts {
  /** Negotiated protocol version as OpenSSL names it. */
  readonly protocol: string;
  readonly cipher: {
    /** OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256" or "TLS_AES_256_GCM_SHA384". */
    readonly name: string;
    /** IANA (RFC) name, e.g. "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256". */
    readonly standardName: string;
  };
  readonly keyExchange: KeyExchangeFacts;
  readonly forwardSecrecy: boolean;
}

/** One certificate of the chain, as summarised from its DER. */
export interface ChainCertificate {
  /** RFC 4514 string. */
  readonly subject: string;
  /** RFC 4514 string. */
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** "rsa", "ec", "ed25519", "ed448", "dsa", or the raw type. */
  readonly keyType: string;
  /** RSA/DSA modulus bits, EC curve bits. null when unknown. */
  readonly keyBits: number | null;
  /** e.g. "sha256WithRSAEncryption", "ecdsa-with-SHA256", or the dotted OID when unknown. */
  readonly signatureAlgorithm: string;
  /** Upper-case hex, colon separated. */
  readonly fingerprintSha256: string;
  /** SHA-512 of the certificate, lower-case hex (as a TLSA record's data is written); absent from reports made before DANE. */
  readonly fingerprintSha512?: string;
  /** SHA-256 and SHA-512 of the SubjectPublicKeyInfo, lower-case hex (TLSA selector 1). */
  readonly spkiSha256?: string;
  readonly spkiSha512?: string;
  /**
   * Index in the chain as sent of the certificate that issued this one and whose
   * key verifies its signature; null when none of those sent did.
   */
  readonly issuerIndex?: number | null;
  readonly selfSigned: boolean;
}

/** The leaf certificate's facts plus the judgements computed as facts. */
export interface CertificateFacts extends ChainCertificate {
  /** "DNS:mx.example.com", "IP:192.0.2.1", "email:…", "URI:…", in certificate order. */
  readonly subjectAltNames: readonly string[];
  /** The subject's common names (CN), most specific last, for RFC 6125's fallback. */
  readonly commonNames: readonly string[];
  /** Whole days from the scan's clock to notAfter (negative once expired). */
  readonly daysRemaining: number;
  /** OpenSSL's verdict against Node's bundled roots plus --ca-file, at the default security level. */
  readonly trusted: boolean;
  /** OpenSSL's reason when not trusted ("CERT_HAS_EXPIRED", "DEPTH_ZERO_SELF_SIGNED_CERT", ...), else null. */
  readonly validationError: string | null;
  /** RFC 6125 match of the certificate against this MX entry's host name. */
  readonly hostnameMatch: boolean;
  /**
   * The certificates the server presented, in the order it sent them (leaf first
   * on a well-configured server), read from the handshake itself.
   */
  readonly chain: readonly ChainCertificate[];
  /**
   * True when `chain` was read from the handshake as sent; false when that could
   * not be done and it is Node's rebuilt chain (ordered by issuer, possibly ending
   * with the local trust anchor).
   */
  readonly chainAsSent?: boolean;
  /** Set only when the server sent more certificates than the report keeps (16): how many it sent. */
  readonly chainLength?: number;
}

/** NCSC-NL's levels for TLS cipher suites as internet.nl applies them (src/policy/cipher-classes.ts). */
export type CipherClass = 'good' | 'sufficient' | 'phase-out' | 'insufficient';

/** A suite the server accepted. Its NCSC-NL class is a verdict: the address's `assessment` holds it. */
export interface EnumeratedCipher {
  /** OpenSSL name. */
  readonly name: string;
  /** IANA name. */
  readonly standardName: string;
}

/** What else the server accepts (--enumerate): every value found by real handshakes. */
export interface EnumerationFacts {
  /** true accepted, false refused, null not testable with this TLS library (SSLv3 on Node's OpenSSL). */
  readonly protocols: Readonly<Record<'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', boolean | null>>;
  /** Accepted suites per accepted version, in the server's preference order when it enforces one. */
  readonly ciphers: Readonly<Record<string, readonly EnumeratedCipher[]>>;
  /** Per version: true when the server picks by its own order, false by the client's, null when not decidable (fewer than two suites). */
  readonly serverOrder: Readonly<Record<string, boolean | null>>;
  /** Key-exchange groups the server accepted (X25519, P-256, ...). */
  readonly groups: readonly string[];
  /** Groups that could not be offered by this runtime (e.g. X25519MLKEM768 on Node 20): not tested, never called absent. */
  readonly groupsNotTestable: readonly string[];
  /** Size of the finite-field DH group for DHE suites, when the server accepted one. */
  readonly dhBits: number | null;
  /** Suites this TLS library cannot offer at all (3DES, RC4, EXPORT, ... on Node 20's OpenSSL): not tested, never called absent. */
  readonly notTestable: readonly string[];
  /** A server that selected suites but failed every handshake: what it selected. */
  readonly broken?: { readonly selected: readonly string[]; readonly message: string };
  /** With --trace: one line per enumeration handshake (the offer and what came of it). */
  readonly transcript?: TranscriptSession;
  /** Connections made for the enumeration (the plain probe not included). */
  readonly handshakes: number;
  /** Set when the enumeration stopped early (the server stopped accepting sessions, two timeouts, the scan was cut): what was found is kept. */
  readonly error?: ProbeError;
}

/** One step of a session's dialogue (--trace): what was sent or received, or what happened. */
export interface TranscriptEntry {
  /** Milliseconds since the probe started. */
  readonly ms: number;
  /** sent: a command; received: a reply line; tls: the handshake; note: the connection, a failure. */
  readonly kind: 'sent' | 'received' | 'tls' | 'note';
  /** Inert text, at most 512 bytes of UTF-8 (the last three the marker …; an escape is never cut in half). */
  readonly text: string;
  /** The text's original length in bytes of UTF-8, when it was cut. */
  readonly truncated?: number;
}

/** The dialogue of one session of a probe (--trace), at most 64 entries. */
export interface TranscriptSession {
  /** first: the first session; legacy-check, legacy-acceptance: the probe's further sessions; enumeration: one line per handshake. */
  readonly session: 'first' | 'legacy-check' | 'legacy-acceptance' | 'enumeration';
  readonly entries: readonly TranscriptEntry[];
  /** Entries left out past the 64th. */
  readonly omitted?: number;
}

export interface ProbeTimings {
  /** Milliseconds from the start of the probe; null when the phase was not reached. */
  readonly connectMs: number | null;
  readonly greetingMs: number | null;
  readonly tlsMs: number | null;
  readonly totalMs: number;
}

export interface ProbeResult {
  readonly status: ProbeStatus;
  /** The greeting's text lines joined with "\n" (sanitised), null when none arrived. */
  readonly banner: string | null;
  /** The first EHLO reply's lines after the first, as strings. */
  readonly extensions: readonly string[];
  /** Whether STARTTLS was advertised in the first EHLO reply. */
  readonly starttls: boolean;
  /** The EHLO reply inside TLS, lines after the first. */
  readonly extensionsAfterTls?: readonly string[];
  readonly tlsMode?: 'starttls' | 'implicit';
  /** The SNI that was sent (the first MX name that reached this address), null for none. */
  readonly sni?: string | null;
  readonly tls?: TlsFacts;
  /**
   * The leaf certificate. `hostnameMatch` in a raw probe result is computed against
   * the SNI name; the scan recomputes it per MX entry.
   */
  readonly certificate?: CertificateFacts;
  /** Plaintext bytes that arrived after the 220 to STARTTLS and were discarded (RFC 3207 §6). */
  readonly plaintextDiscardedBytes?: number;
  /**
   * The legacy check: when the first session (TLS 1.2-1.3 at OpenSSL's default
   * security level) failed for want of a common version, a second, full session
   * offered TLS 1.0-1.1 at security level 0. "negotiated": it reached a handshake,
   * and every fact of this result (tls, certificate, extensionsAfterTls, status)
   * is that session's; "refused": its handshake failed too (the server speaks no
   * TLS 1.0-1.3 with this client); "incomplete": it ended before a handshake.
   * Absent when no second session was made (the first reached a handshake,
   * failed for another reason, or --no-legacy-check).
   */
  readonly legacyCheck?: 'negotiated' | 'refused' | 'incomplete';
  /**
   * Legacy acceptance (--legacy-acceptance, switched on for a policy that forbids
   * legacy protocols): the version a session offering only TLS 1.0/1.1 negotiated,
   * or null when the server refused them; the session's own protocol when it already
   * negotiated one of them. Absent when not measured.
   */
  readonly legacyAccepted?: string | null;
  /** The enumeration check's facts (--enumerate): what else the server accepts. */
  readonly enumeration?: EnumerationFacts;
  /** Whether a client certificate was presented (--client-cert); the session's status says whether it was accepted. */
  readonly clientCertificate?: boolean;
  readonly error?: ProbeError;
  readonly timings: ProbeTimings;
  /** With --trace: every session's dialogue, labelled. Never key material. */
  readonly transcript?: readonly TranscriptSession[];
  /**
   * Present when server text went past a limit (src/model/limits.ts: README
   * "Hard limits"): each cut field's path (e.g. "certificate.subjectAltNames",
   * "banner", "extensions[3]") and its original length, in characters for a
   * text and in items for a list.
   */
  readonly truncated?: Readonly<Record<string, number>>;
  /**
   * How many sessions the probe took when it was tried again (--retries: a 4xx
   * greeting or EHLO reply, a refused connection, or one closed before a greeting);
   * every fact is the last attempt's. Absent when the first attempt was the last.
   */
  readonly attempts?: number;
}
