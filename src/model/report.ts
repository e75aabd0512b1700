/**
 * The report model: schemaVersion 2 of the JSON contract (../shared/DESIGN.md;
 * README "JSON report" lists what changed from 1). Facts are policy-free; every
 * verdict a renderer shows is stored here by evaluation (status, deliverable,
 * findings, each address's assessment). Adding fields is fine; renaming or
 * removing one, or changing what one means, bumps SCHEMA_VERSION.
 */
import type { CheckResult, Depth } from './check.js';
import type { DaneVerdict, DnssecState, DnssecSummary, TlsaFacts } from './dane.js';
import type { MtaStsFacts, MxMtaSts, TlsRptFacts } from './mta-sts.js';
import type { MxProtection, ProtectionSummary, TargetProtection } from './protection.js';
import type { CipherClass, ProbeResult, TlsVersionName } from './probe.js';

export const SCHEMA_VERSION = 2 as const;

export type Severity = 'fail' | 'warn' | 'info';

/** IANA "STARTTLS Validation Result Types" (RFC 8460 §4.3, TLS-RPT). */
export type TlsRptResultType =
  | 'starttls-not-supported'
  | 'certificate-host-mismatch'
  | 'certificate-expired'
  | 'certificate-not-trusted'
  | 'validation-failure'
  | 'tlsa-invalid'
  | 'dnssec-invalid'
  | 'dane-required'
  | 'sts-policy-fetch-error'
  | 'sts-policy-invalid'
  | 'sts-webpki-invalid';

export interface Finding {
  /** Stable id, e.g. "starttls.missing"; each check's catalogue is its findings.ts (src/checks/). */
  readonly id: string;
  readonly severity: Severity;
  readonly message: string;
  readonly host?: string;
  readonly ip?: string;
  readonly port?: number;
  readonly resultType?: TlsRptResultType;
  /** Present when the message was cut to 1 KiB (it quoted long server text): { message: original length }. */
  readonly truncated?: { readonly message: number };
  /** With --baseline: whether the baseline held this finding (target key, id, MX host) already. */
  readonly baseline?: 'new' | 'existing';
}

/** With --baseline: the findings compared with a saved scan's. */
export interface BaselineSummary {
  /** The baseline file as given. */
  readonly file: string;
  /** Findings the baseline did not hold. */
  readonly new: number;
  /** Findings the baseline held too. */
  readonly existing: number;
  /** Identities the baseline held that this scan no longer has. */
  readonly fixed: number;
  /** The first 1,000 of them. */
  readonly fixedList: readonly BaselineIdentity[];
}

/** A finding's identity across scans: addresses, ports and messages are left out (addresses rotate, messages carry day counts). */
export interface BaselineIdentity {
  /** The target's key (domain:example.com, host:mx.example.net:25). */
  readonly key: string;
  readonly id: string;
  /** The MX host, or "" for a finding of the whole target. */
  readonly host: string;
}

export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

export type MxSource = 'mx' | 'implicit' | 'null' | 'none';

/** A mark a renderer shows as it is: ok, a warning, or a gap under the policy. */
export type Mark = 'ok' | 'warn' | 'gap';

/** What the table calls a certificate problem. */
export type CertificateProblem = 'unreadable' | 'expired' | 'not-yet-valid' | 'self-signed' | 'untrusted' | 'name-mismatch';

/** Evaluation's verdicts on one address as reached through one MX entry: everything a renderer marks. */
export interface AddressAssessment {
  /** meets: no gap under the policy; gap: a fail finding; unassessed: it could not be judged (unreachable, timeout, not measured). */
  readonly outcome: 'meets' | 'gap' | 'unassessed';
  /** The negotiated version against the policy's minimum (gap below it); null without a handshake. */
  readonly protocol: Mark | null;
  /** The negotiated suite's NCSC-NL class, and whether the policy allows it; null without a handshake. */
  readonly cipher: { readonly class: CipherClass; readonly allowed: boolean } | null;
  /** The certificate's problems and their mark (ok when none); null without a handshake. */
  readonly certificate: { readonly mark: Mark; readonly problems: readonly CertificateProblem[] } | null;
  /** With an enumeration: each accepted version's mark and each accepted suite's class, by IANA name. */
  readonly enumeration?: {
    readonly versions: Readonly<Record<string, Mark>>;
    readonly classes: Readonly<Record<string, CipherClass>>;
  };
}

export interface AddressReport {
  readonly ip: string;
  readonly port: number;
  /** The STARTTLS check's facts (with the enumeration check's, under `enumeration`): the connection record. */
  readonly probe: ProbeResult;
  /**
   * Every address check's result, by check id (absent when none ran). The
   * STARTTLS and enumeration checks, whose facts are `probe` and
   * `probe.enumeration`, keep here only their status, error or not-run reason,
   * and `factsAt`.
   */
  readonly checks?: Readonly<Record<string, CheckResult>>;
  readonly assessment: AddressAssessment;
  /**
   * What a DANE sender decides here (RFC 7672), when the MX host's TLSA RRset is
   * secure with a usable record: from the records and the chain this address sent.
   */
  readonly dane?: DaneVerdict;
}

/** An address the opt-out list kept the scan from: by the MX host's name, or by the address's range. */
export interface ExcludedAddress {
  readonly ip: string;
  readonly port: number;
  readonly by: 'name' | 'address';
}

export interface MxReport {
  readonly host: string;
  readonly preference: number;
  /** When the MX name was an alias: the chain of CNAME targets followed. */
  readonly cname?: readonly string[];
  /** Why the host has no usable address, when it has none. */
  readonly error?: ErrorInfo;
  /** Addresses were found, but the lookup of one family (A or AAAA) failed: some may be missing. */
  readonly partialError?: ErrorInfo;
  /** The MX exchange looks like an IP address (it was resolved as a name). */
  readonly ipLiteral?: boolean;
  /** The DNSSEC state of the host's A/AAAA answers and CNAME hops (the least secure); absent when they failed. */
  readonly dnssec?: DnssecState;
  /** What an MTA-STS sender decides for this host, under the domain's valid policy in enforce or testing mode. */
  readonly mtaSts?: MxMtaSts;
  /** What a sender that implements DANE and MTA-STS applies to this host (domain targets; absent when nothing applies and nothing was reached). */
  readonly protection?: MxProtection;
  /** The host's TLSA records at the port probed (the DANE check); absent from reports made before it. */
  readonly tlsa?: TlsaFacts;
  /** Addresses that were found but not probed (over the per-host limit). */
  readonly addressesSkipped?: number;
  /** Addresses of the other family, left out by -4 or -6. */
  readonly addressesOmitted?: number;
  /** Addresses never connected to because the opt-out list (--exclude) names the host or holds the address. */
  readonly addressesExcluded?: readonly ExcludedAddress[];
  readonly addresses: readonly AddressReport[];
  /** MX-scope checks' results, by check id; absent when none ran. The DANE check, whose facts are `tlsa`, keeps here only its status, error or reason, and `factsAt`. */
  readonly checks?: Readonly<Record<string, CheckResult>>;
  /** DNS text cut to the report's limits (src/model/limits.ts): path → original length. */
  readonly truncated?: Readonly<Record<string, number>>;
}

export type TargetStatus = 'pass' | 'fail' | 'error';

export interface TargetReport {
  /** The target as given, trimmed and inert: a control or format character (U+200B, U+202E…) shows as its escape (src/model/sanitize.ts). */
  readonly input: string;
  /** The domain (A-label form) or, for a relay, the host as given. */
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  readonly status: TargetStatus;
  readonly error?: ErrorInfo;
  /**
   * true: an address meets the policy (with enforcement on, mail still flows); false: every
   * address was assessed and none meets it (the policy would hold the mail: stuck); null:
   * no way to tell (null MX, DNS failure, no usable address, or none meets while some
   * could not be assessed).
   */
  readonly deliverable: boolean | null;
  readonly dns: {
    readonly mxSource: MxSource;
    /** The DNSSEC state of the MX RRset (implicit MX: of the domain's A/AAAA); absent when the lookup failed and was not bogus. */
    readonly dnssec?: DnssecState;
    readonly error?: ErrorInfo;
    /** A null MX stood beside other MX records (RFC 7505 §3) and was ignored. */
    readonly nullMxMixed?: boolean;
    /** MX hosts beyond the ten most preferred, not resolved or probed. */
    readonly mxSkipped?: number;
    /** DNS text cut to the report's limits: path → original length. */
    readonly truncated?: Readonly<Record<string, number>>;
  };
  readonly mx: readonly MxReport[];
  /** The MTA-STS policy the domain publishes (RFC 8461); domain targets only, absent with --no-mta-sts. */
  readonly mtaSts?: MtaStsFacts;
  /** Where the domain asks for TLS reports (RFC 8460); domain targets only, absent with --no-tls-rpt. */
  readonly tlsRpt?: TlsRptFacts;
  /**
   * What a sender that implements DANE and MTA-STS applies to the destination, and
   * whether mail is delivered under its own mechanisms (unlike `deliverable`, which
   * is about the scan's policy). Domain targets with at least one host protection.
   */
  readonly protection?: TargetProtection;
  /** Domain-scope checks' results, by check id; absent when none ran. MTA-STS and TLS-RPT, whose facts are `mtaSts` and `tlsRpt`, keep here only their status, error or reason, and `factsAt`. */
  readonly checks?: Readonly<Record<string, CheckResult>>;
  readonly findings: readonly Finding[];
  /** Where the target was read from, when it came from a targets file (-f FILE): the file as given and its line (1-based). */
  readonly source?: { readonly file: string; readonly line: number };
}

export type TlsVersionSetting = Exclude<TlsVersionName, 'SSLv3'>;

/** The effective policy (after `extends`, --min-tls, --expiry-warn): what the scan judged against. */
export interface PolicyReport {
  /** Preset name, or "file:PATH" for a policy file. */
  readonly name: string;
  readonly minTlsVersion: TlsVersionSetting;
  readonly requireTrustedChain: boolean;
  readonly requireHostnameMatch: boolean;
  readonly requireUnexpired: boolean;
  /** The negotiated key exchange must be (EC)DHE. */
  readonly requireForwardSecrecy: boolean;
  /** Classes (src/policy/cipher-classes.ts) the negotiated suite may have. */
  readonly allowedCipherClasses: readonly CipherClass[];
  /** Smallest RSA key, and EC curve size, accepted in the chain below the root; 0: no requirement. */
  readonly minRsaBits: number;
  readonly minEcBits: number;
  /** The server must refuse TLS 1.0 and 1.1 (probed separately, as a modern client never offers them). */
  readonly forbidLegacyProtocols: boolean;
  /** A certificate expiring within this many days is a warning. */
  readonly expiryWarnDays: number;
  /**
   * Judge as a DANE sender does (RFC 7672): usable TLSA records must match the
   * chain, and a TLSA lookup that fails (bogus, lookup failed) holds the mail.
   */
  readonly honorDane: boolean;
  /**
   * Judge as an MTA-STS sender does (RFC 8461): under an `enforce` policy, an MX
   * host it rejects (no matching pattern, a certificate that fails) is a gap, and
   * so is a policy that cannot be fetched or parsed.
   */
  readonly honorMtaSts: boolean;
  /** Every MX host of a domain must be DANE-protected and authenticated (dane.missing); implies honorDane. */
  readonly requireDane: boolean;
  /** A valid MTA-STS policy in enforce mode that accepts every MX host (mta-sts.missing); implies honorMtaSts. */
  readonly requireMtaSts: boolean;
  /** Every MX host protected by DANE or MTA-STS enforce, authenticated (protection.missing); implies both. */
  readonly requireDaneOrMtaSts: boolean;
  /** A valid TLS-RPT record (tls-rpt.missing). */
  readonly requireTlsRpt: boolean;
  /** Severity overrides per finding id; "off" drops the finding. */
  readonly findings: Readonly<Record<string, Severity | 'off'>>;
}

/**
 * One row of the zERT-style inventory: connection records (distinct IP:port
 * probes that received an SMTP greeting) that share their four significant
 * attributes, keyed as `byProtocol`, `byCipher`, `byKeyExchange` and
 * `byCertificateKey` key them. The row whose keys are all `none` is "no
 * protection" (no STARTTLS, refused, a failed handshake).
 */
export interface InventoryRow {
  readonly protocol: string;
  readonly cipher: string;
  readonly keyExchange: string;
  readonly certificateKey: string;
  /**
   * Whether the row's protocol meets the policy's minimum, as evaluation marked
   * its records (`assessment.protocol`: gap below it, or as the policy's
   * severity for tls.version.below-minimum says); gap for no protection. Absent
   * from reports made before it.
   */
  readonly protocolMark?: Mark;
  /** Connection records in the row. */
  readonly addresses: number;
  /** Domain targets with at least one MX address in the row. */
  readonly domains: number;
}

/** How many destinations (domain targets with at least one connection record) are encrypted, and at TLS 1.2 or better, on every record. */
export interface Transparency {
  readonly destinations: number;
  /** Destinations where no record's protocol is `none`. */
  readonly encrypted: number;
  /** Destinations where every record's protocol is TLSv1.2 or TLSv1.3. */
  readonly tls12OrBetter: number;
  /** encrypted ÷ destinations (0 when there is none), unrounded. */
  readonly encryptedShare: number;
  /** tls12OrBetter ÷ destinations (0 when there is none), unrounded. */
  readonly tls12OrBetterShare: number;
}

export interface Summary {
  readonly targets: number;
  readonly pass: number;
  readonly fail: number;
  readonly error: number;
  /** Targets whose mail the policy would hold: exactly those with `deliverable === false`. */
  readonly stuck: number;
  /** Unique IP:port probes made (or attempted). */
  readonly probes: number;
  /** Addresses of the other family left out by -4 or -6 (counted once per MX host name); 0 without them. */
  readonly addressesOmitted: number;
  /** Probes that completed a TLS handshake (in the first session or the legacy check's). */
  readonly tlsProbes: number;
  /** Probes that negotiated TLS 1.2 or better. */
  readonly tls12OrBetterProbes: number;
  readonly byStatus: Readonly<Record<string, number>>;
  readonly byProtocol: Readonly<Record<string, number>>;
  readonly byCipher: Readonly<Record<string, number>>;
  readonly byKeyExchange: Readonly<Record<string, number>>;
  readonly byCertificateKey: Readonly<Record<string, number>>;
  /** Domain targets by protection level (`unknown`: none); absent from reports made before it. */
  readonly protection?: ProtectionSummary;
  /**
   * The inventory: the joint distribution of the four `by…` keys over connection
   * records, largest first. Grouping its rows by one key and adding `addresses`
   * (plus `unreached` on `none`) gives that key's map. Absent from reports made before it.
   */
  readonly inventory?: readonly InventoryRow[];
  /** Distinct probes that received no SMTP greeting (refused, timed out, closed): counted under `none` in the `by…` maps, not in the inventory. */
  readonly unreached?: number;
  /** Destinations encrypted, and at TLS 1.2 or better, on every connection record. */
  readonly transparency?: Transparency;
  /** Input targets the opt-out list (--exclude) kept out of the scan: no entry, no line. Absent from reports made before it. */
  readonly excluded?: number;
  /** What the scan did to be polite (retries, back-off, the opt-out list); absent from reports made before it. */
  readonly politeness?: PolitenessSummary;
}

/** A scan's politeness counters. */
export interface PolitenessSummary {
  /** Attempts made after a probe's first (--retries). */
  readonly retries: number;
  /** Probes that ended ok after at least one retry. */
  readonly retriedOk: number;
  /** Milliseconds probes spent waiting in back-off, added up. */
  readonly waitedMs: number;
  /** Input targets the opt-out list kept out (as summary.excluded). */
  readonly excludedTargets: number;
  /** Distinct addresses the opt-out list kept the scan from connecting to. */
  readonly excludedAddresses: number;
}

export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly policy: PolicyReport;
  /** The sessions and checks beyond the fixed client profile that this scan made. */
  readonly depth: Depth;
  /** Whose AD bit the scan trusted, and whether any answer carried it; absent from reports made before DANE. */
  readonly dnssec?: DnssecSummary;
  readonly targets: readonly TargetReport[];
  readonly summary: Summary;
  /** With --baseline: the findings compared with a saved scan's (each finding carries `baseline` too). */
  readonly baseline?: BaselineSummary;
}
