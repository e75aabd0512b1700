/** The one scale of TLS versions every layer orders by (the sessions, the checks, the policy). */
import type { TlsVersionSetting } from './report.js';

/** Oldest first. SSLv3 is outside it: no Node can offer it. */
export const TLS_VERSIONS: readonly TlsVersionSetting[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Position on the scale; unknown names (SSLv3, "unknown") are -1, below everything. */
export function tlsVersionRank(protocol: string): number {
  return TLS_VERSIONS.indexOf(protocol as TlsVersionSetting);
}

export function meetsMinimum(protocol: string, minimum: TlsVersionSetting): boolean {
  return tlsVersionRank(protocol) >= tlsVersionRank(minimum);
}

/**
 * The one set of spellings flags and policy files accept, case-insensitive:
 * "1.2", "TLSv1.2", "TLS1.2", "TLS 1.2" for each version, and "TLSv1", "TLS1",
 * "1" (the name reports use) as well as "1.0" for 1.0. Null for anything else.
 */
export function tlsVersionOf(text: string): TlsVersionSetting | null {
  const match = /^(?:tls\s*v?)?1(?:\.([0-3]))?$/i.exec(text.trim());
  if (!match) return null;
  const minor = match[1];
  return minor === undefined || minor === '0' ? 'TLSv1' : (`TLSv1.${minor}` as TlsVersionSetting);
}

/** The version just below `version`, or null below TLSv1. */
export function versionBelow(version: TlsVersionSetting): TlsVersionSetting | null {
  return TLS_VERSIONS[tlsVersionRank(version) - 1] ?? null;
}
