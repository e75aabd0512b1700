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
 * The one set of spellings flags and policy files accept, case-insensitive and
 * exactly as written (no spaces): "1.2", "TLSv1.2" and "TLS1.2" for each of 1.0
 * to 1.3, and "TLSv1" (the name reports use) for 1.0.
 */
const SPELLINGS: ReadonlyMap<string, TlsVersionSetting> = new Map(
  TLS_VERSIONS.flatMap((version, minor) => [
    ...[`1.${minor}`, `tlsv1.${minor}`, `tls1.${minor}`].map((spelling) => [spelling, version] as const),
    ...(version === 'TLSv1' ? [['tlsv1', version] as const] : []),
  ]),
);

/** The spellings, as help texts and messages list them (README says the same). */
export const TLS_VERSION_SPELLINGS = '1.0, 1.1, 1.2 or 1.3, spelt "1.2", "TLSv1.2" or "TLS1.2" (any case), and "TLSv1" for 1.0';

/** A version in one of the accepted spellings (SPELLINGS) → its name in reports; null for anything else. */
export function tlsVersionOf(text: string): TlsVersionSetting | null {
  return SPELLINGS.get(text.toLowerCase()) ?? null;
}

/** The version just below `version`, or null below TLSv1. */
export function versionBelow(version: TlsVersionSetting): TlsVersionSetting | null {
  return TLS_VERSIONS[tlsVersionRank(version) - 1] ?? null;
}
