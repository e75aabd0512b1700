/**
 * What this runtime's TLS library can offer, measured rather than assumed: for
 * each version, a ClientHello is built with everything OpenSSL knows
 * (`ALL:COMPLEMENTOFALL` at security level 0, every TLS 1.3 suite, every group
 * it accepts) and read back from an in-memory stream: no network. Its cipher
 * suites and groups are what --enumerate offers; the rest of the suite table
 * (./suites.ts) and the group list (./groups.ts) is "not testable here".
 *
 * Measured on Node 20.20 (OpenSSL 3.0): 89 suites for TLS 1.2, 28 for TLS
 * 1.0/1.1, 5 for TLS 1.3; no 3DES, RC4, DES, EXPORT, SEED, IDEA, static (EC)DH;
 * no hybrid post-quantum group. Node 22/24 (OpenSSL 3.5) add X25519MLKEM768,
 * SecP256r1MLKEM768, SecP384r1MLKEM1024 and the TLS 1.3 brainpool groups.
 * SSLv3 cannot be offered by any of them.
 */
import { TLS_VERSIONS } from '../../model/tls-versions.js';
import { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type SecureVersion, type TLSSocket } from 'node:tls';
import { LEGACY_CIPHERS } from '../../tls/upgrade.js';
import { parseClientHello } from './hello.js';
import { GROUPS, groupByCode, type GroupEntry } from '../../tls/groups.js';
import { isTls13Suite, SUITES, suiteByCode, type SuiteEntry } from './suites.js';
import type { EnumVersion } from './types.js';

export interface RuntimeCapabilities {
  /** Suites offered per version, strongest first (OpenSSL's order). Empty: the version cannot be offered here. */
  readonly suites: Readonly<Record<EnumVersion, readonly SuiteEntry[]>>;
  /** Groups offered per version, in offer order (TLS 1.0-1.2 carry only elliptic curves). */
  readonly groups: Readonly<Record<EnumVersion, readonly GroupEntry[]>>;
  /** Groups of ./groups.ts this runtime cannot offer (e.g. X25519MLKEM768 on Node 20). */
  readonly groupsNotTestable: readonly string[];
  /** IANA names of ./suites.ts that no version can offer here, in table order. */
  readonly notTestable: readonly string[];
  /** Code points the runtime offered that the suite table does not know (a test keeps this empty). */
  readonly unknownOffered: readonly number[];
  /**
   * What the plain probe offers (src/tls/upgrade.ts), IANA names in ClientHello
   * order: Node's default list for TLS 1.2-1.3, and LEGACY_CIPHERS for the
   * TLS 1.0-1.1 session. The engine reads the plain probe's pick against it.
   */
  readonly defaultOffer: { readonly modern: readonly string[]; readonly legacy: readonly string[] };
}


/** Every TLS 1.3 suite, in the order OpenSSL prefers them. */
export const TLS13_SUITE_NAMES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_CCM_SHA256', 'TLS_AES_128_CCM_8_SHA256'];

/** Everything OpenSSL knows for TLS 1.0-1.2, including NULL and anonymous suites, at security level 0. */
const ALL_LEGACY = 'ALL:COMPLEMENTOFALL:@SECLEVEL=0';
/** How long building one ClientHello may take (it is synchronous work in practice). */
const CAPTURE_TIMEOUT_MS = 5000;

let measured: Promise<RuntimeCapabilities> | undefined;

/** The runtime's capabilities, measured once per process. */
export function runtimeCapabilities(): Promise<RuntimeCapabilities> {
  if (measured === undefined) {
    measured = measure();
    measured.catch(() => {
      measured = undefined; // a failure is not remembered: the next caller measures again
    });
  }
  return measured;
}

/** The OpenSSL cipher string that offers exactly `suites` (in order) for a session offering `minVersion`..`maxVersion`. */
export function cipherString(suites: readonly SuiteEntry[], minVersion: EnumVersion, maxVersion: EnumVersion): string {
  const names = (filter: (s: SuiteEntry) => boolean): string[] => suites.filter(filter).flatMap((s) => (s.openssl === null ? [] : [s.openssl]));
  if (minVersion === 'TLSv1.3') {
    // "ALL" only fills the TLS 1.0-1.2 list, which a TLS 1.3-only ClientHello does not carry; OpenSSL needs a non-empty one.
    return [...names((s) => isTls13Suite(s.iana)), 'ALL', '@SECLEVEL=0'].join(':');
  }
  const legacy = names((s) => !isTls13Suite(s.iana));
  const tls13 = maxVersion === 'TLSv1.3' ? names((s) => isTls13Suite(s.iana)) : [];
  return [...tls13, ...legacy, '@SECLEVEL=0'].join(':');
}

async function measure(): Promise<RuntimeCapabilities> {
  const usable = GROUPS.filter((g) => acceptsGroup(g.openssl));
  const curveList = usable.map((g) => g.openssl).join(':');
  const suites = {} as Record<EnumVersion, readonly SuiteEntry[]>;
  const groups = {} as Record<EnumVersion, readonly GroupEntry[]>;
  const offered = new Set<number>();
  const unknown = new Set<number>();
  for (const version of TLS_VERSIONS) {
    const ciphers = version === 'TLSv1.3' ? `${TLS13_SUITE_NAMES.join(':')}:ALL:@SECLEVEL=0` : ALL_LEGACY;
    const hello = await captureClientHello(version, ciphers, curveList).catch(() => null);
    const entries: SuiteEntry[] = [];
    for (const code of hello?.cipherSuites ?? []) {
      const entry = suiteByCode(code);
      if (entry === undefined) unknown.add(code);
      else if (!entries.includes(entry)) entries.push(entry);
      offered.add(code);
    }
    suites[version] = entries;
    groups[version] = (hello?.groups ?? []).flatMap((code) => groupByCode(code) ?? []);
  }
  const defaultSuites = async (options: Parameters<typeof captureFirstFlight>[0]): Promise<string[]> => {
    const bytes = await captureFirstFlight(options).catch(() => null);
    const hello = bytes === null ? null : parseClientHello(bytes);
    return (hello?.cipherSuites ?? []).flatMap((code) => suiteByCode(code)?.iana ?? []);
  };
  return {
    suites,
    groups,
    groupsNotTestable: GROUPS.filter((g) => !usable.includes(g)).map((g) => g.name),
    notTestable: SUITES.filter((s) => !offered.has(s.code)).map((s) => s.iana),
    unknownOffered: [...unknown],
    defaultOffer: {
      modern: await defaultSuites({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }),
      legacy: await defaultSuites({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: LEGACY_CIPHERS }),
    },
  };
}

function acceptsGroup(name: string): boolean {
  try {
    createSecureContext({ ecdhCurve: name });
    return true;
  } catch {
    return false;
  }
}

/** Builds a client's first flight into memory and reads its ClientHello. */
async function captureClientHello(version: SecureVersion, ciphers: string, ecdhCurve: string) {
  const bytes = await captureFirstFlight({ minVersion: version, maxVersion: version, ciphers, ...(ecdhCurve === '' ? {} : { ecdhCurve }) });
  const hello = parseClientHello(bytes);
  if (hello === null) throw new Error('the ClientHello could not be read');
  return hello;
}

/**
 * The bytes a TLS client writes first (its ClientHello), written into an
 * in-memory stream that never answers. Rejects when the context cannot be built
 * or nothing complete is written within CAPTURE_TIMEOUT_MS.
 */
export function captureFirstFlight(options: {
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
  ciphers?: string;
  ecdhCurve?: string;
  sigalgs?: string;
}): Promise<Buffer> {
  const context = createSecureContext(options);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let settled = false;
    let client: TLSSocket | undefined;
    // Armed first: the ClientHello is written synchronously, from inside tls.connect.
    const timer = setTimeout(() => finish(new Error(`no ClientHello within ${CAPTURE_TIMEOUT_MS} ms`)), CAPTURE_TIMEOUT_MS);
    const wire = new Duplex({
      read() {
        // the peer never answers
      },
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        length += chunk.length;
        callback();
        const all = Buffer.concat(chunks, length);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) finish(null, all);
      },
    });
    client = tlsConnect({ socket: wire, secureContext: context, minVersion: options.minVersion, maxVersion: options.maxVersion, rejectUnauthorized: false });
    client.on('error', (error: Error) => finish(error));
    function finish(error: Error | null, bytes?: Buffer): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Not from inside the write callback: destroying the TLS socket there re-enters it.
      setImmediate(() => {
        client?.destroy();
        wire.destroy();
      });
      if (error !== null || bytes === undefined) reject(error ?? new Error('no ClientHello'));
      else resolve(bytes);
    }
  });
}
