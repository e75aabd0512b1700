/**
 * Policy presets and the --min-tls override. A policy is plain data; the rules
 * in ./rules read it.
 */
import type { Depth } from '../model/check.js';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import type { PolicyReport, TlsVersionSetting } from '../model/report.js';
import { TLS_VERSION_SPELLINGS, tlsVersionOf } from '../model/tls-versions.js';

export type Policy = PolicyReport;

const ALL_CLASSES = ['good', 'sufficient', 'phase-out', 'insufficient'] as const;

const ENCRYPT: Policy = {
  name: 'encrypt',
  minTlsVersion: 'TLSv1.2',
  requireTrustedChain: false,
  requireHostnameMatch: false,
  requireUnexpired: false,
  requireForwardSecrecy: false,
  allowedCipherClasses: ALL_CLASSES,
  minRsaBits: 0,
  minEcBits: 0,
  forbidLegacyProtocols: false,
  expiryWarnDays: 21,
  honorDane: false,
  honorMtaSts: false,
  requireDane: false,
  requireMtaSts: false,
  requireDaneOrMtaSts: false,
  requireTlsRpt: false,
  findings: {},
};

export const PRESETS = {
  /** "Require TLS 1.2 to the next hop": STARTTLS offered, handshake succeeds, TLS >= 1.2. */
  encrypt: ENCRYPT,
  /** encrypt + chain trusted + certificate names the MX host + not expired. */
  verify: { ...ENCRYPT, name: 'verify', requireTrustedChain: true, requireHostnameMatch: true, requireUnexpired: true },
  /**
   * verify + forward secrecy + an AEAD suite with (EC)DHE (NCSC-NL "good") + no
   * legacy protocol accepted + RSA >= 2048 / EC >= 256 + SHA-2 signatures.
   */
  strict: {
    ...ENCRYPT,
    name: 'strict',
    requireTrustedChain: true,
    requireHostnameMatch: true,
    requireUnexpired: true,
    requireForwardSecrecy: true,
    allowedCipherClasses: ['good'],
    minRsaBits: 2048,
    minEcBits: 256,
    forbidLegacyProtocols: true,
    findings: { 'cert.sha1-signature': 'fail' },
  },
  /**
   * encrypt, judged as a DANE sender (RFC 7672): where an MX host has secure,
   * usable TLSA records they must match the chain; a secure but unusable RRset
   * still requires TLS; a failed TLSA lookup holds the mail. Elsewhere, encrypt.
   */
  dane: { ...ENCRYPT, name: 'dane', honorDane: true },
} as const satisfies Record<string, Policy>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** "1.2" | "TLSv1.2" | "TLS1.2" (any case) → "TLSv1.2" (src/model/tls-versions.ts tlsVersionOf); a usage error otherwise. */
export function parseTlsVersion(text: string): TlsVersionSetting {
  const version = tlsVersionOf(text);
  if (version === null) throw new UsageError(`invalid TLS version ${quoted(text)} (expected ${TLS_VERSION_SPELLINGS})`);
  return version;
}

/** Applies --min-tls and --expiry-warn over a policy. */
export function withOverrides(policy: Policy, overrides: { minTls?: string | undefined; expiryWarnDays?: number | undefined }): Policy {
  return {
    ...policy,
    ...(overrides.minTls !== undefined ? { minTlsVersion: parseTlsVersion(overrides.minTls) } : {}),
    ...(overrides.expiryWarnDays !== undefined ? { expiryWarnDays: overrides.expiryWarnDays } : {}),
  };
}

/**
 * What the require* knobs imply: requireDane honors DANE, requireMtaSts honors
 * MTA-STS, requireDaneOrMtaSts both (the effective policy shows them true).
 */
export function withImplications(policy: Policy): Policy {
  return {
    ...policy,
    honorDane: policy.honorDane || policy.requireDane || policy.requireDaneOrMtaSts,
    honorMtaSts: policy.honorMtaSts || policy.requireMtaSts || policy.requireDaneOrMtaSts,
  };
}

/** The depth flags a scan was asked for: the legacy check is on unless turned off; the others only when asked. */
export interface DepthFlags {
  readonly legacyCheck?: boolean;
  readonly legacyAcceptance?: boolean;
  readonly enumerate?: boolean;
  /** TLSA lookups (default on; --no-dane turns them off). */
  readonly dane?: boolean;
  /** The MTA-STS lookup and policy fetch (default on; --no-mta-sts). */
  readonly mtaSts?: boolean;
  /** The TLS-RPT lookup (default on; --no-tls-rpt). */
  readonly tlsRpt?: boolean;
}

/**
 * The depth a fresh scan under `policy` makes: the flags, plus what the policy
 * needs to be judged at all. A policy that forbids legacy protocols (strict)
 * needs legacy acceptance; nothing else needs more than the fixed profile.
 */
export function depthFor(policy: PolicyReport, flags: DepthFlags = {}): Depth {
  return {
    legacyCheck: flags.legacyCheck ?? true,
    legacyAcceptance: flags.legacyAcceptance === true || policy.forbidLegacyProtocols,
    enumerate: flags.enumerate === true,
    dane: flags.dane ?? true,
    mtaSts: flags.mtaSts ?? true,
    tlsRpt: flags.tlsRpt ?? true,
  };
}

/** A preset by name with --min-tls applied; unknown names are usage errors (files: src/policy/file.ts). */
export function resolvePolicy(name: string, minTls?: string): Policy {
  if (!isPresetName(name)) throw new UsageError(`unknown policy ${quoted(name)} (a preset: ${Object.keys(PRESETS).join(', ')}; or a JSON policy file's path)`);
  return withOverrides(PRESETS[name], { minTls });
}
