/**
 * Cipher-suite classification: NCSC-NL's security levels (good / sufficient /
 * phase-out / insufficient) as internet.nl applies them, and the RFC 9325
 * (BCP 195) properties a policy asks about (AEAD, forward secrecy, static RSA,
 * CBC, SHA-1 MAC, the forbidden families).
 *
 * How a level is found. NCSC-NL's "IT Security Guidelines for TLS" v2.1 (2021)
 * rate each algorithm of a suite; internet.nl (checks/tasks/cipher_info.py,
 * "Appendix C" levels) rates a TLS 1.0-1.2 suite as the *lowest* of four parts:
 *
 *   key exchange     ECDHE good · DHE sufficient · RSA (static) phase-out · anything else insufficient
 *   authentication   ECDSA, RSA good · anything else (DSS, anon, PSK, SRP, …) insufficient
 *   bulk encryption  AES-GCM, AES-CCM, ChaCha20-Poly1305 good · AES-CBC, Camellia sufficient ·
 *                    3DES, SEED, ARIA-GCM phase-out · anything else (RC4, DES, IDEA, NULL, CCM_8, ARIA-CBC) insufficient
 *   MAC              AEAD, SHA-256, SHA-384 good · SHA-1 sufficient · MD5 (and none) insufficient
 *
 * TLS 1.3 suites name neither key exchange nor authentication (always (EC)DHE
 * with a certificate): those parts are good, so a TLS 1.3 suite is rated by its
 * cipher (TLS_AES_128_CCM_8_SHA256 is insufficient, the other four good).
 *
 * So, for example: ECDHE-RSA-AES128-GCM-SHA256 good; DHE-RSA-AES256-GCM-SHA384
 * and ECDHE-RSA-AES128-SHA (CBC, SHA-1) sufficient; AES128-GCM-SHA256 (static
 * RSA) and DES-CBC3-SHA phase-out; RC4, NULL, EXPORT, anonymous, DES and DSS
 * suites insufficient. (internet.nl's 2025 rules, after NCSC-NL's 2025 update,
 * are stricter; this module follows v2.1, which is what the issue asks for.)
 *
 * The table is data (NCSC_LEVELS below) and the name parser is total: any IANA
 * name gets a class, and a part the table does not list is insufficient, as in
 * internet.nl ("anything not in these lists is insufficient").
 */
import type { CipherClass } from './probe.js';

/** The NCSC-NL v2.1 level of each part of a suite, as internet.nl applies it. A part not listed is insufficient. */
export const NCSC_LEVELS = {
  keyExchange: { TLS13: 'good', ECDHE: 'good', DHE: 'sufficient', RSA: 'phase-out' },
  authentication: { TLS13: 'good', ECDSA: 'good', RSA: 'good' },
  encryption: {
    AES_128_GCM: 'good',
    AES_256_GCM: 'good',
    AES_128_CCM: 'good',
    AES_256_CCM: 'good',
    CHACHA20_POLY1305: 'good',
    AES_128_CBC: 'sufficient',
    AES_256_CBC: 'sufficient',
    CAMELLIA_128_CBC: 'sufficient',
    CAMELLIA_256_CBC: 'sufficient',
    CAMELLIA_128_GCM: 'sufficient',
    CAMELLIA_256_GCM: 'sufficient',
    '3DES_EDE_CBC': 'phase-out',
    SEED_CBC: 'phase-out',
    ARIA_128_GCM: 'phase-out',
    ARIA_256_GCM: 'phase-out',
  },
  mac: { AEAD: 'good', SHA384: 'good', SHA256: 'good', SHA1: 'sufficient' },
} as const satisfies Record<string, Readonly<Record<string, CipherClass>>>;

/** Families RFC 9325 (BCP 195) and NCSC-NL rule out, worst first when a suite has several. */
export type WeakFamily = 'null' | 'export' | 'anon' | 'rc4' | 'des' | '3des' | 'idea';

export interface CipherTraits {
  readonly class: CipherClass;
  /** "TLS13" for TLS 1.3 suites; otherwise the suite's key exchange: ECDHE, DHE, RSA, ECDH, DH, PSK, SRP, KRB5, NULL, or "other". */
  readonly keyExchange: string;
  /** "TLS13", ECDSA, RSA, DSS, anon, PSK, SRP, KRB5, NULL, or "other". */
  readonly authentication: string;
  /** The bulk cipher as IANA spells it: AES_128_GCM, 3DES_EDE_CBC, CHACHA20_POLY1305, … */
  readonly encryption: string;
  /** AEAD, SHA384, SHA256, SHA1, MD5, NULL, or "other". */
  readonly mac: string;
  /** Authenticated encryption (GCM, CCM, ChaCha20-Poly1305): RFC 9325 §4.2 wants it. */
  readonly aead: boolean;
  /** Authenticated ephemeral key exchange (ECDHE, DHE, any TLS 1.3 suite): RFC 9325 §4.1. */
  readonly forwardSecrecy: boolean;
  /** RSA key transport, no forward secrecy (RFC 9325 §4.1: SHOULD NOT). */
  readonly staticRsa: boolean;
  /** A block cipher in CBC mode (MAC-then-encrypt; Lucky13, POODLE-style attacks). */
  readonly cbc: boolean;
  /** HMAC-SHA-1 as the record MAC. */
  readonly sha1Mac: boolean;
  /** The forbidden family this suite belongs to, the worst one when several apply; null when none. */
  readonly weak: WeakFamily | null;
}

const LEVELS: readonly CipherClass[] = ['insufficient', 'phase-out', 'sufficient', 'good'];

/** The NCSC-NL level of a suite named by its IANA name (nmap's TLS_AKE_WITH_ spelling is accepted). */
export function classifyCipher(standardName: string): CipherClass {
  return describeCipher(standardName).class;
}

/** Every trait of a suite named by its IANA name. Never throws: an unparseable name is "other" and insufficient. */
export function describeCipher(standardName: string): CipherTraits {
  const parts = parseSuiteName(standardName);
  const level = (table: Readonly<Record<string, CipherClass>>, key: string): CipherClass => table[key] ?? 'insufficient';
  const levels = [
    level(NCSC_LEVELS.keyExchange, parts.keyExchange),
    level(NCSC_LEVELS.authentication, parts.authentication),
    level(NCSC_LEVELS.encryption, parts.encryption),
    level(NCSC_LEVELS.mac, parts.mac),
  ];
  const lowest = Math.min(...levels.map((l) => LEVELS.indexOf(l)));
  const aead = /(_GCM|_CCM|_CCM_8|^CHACHA20_POLY1305)$/.test(parts.encryption);
  return {
    class: LEVELS[lowest] ?? 'insufficient',
    keyExchange: parts.keyExchange,
    authentication: parts.authentication,
    encryption: parts.encryption,
    mac: parts.mac,
    aead,
    forwardSecrecy: parts.keyExchange === 'TLS13' || ((parts.keyExchange === 'ECDHE' || parts.keyExchange === 'DHE') && parts.authentication !== 'anon'),
    staticRsa: parts.keyExchange === 'RSA',
    cbc: /_CBC(_40|_56)?$/.test(parts.encryption),
    sha1Mac: parts.mac === 'SHA1',
    weak: weakFamily(parts),
  };
}

interface SuiteParts {
  readonly keyExchange: string;
  readonly authentication: string;
  readonly encryption: string;
  readonly mac: string;
  readonly export: boolean;
}

/** Key-exchange part of an IANA name (between TLS_ and _WITH_, EXPORT markers removed) → [key exchange, authentication]. */
const KEY_EXCHANGES: Readonly<Record<string, readonly [string, string]>> = {
  RSA: ['RSA', 'RSA'],
  DH_DSS: ['DH', 'DSS'],
  DH_RSA: ['DH', 'RSA'],
  DHE_DSS: ['DHE', 'DSS'],
  DHE_RSA: ['DHE', 'RSA'],
  DH_anon: ['DH', 'anon'],
  ECDH_ECDSA: ['ECDH', 'ECDSA'],
  ECDH_RSA: ['ECDH', 'RSA'],
  ECDHE_ECDSA: ['ECDHE', 'ECDSA'],
  ECDHE_RSA: ['ECDHE', 'RSA'],
  ECDH_anon: ['ECDH', 'anon'],
  PSK: ['PSK', 'PSK'],
  DHE_PSK: ['PSK', 'PSK'],
  PSK_DHE: ['PSK', 'PSK'],
  RSA_PSK: ['PSK', 'RSA'],
  ECDHE_PSK: ['PSK', 'PSK'],
  SRP_SHA: ['SRP', 'SRP'],
  SRP_SHA_RSA: ['SRP', 'RSA'],
  SRP_SHA_DSS: ['SRP', 'DSS'],
  KRB5: ['KRB5', 'KRB5'],
  NULL: ['NULL', 'NULL'],
};

const MAC_TOKENS: Readonly<Record<string, string>> = { SHA: 'SHA1', SHA256: 'SHA256', SHA384: 'SHA384', MD5: 'MD5', NULL: 'NULL' };

/** Splits an IANA suite name into its parts. */
function parseSuiteName(raw: string): SuiteParts {
  const name = raw.startsWith('TLS_AKE_WITH_') ? `TLS_${raw.slice('TLS_AKE_WITH_'.length)}` : raw.replace(/^SSL_/, 'TLS_');
  const tls13 = /^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305|AES_128_CCM|AES_128_CCM_8)_SHA(256|384)$/.exec(name);
  if (tls13) return { keyExchange: 'TLS13', authentication: 'TLS13', encryption: tls13[1] ?? 'other', mac: 'AEAD', export: false };
  const match = /^TLS_(.+?)_WITH_(.+)$/.exec(name);
  if (!match) return { keyExchange: 'other', authentication: 'other', encryption: 'other', mac: 'other', export: false };
  const kxRaw = match[1] ?? '';
  const exportGrade = /_EXPORT(1024)?(?=_|$)/.test(kxRaw);
  const [keyExchange, authentication] = KEY_EXCHANGES[kxRaw.replace(/_EXPORT(1024)?(?=_|$)/, '')] ?? ['other', 'other'];
  const rest = match[2] ?? '';
  if (/_CCM(_8)?$/.test(rest)) return { keyExchange, authentication, encryption: rest, mac: 'AEAD', export: exportGrade };
  const macMatch = /^(.+)_(SHA|SHA256|SHA384|MD5|NULL)$/.exec(rest);
  const encryption = macMatch?.[1] ?? rest;
  const aeadCipher = /(_GCM|^CHACHA20_POLY1305)$/.test(encryption);
  const mac = aeadCipher ? 'AEAD' : (MAC_TOKENS[macMatch?.[2] ?? ''] ?? 'other');
  return { keyExchange, authentication, encryption, mac, export: exportGrade };
}

function weakFamily(parts: SuiteParts): WeakFamily | null {
  if (parts.encryption === 'NULL') return 'null';
  if (parts.export || /_40$|_40_|DES40/.test(parts.encryption)) return 'export';
  if (parts.authentication === 'anon') return 'anon';
  if (parts.encryption.startsWith('RC4')) return 'rc4';
  if (/^DES(40)?_CBC/.test(parts.encryption)) return 'des';
  if (parts.encryption.startsWith('3DES')) return '3des';
  if (parts.encryption.startsWith('IDEA')) return 'idea';
  return null;
}
