/**
 * Policy presets and the --min-tls override. A policy is plain data; the rules
 * in ./rules read it.
 */
import { UsageError } from '../errors.js';
import type { PolicyReport, TlsVersionSetting } from '../model/report.js';

export type Policy = PolicyReport;

export const TLS_VERSIONS: readonly TlsVersionSetting[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Orders protocol names as OpenSSL reports them; unknown names (SSLv3, "unknown") rank lowest. */
export function tlsVersionRank(protocol: string): number {
  return TLS_VERSIONS.indexOf(protocol as TlsVersionSetting);
}

export function meetsMinimum(protocol: string, minimum: TlsVersionSetting): boolean {
  return tlsVersionRank(protocol) >= tlsVersionRank(minimum);
}

/** The version one below the given one, or null below TLSv1. */
export function versionBelow(version: TlsVersionSetting): TlsVersionSetting | null {
  return TLS_VERSIONS[TLS_VERSIONS.indexOf(version) - 1] ?? null;
}

export const PRESETS = {
  /** "Require TLS 1.2 to the next hop": STARTTLS offered, handshake succeeds, TLS >= 1.2. */
  encrypt: {
    name: 'encrypt',
    minTlsVersion: 'TLSv1.2',
    requireStartTls: true,
    requireTrustedChain: false,
    requireHostnameMatch: false,
    requireUnexpired: false,
    expiryWarnDays: 21,
  },
  /** encrypt + chain trusted + certificate names the MX host + not expired. */
  verify: {
    name: 'verify',
    minTlsVersion: 'TLSv1.2',
    requireStartTls: true,
    requireTrustedChain: true,
    requireHostnameMatch: true,
    requireUnexpired: true,
    expiryWarnDays: 21,
  },
} as const satisfies Record<string, Policy>;

export type PresetName = keyof typeof PRESETS;

export function isPresetName(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/** "1.2" | "TLSv1.2" | "tls1.2" → "TLSv1.2"; throws UsageError otherwise. */
export function parseTlsVersion(text: string): TlsVersionSetting {
  const match = /^(?:tls\s*v?)?1\.([0-3])$/i.exec(text.trim());
  if (!match) {
    if (/^(?:tls\s*v?)?1$/i.test(text.trim())) return 'TLSv1';
    throw new UsageError(`invalid TLS version "${text}" (expected 1.0, 1.1, 1.2 or 1.3)`);
  }
  return match[1] === '0' ? 'TLSv1' : (`TLSv1.${match[1]}` as TlsVersionSetting);
}

/** Resolves --policy and --min-tls to a policy; unknown names are usage errors. */
export function resolvePolicy(name: string, minTls?: string): Policy {
  if (!isPresetName(name)) {
    throw new UsageError(
      `unknown policy "${name}" (available: ${Object.keys(PRESETS).join(', ')}; policy files come with a later release)`,
    );
  }
  const preset: Policy = PRESETS[name];
  if (minTls === undefined) return preset;
  return { ...preset, minTlsVersion: parseTlsVersion(minTls) };
}
