/**
 * DNSSEC and DANE in the report (RFC 7672): what the resolver said of each
 * answer, the TLSA records an MX host publishes, and whether the chain a server
 * sent matches them. Facts, and one derived verdict per address (`dane`), which
 * depends on nothing but the facts.
 */
import type { ErrorInfo } from './report.js';

/**
 * What a stub knows of an answer's DNSSEC state: its resolver's AD bit (RFC 6840
 * §5.7). `secure`: AD set; `insecure`: AD clear (unsigned, or a resolver that
 * does not validate); `bogus`: the resolver answered SERVFAIL, and answered the
 * same question with checking disabled (RFC 4035 §3.2.2).
 */
export type DnssecState = 'secure' | 'insecure' | 'bogus';

/** How the TLSA lookup of an MX host ended. */
export type TlsaStatus =
  /** Records, authenticated (AD): a DANE sender uses them. */
  | 'secure'
  /** Records, not authenticated: ignored (RFC 7672 §2.2). */
  | 'insecure'
  /** NXDOMAIN or NODATA: the host has no TLSA records. */
  | 'none'
  /** The lookup failed validation: a DANE sender defers mail to this host. */
  | 'bogus'
  /** The lookup failed (timeout, SERVFAIL, …): a DANE sender defers too. */
  | 'lookup-failed'
  /** Not asked: the host's addresses are not secure, it is an IP literal, or --no-dane. */
  | 'not-looked-up';

/** One TLSA record (RFC 6698 §2.1), and whether SMTP DANE can use it (RFC 7672 §3.1). */
export interface TlsaRecord {
  /** 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE. */
  readonly usage: number;
  /** 0 the whole certificate, 1 its SubjectPublicKeyInfo. */
  readonly selector: number;
  /** 0 the data itself, 1 SHA-256, 2 SHA-512. */
  readonly matchingType: number;
  /** The association data, lower-case hex (as TLSA records are written); at most 256 hex characters kept (README "Hard limits"). */
  readonly data: string;
  /** Present when `data` was cut: the SHA-256 of the whole data, lower-case hex, through which a record of matching type 0 is compared. */
  readonly dataSha256?: string;
  readonly usable: boolean;
  /** Why the record is unusable, when it is. */
  readonly reason?: string;
}

/** The TLSA lookup of one MX host (or relay named by the user) at the port probed. */
export interface TlsaFacts {
  /** The owner name asked last: `_PORT._tcp.HOST` (the CNAME-expanded host first, RFC 7672 §2.2.2). */
  readonly name: string;
  readonly status: TlsaStatus;
  readonly records: readonly TlsaRecord[];
  /** Why the lookup failed, or why it was not made. */
  readonly error?: ErrorInfo;
  /**
   * Present when DNS text went past a limit (src/model/limits.ts): each cut
   * field's path ("records", "records[0].data", "name") and its original length,
   * in characters for a text and in items for a list.
   */
  readonly truncated?: Readonly<Record<string, number>>;
}

/** What a DANE sender decides for one address, from the TLSA records and the chain the server sent. */
export type DaneStatus =
  /** A usable record matched: a DANE sender delivers. */
  | 'valid'
  /** Usable records, none matched: a DANE sender does not deliver. */
  | 'mismatch'
  /** No completed TLS handshake: a DANE sender does not deliver here. */
  | 'no-tls'
  /** Only records that could not be evaluated (DANE-TA over a chain not read as sent). */
  | 'indeterminate';

export interface DaneVerdict {
  readonly status: DaneStatus;
  /** The record that matched, and the depth in the sent chain of the certificate it matched (0: the leaf). */
  readonly matched?: { readonly usage: number; readonly selector: number; readonly matchingType: number; readonly depth: number };
}

/** The scan's view of its resolvers' DNSSEC: whose AD bit it trusted, and whether any answer carried it. */
export interface DnssecSummary {
  /** The resolvers asked, as IP:port. */
  readonly resolvers: readonly string[];
  /** Every resolver is on loopback: the AD bit came over no network (RFC 6698 §1.3 advice). */
  readonly loopbackOnly: boolean;
  /** Answers that carried AD (authenticated), over the whole scan. */
  readonly authenticatedAnswers: number;
}
