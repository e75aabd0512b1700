/**
 * Key-exchange groups (IANA "TLS Supported Groups") a session can offer, in
 * the order it offers them, with the name OpenSSL's `ecdhCurve` takes and the
 * name the report uses. Which of them this runtime can offer is measured
 * (./runtime.ts); the hybrid post-quantum groups need OpenSSL 3.5 (Node 22.20+,
 * 24.5+) and are reported as not testable elsewhere.
 */
export interface GroupEntry {
  /** The report's name: "X25519", "P-256", "ffdhe3072", "X25519MLKEM768", … */
  readonly name: string;
  /** What tls.createSecureContext's ecdhCurve takes. */
  readonly openssl: string;
  /** IANA code point. */
  readonly code: number;
}

/** Offer order: X25519 first (it gets the TLS 1.3 key share), the hybrids last (their key shares are large). */
export const GROUPS: readonly GroupEntry[] = [
  { name: 'X25519', openssl: 'X25519', code: 0x001d },
  { name: 'P-256', openssl: 'P-256', code: 0x0017 },
  { name: 'P-384', openssl: 'P-384', code: 0x0018 },
  { name: 'P-521', openssl: 'P-521', code: 0x0019 },
  { name: 'X448', openssl: 'X448', code: 0x001e },
  { name: 'brainpoolP256r1', openssl: 'brainpoolP256r1', code: 0x001a },
  { name: 'brainpoolP384r1', openssl: 'brainpoolP384r1', code: 0x001b },
  { name: 'brainpoolP512r1', openssl: 'brainpoolP512r1', code: 0x001c },
  { name: 'brainpoolP256r1tls13', openssl: 'brainpoolP256r1tls13', code: 0x001f },
  { name: 'brainpoolP384r1tls13', openssl: 'brainpoolP384r1tls13', code: 0x0020 },
  { name: 'brainpoolP512r1tls13', openssl: 'brainpoolP512r1tls13', code: 0x0021 },
  { name: 'ffdhe2048', openssl: 'ffdhe2048', code: 0x0100 },
  { name: 'ffdhe3072', openssl: 'ffdhe3072', code: 0x0101 },
  { name: 'ffdhe4096', openssl: 'ffdhe4096', code: 0x0102 },
  { name: 'ffdhe6144', openssl: 'ffdhe6144', code: 0x0103 },
  { name: 'ffdhe8192', openssl: 'ffdhe8192', code: 0x0104 },
  { name: 'X25519MLKEM768', openssl: 'X25519MLKEM768', code: 0x11ec },
  { name: 'SecP256r1MLKEM768', openssl: 'SecP256r1MLKEM768', code: 0x11eb },
  { name: 'SecP384r1MLKEM1024', openssl: 'SecP384r1MLKEM1024', code: 0x11ed },
];

const BY_CODE = new Map(GROUPS.map((g) => [g.code, g]));
const BY_NAME = new Map(GROUPS.map((g) => [g.name.toLowerCase(), g]));

/** OpenSSL's curve names, as getEphemeralKeyInfo() gives them, → the report's. */
const ALIASES: Readonly<Record<string, string>> = {
  prime256v1: 'P-256',
  secp256r1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

export function groupByCode(code: number): GroupEntry | undefined {
  return BY_CODE.get(code);
}

export function groupByName(name: string): GroupEntry | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * The report's name for the group a handshake used, from the key-exchange facts
 * (src/tls/upgrade.ts describeKeyExchange): an EC curve or hybrid by name, a
 * finite-field group in TLS 1.3 (always an RFC 7919 ffdhe group) by its size.
 * Null when the handshake used no group (static RSA, TLS 1.2 DHE).
 */
export function groupOfHandshake(protocol: string, keyExchange: { type: string | null; group: string | null; bits: number | null }): string | null {
  if (keyExchange.type === 'DH') return protocol === 'TLSv1.3' && keyExchange.bits !== null ? `ffdhe${keyExchange.bits}` : null;
  const raw = keyExchange.group;
  if (raw === null) return null;
  const name = ALIASES[raw] ?? groupByName(raw)?.name ?? raw;
  // TLS 1.3 has its own code points for the brainpool curves (RFC 8734); OpenSSL names the curve either way.
  if (protocol === 'TLSv1.3' && /^brainpoolP(256|384|512)r1$/.test(name)) return `${name}tls13`;
  return name;
}
