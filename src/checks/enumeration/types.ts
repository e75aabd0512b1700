/** Contract of the enumeration engine: what one handshake offers and how it ends. */
import type { ProbeError, TlsFacts } from '../../model/probe.js';
import type { SessionOptions } from '../../smtp/session.js';
import type { GroupEntry } from '../../tls/groups.js';
import type { SuiteEntry } from './suites.js';

/** The versions this runtime can offer (SSLv3 never). */
export type EnumVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** Why a handshake is made; the budget accounting in the tests reads it. */
export type OfferPurpose =
  /** A version test and an elimination step: everything not yet found, for one version. */
  | 'suites'
  /** TLS 1.0 and 1.1 at once: one refusal settles both. */
  | 'legacy-versions'
  /** A group-elimination step at the highest accepted version. */
  | 'groups'
  /** Two accepted suites, in the order opposite to an earlier observation. */
  | 'order';

export interface HandshakeOffer {
  readonly minVersion: EnumVersion;
  readonly maxVersion: EnumVersion;
  /** Suites offered, in this order. */
  readonly suites: readonly SuiteEntry[];
  /** Groups offered, in this order. */
  readonly groups: readonly GroupEntry[];
  readonly purpose: OfferPurpose;
}

export type HandshakeOutcome =
  /** The handshake completed. */
  | {
      readonly kind: 'accepted';
      /** "TLSv1.2", as OpenSSL names the negotiated version. */
      readonly protocol: string;
      /** IANA name of the suite. */
      readonly suite: string;
      /** OpenSSL name of the suite. */
      readonly name: string;
      /** The group the key exchange used (./groups.ts names), null for none (static RSA, TLS 1.2 DHE). */
      readonly group: string | null;
      /** The finite-field DH size of a TLS 1.0-1.2 DHE suite, else null. */
      readonly dhBits: number | null;
    }
  /** No handshake: the server refused (alert, close) or did not answer within the TLS deadline. */
  | {
      readonly kind: 'refused';
      /** What its ServerHello had selected when it failed after one ("broken"), else null. */
      readonly selected: { readonly protocol: string; readonly suite: string } | null;
      /** The server said it speaks none of the offered versions (a protocol_version alert or the like). */
      readonly versionRefused: boolean;
      readonly timeout: boolean;
      readonly reason: string;
    }
  /** The session did not get as far as the handshake (connect, greeting, EHLO, STARTTLS), or was interrupted. */
  | { readonly kind: 'stopped'; readonly error: ProbeError };

/** What the engine knows when it makes an offer. */
export interface HandshakeHint {
  /** Another handshake follows this one whatever its outcome (the runner may open that session meanwhile). */
  readonly more: boolean;
}

/** Runs one handshake in its own SMTP session. Must not throw for anything the server does. */
export type HandshakeRunner = (offer: HandshakeOffer, hint?: HandshakeHint) => Promise<HandshakeOutcome>;

export interface EnumerateOptions extends SessionOptions {
  /** Abort the enumeration (the scan was cut): what was found is kept, `error` says why. */
  readonly signal?: AbortSignal;
  /**
   * Connections the STARTTLS probe already made to this address (1, or 2 with
   * the legacy check's session): they count against the connection budget.
   */
  readonly sessionsBefore?: number;
  /**
   * A second connection to the address, when the per-address limit has one free
   * now (its release, called when the enumeration ends), else null. With it the
   * next session's SMTP dialogue runs while a handshake does: two sessions at
   * once, never more. Absent: one session at a time.
   */
  readonly secondLane?: () => (() => void) | null;
  /** Record one line per handshake (--trace): the offer and what came of it, in `transcript`. */
  readonly trace?: boolean;
  /**
   * The probe's TLS facts (probe.tls), when a handshake completed. Its offer
   * went up to TLS 1.3 (or, from the legacy check's session, the first session
   * failed for want of a version from TLS 1.2 up and the second offered up to
   * TLS 1.1), so every version above the one it negotiated is refused, and its
   * suite and group are accepted: the enumeration starts from there instead of
   * repeating that handshake.
   */
  readonly known?: TlsFacts | null;
}
