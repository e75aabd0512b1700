/**
 * MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) in the report: the policy a domain
 * publishes for senders, what each MX host makes of it, and where the domain
 * asks for reports. Facts, and one derived verdict per MX entry (`mtaSts`),
 * which depends on nothing but the facts.
 */
import type { ErrorInfo } from './report.js';

export type MtaStsMode = 'enforce' | 'testing' | 'none';

/** A policy as fetched and parsed (RFC 8461 §3.2). */
export interface MtaStsPolicy {
  readonly mode: MtaStsMode;
  /** The `mx` patterns, as written (lower case). */
  readonly mx: readonly string[];
  /** Seconds a sender may cache the policy. */
  readonly maxAge: number;
}

/** The MTA-STS check's facts on a domain target (`target.mtaSts`). */
export interface MtaStsFacts {
  /**
   * `none`: no usable `_mta-sts` TXT record (none, or not exactly one valid one:
   * senders apply no policy); `valid`: a policy fetched and parsed; `fetch-error`:
   * a valid TXT record, and no policy (the TXT lookup failed, or the fetch did);
   * `invalid`: a fetched policy that does not parse.
   */
  readonly status: 'none' | 'valid' | 'fetch-error' | 'invalid';
  /** The TXT record used (its strings joined). */
  readonly record?: string;
  /** The record's `id`. */
  readonly id?: string;
  readonly policy?: MtaStsPolicy;
  /** Why there is no policy (fetch-error, invalid), or why the TXT records were not used (none: txt-invalid). */
  readonly error?: ErrorInfo;
  /** The `v=STSv1` TXT records found, when there was more than one or the one was malformed (status none). */
  readonly records?: readonly string[];
  /**
   * Present when DNS or policy text went past a limit (src/model/limits.ts):
   * each cut field's path ("record", "policy.mx", "records[1]") and its original
   * length, in characters for a text and in items for a list.
   */
  readonly truncated?: Readonly<Record<string, number>>;
}

/** What an MTA-STS sender decides for one MX entry, under a valid policy in enforce or testing mode. */
export interface MxMtaSts {
  /** The policy's pattern that matched the MX host name, or null. */
  readonly matched: string | null;
  /**
   * enforce: the name matched and an address completed a handshake with a
   * trusted certificate that names the host; testing: an address completed a
   * handshake (failures are only reported); null: no address was reached.
   */
  readonly deliverable: boolean | null;
}

/** The TLS-RPT check's facts on a domain target (`target.tlsRpt`). */
export interface TlsRptFacts {
  readonly status: 'none' | 'valid' | 'invalid' | 'lookup-failed';
  /** The record used (its strings joined), or the one that is malformed. */
  readonly record?: string;
  /** Where reports go: mailto: and https: URIs. */
  readonly rua?: readonly string[];
  readonly error?: ErrorInfo;
  /** The `v=TLSRPTv1` records found, when there was more than one. */
  readonly records?: readonly string[];
  /**
   * Present when DNS text went past a limit (src/model/limits.ts): each cut
   * field's path ("record", "rua", "records") and its original length, in
   * characters for a text and in items for a list.
   */
  readonly truncated?: Readonly<Record<string, number>>;
}
