/**
 * Contracts of the resolver layer. The DNS client speaks dns-packet over UDP
 * (TCP when truncated); the resolver turns answers into MX lists and addresses.
 * Neither throws for DNS outcomes: those are data (ErrorInfo with a code from
 * src/errors.ts: nxdomain, servfail, refused, dns-timeout, dns-malformed,
 * dns-error, cname-loop, no-address, no-mx-address).
 */
import type { ErrorInfo, MxSource } from '../model/report.js';
import type { DnssecState } from '../model/dane.js';

export interface DnsServerAddress {
  readonly host: string; // IPv4 or IPv6 literal
  readonly port: number;
}

export type QueryType = 'A' | 'AAAA' | 'MX' | 'CNAME' | 'TXT' | 'TLSA';

/** One resource record of an answer, decoded. `data` is dns-packet's decoded form. */
export interface DnsRecord {
  readonly name: string; // lower case, no trailing dot
  readonly type: string;
  readonly ttl: number;
  readonly data: unknown;
}

export type { DnssecState };

/** The outcome of one lookup (after retries, TCP fallback and validation). */
export type DnsResult =
  | {
      readonly ok: true;
      readonly rcode: 'NOERROR';
      readonly answers: readonly DnsRecord[];
      readonly authorities: readonly DnsRecord[];
      readonly authenticated: boolean; // AD bit
      readonly server: DnsServerAddress;
      readonly overTcp: boolean;
    }
  | {
      readonly ok: false;
      readonly error: ErrorInfo; // nxdomain | servfail | refused | dns-timeout | dns-malformed | dns-error
      /** NXDOMAIN: whether the resolver authenticated the denial (AD). */
      readonly authenticated?: boolean;
      /** SERVFAIL that a CD query answered: the data failed validation (DNSSEC bogus). */
      readonly bogus?: boolean;
    };

export interface DnsClientOptions {
  readonly servers: readonly DnsServerAddress[];
  /** How long each attempt waits for an answer. */
  readonly timeoutMs: number;
  /** Attempts per lookup, rotating through the servers (default 3). */
  readonly attempts?: number;
  /** Answers cached at most, least recently used forgotten first (default DNS_CACHE_ENTRIES, 50,000). */
  readonly cacheEntries?: number;
}

export interface DnsClient {
  /**
   * Never rejects for DNS outcomes. Cached per client (one client per scan). Every
   * query asks for DNSSEC (AD=1, EDNS0 with DO=1); a SERVFAIL is asked once more
   * with CD=1, and `bogus` is set when that one is answered.
   */
  query(name: string, type: QueryType): Promise<DnsResult>;
  /** Close every socket still open. */
  close(): void;
  /** Answers received so far (NOERROR and NXDOMAIN), and how many carried AD. */
  stats?(): { readonly answers: number; readonly authenticated: number };
}

export interface ResolvedHost {
  readonly name: string;
  /** The DNSSEC state of its A/AAAA answers and every CNAME hop on the way (the least secure of them). */
  readonly dnssec?: DnssecState;
  /** IPv4 then IPv6 addresses, in DNS order, canonical (src/net/address.ts) and de-duplicated. */
  readonly addresses: readonly string[];
  /** CNAME targets followed, in order, when the name was an alias. */
  readonly cname?: readonly string[];
  /** Set when there are no addresses (no-address, nxdomain, servfail, dns-timeout, cname-loop, ...). */
  readonly error?: ErrorInfo;
  /** Set when addresses were found but the lookup of one family (A or AAAA) failed: addresses may be missing. */
  readonly partialError?: ErrorInfo;
}

export interface ResolvedMx extends ResolvedHost {
  readonly preference: number;
  /** The exchange looks like an IP address; an MX names a host (RFC 5321 §5.1), so it was looked up as a name. */
  readonly ipLiteral?: boolean;
}

export interface DomainResolution {
  readonly domain: string;
  readonly mxSource: MxSource;
  /** The DNSSEC state of the MX RRset (implicit MX: of the domain's A/AAAA); absent when the lookup failed and was not bogus. */
  readonly dnssec?: DnssecState;
  /** Sorted by preference (stable for equal preferences). Empty for null MX and "none". */
  readonly mx: readonly ResolvedMx[];
  /** Why the domain could not be assessed (nxdomain, servfail, dns-timeout, no-address, ...). */
  readonly error?: ErrorInfo;
  /** A null MX stood beside other MX records (RFC 7505 §3); the null entry is ignored. */
  readonly nullMxMixed: boolean;
  /** MX hosts beyond the MAX_MX_HOSTS most preferred, not resolved. */
  readonly mxSkipped: number;
}

export interface Resolver {
  resolveDomain(domain: string): Promise<DomainResolution>;
  resolveHost(name: string): Promise<ResolvedHost>;
}
