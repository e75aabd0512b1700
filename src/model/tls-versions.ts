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

/** The version just below `version`, or null below TLSv1. */
export function versionBelow(version: TlsVersionSetting): TlsVersionSetting | null {
  return TLS_VERSIONS[tlsVersionRank(version) - 1] ?? null;
}
