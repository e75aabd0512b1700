/**
 * The interop tier (issue 3): the built CLI scans real Postfix and Exim servers and a real
 * nsd, all started on loopback by test/interop/setup.sh, and every fact it reports is
 * checked against a second opinion:
 *
 * - each probed address: `openssl s_client -starttls smtp` making the same offer mxready
 *   makes (protocol, cipher, key exchange, the certificates sent, the verify verdict),
 *   `openssl x509` on the leaf (subject and issuer RDN by RDN, validity, key, signature,
 *   fingerprint, host name match), and a hand-read SMTP transcript (greeting, EHLO);
 * - each domain: `dig` against the same nsd (MX set and preferences, null MX, implicit MX,
 *   CNAME, addresses, NXDOMAIN);
 * - and what each set-up is meant to yield (test/interop/README.md), so a server that
 *   quietly stopped being the case it stands for is caught too.
 *
 * A disagreement fails the test with both sides printed. Named *.itest.ts so the plain
 * `npm test` (scripts/run-tests.mjs collects *.test.js) leaves it alone: it needs root
 * and the servers; `npm run test:interop` (test/interop/run.sh) brings them up.
 */
import { interopVariable, scanAll as scanWith } from './env.js';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import {
  dig,
  limited,
  opensslNamesHost,
  opensslStandardName,
  parseDn,
  sClient,
  smtpTranscript,
  x509Facts,
  type CommandResult,
  type SClientSession,
  type SmtpTranscript,
  type X509Facts,
} from './witnesses.js';


// ---------------------------------------------------------------------------
// What the tier is made of (test/interop/lib.sh builds it; README.md describes it)

type Mta = 'Postfix' | 'Exim';

/** What one probed address should yield under the default policy (encrypt, TLS 1.2+). */
interface ProbeExpectation {
  readonly status: string;
  readonly protocol?: string;
  readonly legacyCheck?: 'negotiated' | 'refused' | 'incomplete';
  readonly trusted?: boolean;
  readonly validationError?: string | null;
  readonly selfSigned?: boolean;
  readonly keyType?: string;
  readonly keyBits?: number;
  readonly greetingLines?: number;
  /** The greeting is complete only after this many milliseconds (postscreen's pause). */
  readonly greetingAfterMs?: number;
  /** error.phase and error.reply.code, where the session failed. */
  readonly errorPhase?: string;
  readonly replyCode?: number;
  readonly keyExchangeType?: string;
  readonly forwardSecrecy?: boolean;
}

/** A server set-up: the MX host NAME.mx.interop.test at `ip`, and the domain NAME.interop.test. */
interface HostCase {
  readonly name: string;
  readonly ip: string;
  /** Also reachable at [::1]:25, with an AAAA record beside the A. */
  readonly ipv6?: boolean;
  readonly mta: Mta;
  readonly setup: string;
  readonly probe: ProbeExpectation;
  /** The domain's findings (ids from the documented catalogue), and ones it may have too. */
  readonly findings: readonly string[];
  readonly optionalFindings?: readonly string[];
  /** Whether the MX host name matches the certificate. */
  readonly hostnameMatch?: boolean;
  /** The domain's status when it is not simply pass (probe ok) or fail (any other probe status). */
  readonly domainStatus?: 'error';
}

const valid = { trusted: true, validationError: null, selfSigned: false } as const;

const HOSTS: readonly HostCase[] = [
  {
    name: 'pf-modern',
    ip: '127.0.25.11',
    mta: 'Postfix',
    setup: 'TLS 1.2 + 1.3, RSA 2048 from the test CA, a rich subject',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'rsa', keyBits: 2048 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'pf-tls12',
    ip: '127.0.25.12',
    mta: 'Postfix',
    setup: 'TLS 1.2 only',
    probe: { status: 'ok', protocol: 'TLSv1.2', ...valid, keyType: 'rsa', keyBits: 2048 },
    findings: ['tls.no-tls13'],
    hostnameMatch: true,
  },
  {
    name: 'pf-tls11',
    ip: '127.0.25.13',
    mta: 'Postfix',
    setup: 'TLS 1.0 and 1.1, nothing newer',
    probe: { status: 'ok', protocol: 'TLSv1.1', legacyCheck: 'negotiated' },
    findings: ['tls.legacy-protocol.accepted', 'tls.version.below-minimum'],
  },
  {
    name: 'pf-tls10',
    ip: '127.0.25.14',
    mta: 'Postfix',
    setup: 'TLS 1.0 only',
    probe: { status: 'ok', protocol: 'TLSv1', legacyCheck: 'negotiated' },
    findings: ['tls.legacy-protocol.accepted', 'tls.version.below-minimum'],
  },
  {
    name: 'pf-plain',
    ip: '127.0.25.15',
    mta: 'Postfix',
    setup: 'no STARTTLS',
    probe: { status: 'no-starttls' },
    findings: ['starttls.missing'],
  },
  {
    name: 'pf-selfsigned',
    ip: '127.0.25.16',
    mta: 'Postfix',
    setup: 'self-signed, CN only (no SAN)',
    probe: { status: 'ok', protocol: 'TLSv1.3', trusted: false, validationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true },
    findings: ['cert.untrusted'],
    hostnameMatch: true,
  },
  {
    name: 'pf-expired',
    ip: '127.0.25.17',
    mta: 'Postfix',
    setup: 'expired 30 days ago (test CA)',
    probe: { status: 'ok', protocol: 'TLSv1.3', trusted: false, validationError: 'CERT_HAS_EXPIRED', selfSigned: false },
    findings: ['cert.expired'],
    optionalFindings: ['cert.untrusted'],
    hostnameMatch: true,
  },
  {
    name: 'pf-wrongname',
    ip: '127.0.25.18',
    mta: 'Postfix',
    setup: 'valid, but for www.elsewhere.example',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid },
    findings: ['cert.hostname-mismatch'],
    hostnameMatch: false,
  },
  {
    name: 'pf-rsa1024',
    ip: '127.0.25.19',
    mta: 'Postfix',
    setup: 'RSA 1024 from the test CA (server at OpenSSL security level 0)',
    // Node's OpenSSL runs at security level 1, where RSA 1024 (80 bits) is still accepted,
    // in the handshake and in chain verification; Debian's openssl (level 2) says 66.
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'rsa', keyBits: 1024 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'pf-ecdsa',
    ip: '127.0.25.20',
    mta: 'Postfix',
    setup: 'ECDSA P-256 from the test CA',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'ec', keyBits: 256 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'pf-future',
    ip: '127.0.25.21',
    mta: 'Postfix',
    setup: 'not valid before 30 days from now (test CA)',
    probe: { status: 'ok', protocol: 'TLSv1.3', trusted: false, validationError: 'CERT_NOT_YET_VALID', selfSigned: false },
    findings: ['cert.not-yet-valid'],
    optionalFindings: ['cert.untrusted'],
    hostnameMatch: true,
  },
  {
    name: 'pf-chain',
    ip: '127.0.25.22',
    mta: 'Postfix',
    setup: 'leaf sent without its issuing CA (incomplete chain)',
    probe: { status: 'ok', protocol: 'TLSv1.3', trusted: false, validationError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', selfSigned: false },
    findings: ['cert.untrusted'],
    hostnameMatch: true,
  },
  {
    name: 'pf-slow',
    ip: '127.0.25.23',
    mta: 'Postfix',
    setup: 'postscreen in front: "220-" at once, the final "220 " 2 s later; talking early is punished',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, greetingLines: 2, greetingAfterMs: 1900 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'pf-ccert',
    ip: '127.0.25.24',
    mta: 'Postfix',
    setup: 'STARTTLS required with a client certificate: 421 to the EHLO inside TLS',
    probe: { status: 'smtp-rejected', protocol: 'TLSv1.3', ...valid, errorPhase: 'ehlo-after-tls', replyCode: 421 },
    findings: ['smtp.rejected-after-tls'],
    hostnameMatch: true,
  },
  {
    name: 'pf-nocipher',
    ip: '127.0.25.25',
    mta: 'Postfix',
    setup: 'TLS 1.2 with Camellia ciphers only, none of which Node offers: no shared cipher',
    probe: { status: 'tls-failed', legacyCheck: undefined, errorPhase: 'tls' },
    findings: ['tls.handshake.failed'],
  },
  {
    name: 'pf-dual',
    ip: '127.0.25.26',
    ipv6: true,
    mta: 'Postfix',
    setup: 'dual stack: an A and an AAAA record, the same smtpd on both (TLS 1.2 + 1.3)',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'rsa', keyBits: 2048 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'pf-reject',
    ip: '127.0.25.27',
    mta: 'Postfix',
    setup: 'every client refused at connect: a 554 greeting instead of 220',
    probe: { status: 'smtp-rejected', errorPhase: 'greeting', replyCode: 554 },
    // Refused before anything could be assessed: not a policy gap, an unassessed target.
    domainStatus: 'error',
    findings: ['probe.smtp-rejected'],
  },
  {
    name: 'ex-modern',
    ip: '127.0.25.31',
    mta: 'Exim',
    setup: 'TLS 1.2 + 1.3 (GnuTLS), RSA 2048 from the test CA',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'rsa', keyBits: 2048 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'ex-tls12',
    ip: '127.0.25.32',
    mta: 'Exim',
    setup: 'TLS 1.2 only (GnuTLS)',
    probe: { status: 'ok', protocol: 'TLSv1.2', ...valid, keyType: 'rsa', keyBits: 2048 },
    findings: ['tls.no-tls13'],
    hostnameMatch: true,
  },
  {
    name: 'ex-banner',
    ip: '127.0.25.33',
    mta: 'Exim',
    setup: 'a three-line 220 greeting, TLS 1.2 + 1.3',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, greetingLines: 3 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'ex-ecdsa',
    ip: '127.0.25.34',
    mta: 'Exim',
    setup: 'ECDSA P-256, wildcard *.mx.interop.test',
    probe: { status: 'ok', protocol: 'TLSv1.3', ...valid, keyType: 'ec', keyBits: 256 },
    findings: [],
    hostnameMatch: true,
  },
  {
    name: 'ex-plain',
    ip: '127.0.25.35',
    mta: 'Exim',
    setup: 'no STARTTLS',
    probe: { status: 'no-starttls' },
    findings: ['starttls.missing'],
  },
  {
    name: 'ex-tls10',
    ip: '127.0.25.36',
    mta: 'Exim',
    setup: 'TLS 1.0 only (GnuTLS)',
    probe: { status: 'ok', protocol: 'TLSv1', legacyCheck: 'negotiated' },
    findings: ['tls.legacy-protocol.accepted', 'tls.version.below-minimum'],
  },
  {
    name: 'ex-ccert',
    ip: '127.0.25.37',
    mta: 'Exim',
    setup: 'a client certificate required in the handshake (GnuTLS): refused after the TLS 1.3 handshake',
    probe: { status: 'smtp-rejected', protocol: 'TLSv1.3', ...valid, errorPhase: 'ehlo-after-tls' },
    findings: ['smtp.rejected-after-tls'],
    hostnameMatch: true,
  },
  {
    name: 'ex-454',
    ip: '127.0.25.38',
    mta: 'Exim',
    setup: 'STARTTLS advertised, answered 454 (its certificate file is missing)',
    probe: { status: 'starttls-rejected', errorPhase: 'starttls', replyCode: 454 },
    findings: ['starttls.rejected'],
  },
  {
    name: 'ex-rsakx',
    ip: '127.0.25.39',
    mta: 'Exim',
    setup: 'TLS 1.2 with static RSA key exchange only (no forward secrecy)',
    probe: { status: 'ok', protocol: 'TLSv1.2', ...valid, keyExchangeType: 'RSA', forwardSecrecy: false },
    findings: ['tls.no-tls13', 'tls.forward-secrecy.missing'],
    hostnameMatch: true,
  },
];

/** A domain (or relay) and what mxready should report for it. */
interface TargetCase {
  readonly input: string;
  readonly what: string;
  readonly kind: 'domain' | 'host';
  readonly status: 'pass' | 'fail' | 'error';
  readonly deliverable: boolean | null;
  readonly mxSource: string;
  readonly errorCode?: string;
  readonly findings: readonly string[];
  readonly optionalFindings?: readonly string[];
  /** The MX list in mxready's order (host, preference): what the zone says, sorted. */
  readonly mx?: readonly (readonly [string, number])[];
}

const Z = 'interop.test';

const TARGETS: readonly TargetCase[] = [
  // First, so that the address is probed without SNI (an IP literal sends none).
  {
    input: '127.0.25.31',
    what: 'a relay by IP literal (Exim ex-modern): no SNI, and the certificate names no IP',
    kind: 'host',
    status: 'pass',
    deliverable: true,
    mxSource: 'none',
    findings: ['cert.hostname-mismatch'],
  },
  ...HOSTS.map((h): TargetCase => {
    // A gap is a fail finding; under encrypt only TLS below 1.2 is one for a session that completed.
    const pass = h.probe.status === 'ok' && !h.findings.includes('tls.version.below-minimum');
    return {
      input: `${h.name}.${Z}`,
      what: `${h.mta} ${h.name}: ${h.setup}`,
      kind: 'domain',
      status: h.domainStatus ?? (pass ? 'pass' : 'fail'),
      // true: it meets; false: assessed and it does not (stuck); null: it could not be assessed
      deliverable: pass ? true : h.domainStatus === 'error' ? null : false,
      mxSource: 'mx',
      findings: h.findings,
      ...(h.optionalFindings !== undefined ? { optionalFindings: h.optionalFindings } : {}),
      mx: [[`${h.name}.mx.${Z}`, 10]],
    };
  }),
  {
    input: `multi.${Z}`,
    what: 'three MX, listed out of order, on both MTAs',
    kind: 'domain',
    status: 'pass',
    deliverable: true,
    mxSource: 'mx',
    findings: ['tls.no-tls13'],
    mx: [
      [`pf-modern.mx.${Z}`, 10],
      [`ex-modern.mx.${Z}`, 20],
      [`pf-tls12.mx.${Z}`, 30],
    ],
  },
  {
    input: `fallback.${Z}`,
    what: 'a good primary and a backup without STARTTLS: a gap, mail still flows',
    kind: 'domain',
    status: 'fail',
    deliverable: true,
    mxSource: 'mx',
    findings: ['starttls.missing'],
    mx: [
      [`pf-modern.mx.${Z}`, 10],
      [`pf-plain.mx.${Z}`, 20],
    ],
  },
  {
    input: `nullmx.${Z}`,
    what: 'RFC 7505 null MX',
    kind: 'domain',
    status: 'pass',
    deliverable: null,
    mxSource: 'null',
    findings: ['dns.null-mx'],
    mx: [],
  },
  {
    input: `mixednull.${Z}`,
    what: 'a null MX beside a real MX (RFC 7505 forbids it): the null MX is ignored',
    kind: 'domain',
    status: 'pass',
    deliverable: true,
    mxSource: 'mx',
    findings: ['dns.null-mx.mixed'],
    mx: [[`pf-modern.mx.${Z}`, 10]],
  },
  {
    input: `implicit.${Z}`,
    what: 'no MX: the A record is the implicit MX (Postfix pf-modern)',
    kind: 'domain',
    status: 'pass',
    deliverable: true,
    mxSource: 'implicit',
    findings: ['dns.implicit-mx'],
    mx: [[`implicit.${Z}`, 0]],
  },
  {
    input: `cname.${Z}`,
    what: 'the MX names a CNAME (to pf-modern)',
    kind: 'domain',
    status: 'pass',
    deliverable: true,
    mxSource: 'mx',
    findings: ['dns.mx.cname'],
    mx: [[`alias.mx.${Z}`, 10]],
  },
  {
    input: `noaddr.${Z}`,
    what: 'the only MX host has no address',
    kind: 'domain',
    status: 'error',
    deliverable: null,
    mxSource: 'mx',
    findings: ['dns.no-address', 'dns.mx.no-address'],
    mx: [[`void.mx.${Z}`, 10]],
  },
  {
    input: `partial.${Z}`,
    what: 'one MX host does not exist, the other works',
    kind: 'domain',
    status: 'pass',
    deliverable: true,
    mxSource: 'mx',
    findings: ['dns.mx.no-address'],
    mx: [
      [`gone.mx.${Z}`, 10],
      [`ex-modern.mx.${Z}`, 20],
    ],
  },
  {
    input: `nx.${Z}`,
    what: 'NXDOMAIN',
    kind: 'domain',
    status: 'error',
    deliverable: null,
    mxSource: 'none',
    errorCode: 'nxdomain',
    findings: ['dns.nxdomain'],
    mx: [],
  },
];

/**
 * The second scan, with --min-tls 1.0: the hosts that speak only TLS 1.0/1.1 then pass
 * with the older session's facts (mxready's second session, at OpenSSL security level 0),
 * and a modern host still negotiates TLS 1.3 in the first.
 */
const LEGACY_HOSTS: readonly { readonly name: string; readonly protocol: string }[] = [
  { name: 'pf-tls11', protocol: 'TLSv1.1' },
  { name: 'pf-tls10', protocol: 'TLSv1' },
  { name: 'ex-tls10', protocol: 'TLSv1' },
  { name: 'pf-modern', protocol: 'TLSv1.3' },
];
const LEGACY_TARGETS = LEGACY_HOSTS.map((h) => `${h.name}.${Z}`);

/** The finding ids README.md documents; expectations are exact over these (new ids are not judged here). */
const CATALOGUE = new Set([
  'starttls.missing',
  'starttls.rejected',
  'tls.handshake.failed',
  'tls.version.below-minimum',
  'smtp.rejected-after-tls',
  'cert.untrusted',
  'cert.expired',
  'cert.not-yet-valid',
  'cert.hostname-mismatch',
  'cert.unreadable',
  'cert.expiring-soon',
  'tls.plaintext-injected',
  'tls.no-tls13',
  'tls.forward-secrecy.missing',
  'probe.unreachable',
  'probe.timeout',
  'probe.connection-closed',
  'probe.smtp-rejected',
  'probe.protocol-error',
  'probe.internal-error',
  'address.private',
  'dns.nxdomain',
  'dns.lookup-failed',
  'dns.no-address',
  'dns.null-mx',
  'dns.null-mx.mixed',
  'dns.implicit-mx',
  'dns.mx.cname',
  'dns.mx.no-address',
  'dns.mx.ip-literal',
  'dns.mx.truncated',
  'dns.addresses.truncated',
  'tls.legacy-protocol.accepted',
  'policy.not-measured',
]);

// ---------------------------------------------------------------------------
// The JSON report, as far as this tier reads it (DESIGN.md, schemaVersion 2)

interface ChainCert {
  readonly subject: string;
  readonly issuer: string;
  readonly fingerprintSha256: string;
}
interface CertFacts extends ChainCert {
  readonly notBefore: string;
  readonly notAfter: string;
  readonly keyType: string;
  readonly keyBits: number | null;
  readonly signatureAlgorithm: string;
  readonly selfSigned: boolean;
  readonly trusted: boolean;
  readonly validationError: string | null;
  readonly hostnameMatch: boolean;
  readonly chain: readonly ChainCert[];
}
interface Probe {
  readonly status: string;
  readonly banner: string | null;
  readonly extensions: readonly string[];
  readonly starttls: boolean;
  readonly sni?: string | null;
  readonly tls?: {
    readonly protocol: string;
    readonly cipher: { readonly name: string; readonly standardName: string };
    readonly keyExchange: { readonly type: string | null; readonly group: string | null; readonly bits: number | null };
    readonly forwardSecrecy: boolean;
  };
  readonly extensionsAfterTls?: readonly string[];
  readonly certificate?: CertFacts;
  readonly legacyCheck?: 'negotiated' | 'refused' | 'incomplete';
  readonly tlsMode?: string;
  readonly error?: {
    readonly phase: string;
    readonly code: string;
    readonly message: string;
    readonly reply?: { readonly code: number; readonly lines: readonly string[] };
  };
  readonly timings: { readonly greetingMs: number | null; readonly totalMs: number };
}
interface MxEntry {
  readonly host: string;
  readonly preference: number;
  readonly cname?: readonly string[];
  readonly error?: { readonly code: string; readonly message: string };
  readonly addresses: readonly { readonly ip: string; readonly port: number; readonly probe: Probe }[];
}
interface Target {
  readonly input: string;
  readonly domain: string;
  readonly kind: string;
  readonly status: string;
  readonly error?: { readonly code: string; readonly message: string };
  readonly deliverable: boolean | null;
  readonly dns: { readonly mxSource: string; readonly error?: { readonly code: string; readonly message: string } };
  readonly mx: readonly MxEntry[];
  readonly findings: readonly { readonly id: string; readonly severity: string; readonly host?: string }[];
}
interface Report {
  readonly schemaVersion: number;
  readonly targets: readonly Target[];
}

// ---------------------------------------------------------------------------
// The run's environment (written by setup.sh) and the scan

interface InteropEnv {
  readonly resolver: { readonly ip: string; readonly port: number };
  readonly resolverArg: string;
  readonly caFile: string;
}

/** MXREADY_INTEROP_* from the environment (run.sh exports them), else from setup.sh's env file. */
function interopEnv(): InteropEnv {
  const get = interopVariable;
  const resolverArg = get('MXREADY_INTEROP_RESOLVER');
  const [ip = '', port = '53'] = resolverArg.split(':');
  const caFile = get('MXREADY_INTEROP_CA_FILE');
  if (!existsSync(caFile)) throw new Error(`the test CA ${caFile} is missing: run \`npm run test:interop\``);
  return { resolver: { ip, port: Number(port) }, resolverArg, caFile };
}


// ---------------------------------------------------------------------------
// Disagreements, collected per test and printed together

class Disagreements {
  readonly #items: string[] = [];

  constructor(readonly subject: string) {}

  /** Records a disagreement unless `mxready` deep-equals `witness`. */
  same(what: string, mxready: unknown, witness: unknown, witnessName: string, evidence?: string): void {
    try {
      assert.deepStrictEqual(mxready, witness);
    } catch {
      this.#items.push(
        `${what}:\n    mxready: ${JSON.stringify(mxready)}\n    ${witnessName}: ${JSON.stringify(witness)}` +
          (evidence !== undefined ? `\n    ${evidence.trim().split('\n').join('\n    ')}` : ''),
      );
    }
  }

  /** Records a disagreement with what the set-up is meant to yield (README.md). */
  expect(what: string, actual: unknown, expected: unknown): void {
    this.same(what, actual, expected, 'expected (test/interop/README.md)');
  }

  fail(text: string): void {
    this.#items.push(text);
  }

  /** Fails the test listing every disagreement. */
  check(): void {
    if (this.#items.length > 0) {
      assert.fail(`${this.subject}: ${this.#items.length} disagreement(s)\n  - ${this.#items.join('\n  - ')}`);
    }
  }
}

// ---------------------------------------------------------------------------
// The witnesses of one address, gathered once and shared by the tests

interface AddressWitness {
  readonly transcript: SmtpTranscript;
  readonly policy: SClientSession;
  readonly legacy: SClientSession | null;
}

/** Every probe of an address in the report, with the MX name it was reached by. */
interface ProbeUse {
  readonly target: Target;
  readonly mx: MxEntry;
  readonly probe: Probe;
}

/** "127.0.0.1:25", "[::1]:25". */
const addressKey = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

function parseAddressKey(key: string): { ip: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(key);
  if (m === null) throw new Error(`not an address key: ${key}`);
  return { ip: m[1] ?? '', port: Number(m[2]) };
}

function probesByAddress(report: Report): Map<string, ProbeUse[]> {
  const uses = new Map<string, ProbeUse[]>();
  for (const target of report.targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const key = addressKey(address.ip, address.port);
        uses.set(key, [...(uses.get(key) ?? []), { target, mx, probe: address.probe }]);
      }
    }
  }
  return uses;
}

async function witness(ip: string, port: number, probe: Probe, caFile: string): Promise<AddressWitness> {
  const transcript = await smtpTranscript(ip, port);
  const sni = probe.sni ?? null;
  // s_client prints the last line of the EHLO reply again after the handshake.
  const last = transcript.extensions[transcript.extensions.length - 1];
  const staleLine = last === undefined ? undefined : `250 ${last}`;
  const policy = await sClient({ ip, port, sni, caFile, offer: 'policy', ...(staleLine !== undefined ? { staleLine } : {}) });
  // The legacy offer where the policy's offer failed, as mxready's legacy check does.
  const legacy = policy.handshake || !transcript.starttls || transcript.starttls.code !== 220
    ? null
    : await sClient({ ip, port, sni, caFile, offer: 'legacy', ...(staleLine !== undefined ? { staleLine } : {}) });
  return { transcript, policy, legacy };
}

/** OpenSSL's reasons for "no protocol version in common" (either side's view). */
const VERSION_FAILURES = /alert protocol version|unsupported protocol|no protocols available|wrong version number/;

const evidenceOf = (session: SClientSession): string =>
  `$ ${session.result.command}  (exit ${session.result.code})\n${(session.result.stdout + session.result.stderr)
    .split('\n')
    .filter((l) => !/^[A-Za-z0-9+/=]{40,}$/.test(l))
    .slice(0, 60)
    .join('\n')}`;

/** Sorted "TYPE=value" lists per RDN, so RFC 4514 escaping differences do not matter. */
const rdns = (dn: string): string[][] => parseDn(dn).map((rdn) => [...rdn]);

// ---------------------------------------------------------------------------
// The tests

describe('interop: mxready against real MTAs, cross-checked with openssl and dig', () => {
  let env: InteropEnv;
  let report: Report;
  let scanRun: CommandResult;
  let legacyReport: Report;
  let legacyRun: CommandResult;
  const witnesses = new Map<string, AddressWitness>();

  before(async () => {
    env = interopEnv();
    // The main scan, and one with --min-tls 1.0 of the hosts that speak only older versions
    // (plus a modern one): its second session's facts then become the result.
    const [main, older] = await Promise.all([
      scanWith<Report>(env, TARGETS.map((t) => t.input)),
      scanWith<Report>(env, LEGACY_TARGETS, ['--min-tls', '1.0']),
    ]);
    ({ run: scanRun, report } = main);
    ({ run: legacyRun, report: legacyReport } = older);
    // Gather the second opinions for every probed address, a few at a time.
    const uses = [...probesByAddress(report)];
    const gathered = await limited(
      4,
      uses.map(([key, list]) => async () => {
        const { ip, port } = parseAddressKey(key);
        const first = list[0];
        assert.ok(first !== undefined);
        return [key, await witness(ip, port, first.probe, env.caFile)] as const;
      }),
    );
    for (const [key, w] of gathered) witnesses.set(key, w);
  });

  it('the CLI scans every target and exits 1 (the tier is built with gaps)', () => {
    assert.equal(report.schemaVersion, 2);
    assert.equal(scanRun.code, 1, `exit ${scanRun.code}\n${scanRun.command}\nstderr:\n${scanRun.stderr}`);
    assert.deepEqual(
      report.targets.map((t) => t.input),
      TARGETS.map((t) => t.input),
      'one target in the report per input, in order',
    );
    assert.equal(legacyRun.code, 0, `--min-tls 1.0 scan: exit ${legacyRun.code}\n${legacyRun.command}\nstderr:\n${legacyRun.stderr}`);
  });

  it('covers at least 15 host cases on at least two MTA implementations, as their greetings prove', () => {
    const mtas = new Set<Mta>();
    let proved = 0;
    for (const host of HOSTS) {
      const w = witnesses.get(`${host.ip}:25`);
      assert.ok(w !== undefined, `${host.name} (${host.ip}) was not probed`);
      if (w.transcript.greetingCode !== 220) continue; // a refusal names no software
      const greeting = w.transcript.greeting.join('\n');
      assert.match(greeting, new RegExp(`\\b${host.mta}\\b`), `${host.ip} should be ${host.mta}: it greets "${greeting}"`);
      mtas.add(host.mta);
      proved += 1;
    }
    assert.ok(proved >= 15, `at least 15 host cases proved by their greeting (${proved})`);
    assert.deepEqual([...mtas].sort(), ['Exim', 'Postfix']);
  });

  const addresses = HOSTS.flatMap((host) => [host.ip, ...(host.ipv6 === true ? ['::1'] : [])].map((ip) => ({ host, ip })));
  for (const { host, ip } of addresses) {
    it(`address ${ip} (${host.mta} ${host.name}: ${host.setup}) agrees with openssl s_client and x509`, async () => {
      const key = addressKey(ip, 25);
      const uses = probesByAddress(report).get(key) ?? [];
      const first = uses[0];
      const w = witnesses.get(key);
      assert.ok(first !== undefined && w !== undefined, `${key} was not probed`);
      const probe = first.probe;
      const d = new Disagreements(`${key} (${host.mta} ${host.name})`);
      const policyEvidence = evidenceOf(w.policy);

      // The same address is probed once and shared: every use reports the same session.
      for (const use of uses.slice(1)) {
        const strip = (p: Probe): unknown => ({
          ...p,
          certificate: p.certificate === undefined ? undefined : { ...p.certificate, hostnameMatch: null },
        });
        d.same(`the probe shared by ${use.target.input} (${use.mx.host})`, strip(use.probe), strip(probe), `the probe of ${first.target.input}`);
      }

      // Plain SMTP, read by hand: the greeting, the EHLO reply, the answer to STARTTLS.
      d.same('greeting (banner)', probe.banner, w.transcript.greeting.join('\n'), 'the SMTP transcript');
      if (w.transcript.greetingCode !== 220) {
        d.same(
          'greeting refused',
          [probe.status, probe.error?.phase, probe.error?.reply?.code],
          ['smtp-rejected', 'greeting', w.transcript.greetingCode],
          `the SMTP transcript (greeting ${w.transcript.greetingCode} ${w.transcript.greeting.join(' ')})`,
        );
      }
      d.same('EHLO extensions', probe.extensions, w.transcript.extensions, 'the SMTP transcript');
      const advertised = w.transcript.extensions.some((e) => /^STARTTLS$/i.test(e));
      d.same('STARTTLS advertised', probe.starttls, advertised, 'the SMTP transcript');
      if (!advertised) d.same('STARTTLS missing', !probe.starttls, w.policy.starttlsMissing, 'openssl s_client', policyEvidence);
      const starttlsReply = w.transcript.starttls;
      if (starttlsReply !== null && starttlsReply.code !== 220) {
        d.same(
          'STARTTLS refused',
          [probe.status, probe.error?.phase, probe.error?.reply?.code],
          ['starttls-rejected', 'starttls', starttlsReply.code],
          `the SMTP transcript (STARTTLS → ${starttlsReply.code} ${starttlsReply.lines.join(' ')})`,
        );
      }

      // The first session offers what a current MTA does (TLS 1.2+, Node's ciphers, SECLEVEL 1). When openssl's
      // same offer finds no common version, mxready's legacy check makes a second session offering TLS 1.0-1.1 at
      // SECLEVEL 0, and when that one reaches a handshake its facts are the probe's.
      if (!w.policy.handshake && w.legacy !== null) {
        const reason = /:SSL routines:[^:]*:([^:]+):/.exec(w.policy.result.stderr)?.[1] ?? w.policy.result.stderr.trim();
        d.same(
          'legacy check made (the first offer failed for want of a common version)',
          probe.legacyCheck !== undefined,
          VERSION_FAILURES.test(reason),
          `openssl s_client (the handshake failed: ${reason})`,
          policyEvidence,
        );
        if (probe.legacyCheck !== undefined) {
          d.same(
            'legacy check (TLS 1.0–1.1 offer, DEFAULT@SECLEVEL=0): negotiated or refused',
            probe.legacyCheck,
            w.legacy.handshake ? 'negotiated' : 'refused',
            'openssl s_client',
            evidenceOf(w.legacy),
          );
        }
      }
      if (probe.legacyCheck === 'negotiated' && w.legacy !== null) {
        await compareSession(d, probe, uses, w.legacy, "the legacy check's offer (TLS 1.0–1.1, DEFAULT@SECLEVEL=0)");
      } else {
        await compareSession(d, probe, uses, w.policy, 'the first offer (TLS 1.2+, Node ciphers, SECLEVEL 1)');
      }

      // What this set-up is meant to yield (README.md).
      const e = host.probe;
      d.expect('status', probe.status, e.status);
      if (e.protocol !== undefined) d.expect('protocol', probe.tls?.protocol, e.protocol);
      if ('legacyCheck' in e) d.expect('legacyCheck', probe.legacyCheck, e.legacyCheck);
      if (e.trusted !== undefined) d.expect('trusted', probe.certificate?.trusted, e.trusted);
      if (e.validationError !== undefined) d.expect('validationError', probe.certificate?.validationError, e.validationError);
      if (e.selfSigned !== undefined) d.expect('selfSigned', probe.certificate?.selfSigned, e.selfSigned);
      if (e.keyType !== undefined) d.expect('keyType', probe.certificate?.keyType, e.keyType);
      if (e.keyBits !== undefined) d.expect('keyBits', probe.certificate?.keyBits, e.keyBits);
      if (e.keyExchangeType !== undefined) d.expect('keyExchange.type', probe.tls?.keyExchange.type, e.keyExchangeType);
      if (e.forwardSecrecy !== undefined) d.expect('forwardSecrecy', probe.tls?.forwardSecrecy, e.forwardSecrecy);
      if (e.errorPhase !== undefined) d.expect('error.phase', probe.error?.phase, e.errorPhase);
      if (e.replyCode !== undefined) d.expect('error.reply.code', probe.error?.reply?.code, e.replyCode);
      if (e.greetingLines !== undefined) {
        d.expect('greeting lines', probe.banner?.split('\n').length, e.greetingLines);
        d.expect('greeting lines (SMTP transcript)', w.transcript.greeting.length, e.greetingLines);
      }
      if (e.greetingAfterMs !== undefined) {
        d.expect(`greeting complete after ≥ ${e.greetingAfterMs} ms`, (probe.timings.greetingMs ?? 0) >= e.greetingAfterMs, true);
        d.expect(`greeting complete after ≥ ${e.greetingAfterMs} ms (SMTP transcript)`, w.transcript.greetingMs >= e.greetingAfterMs, true);
      }
      if (host.hostnameMatch !== undefined) {
        const own = uses.find((u) => u.mx.host === `${host.name}.mx.${Z}`);
        d.expect(`hostnameMatch for ${host.name}.mx.${Z}`, own?.probe.certificate?.hostnameMatch, host.hostnameMatch);
      }
      d.check();
    });
  }

  // One test for the chain, so that one defect there does not hide behind every address.
  it('every certificate chain is the one the server sent, in order (DESIGN.md), as openssl s_client -showcerts shows', async () => {
    const d = new Disagreements('certificate chains');
    for (const [key, uses] of probesByAddress(report)) {
      const w = witnesses.get(key);
      const first = uses[0];
      if (w !== undefined && first !== undefined) await compareChain(d, key, first.probe, w.policy);
    }
    for (const [key, uses] of probesByAddress(legacyReport)) {
      const w = witnesses.get(key);
      const first = uses[0];
      if (w !== undefined && first !== undefined) await compareChain(d, `${key} (--min-tls 1.0)`, first.probe, w.legacy ?? w.policy);
    }
    d.check();
  });

  for (const legacyHost of LEGACY_HOSTS) {
    const host = HOSTS.find((h) => h.name === legacyHost.name);
    assert.ok(host !== undefined);
    it(`--min-tls 1.0: address ${host.ip} (${host.mta} ${host.name}) negotiates ${legacyHost.protocol}, as openssl s_client does`, async () => {
      const key = addressKey(host.ip, 25);
      const uses = probesByAddress(legacyReport).get(key) ?? [];
      const first = uses[0];
      const w = witnesses.get(key);
      assert.ok(first !== undefined && w !== undefined, `${key} was not probed by the --min-tls 1.0 scan`);
      const d = new Disagreements(`${key} (${host.mta} ${host.name}, --min-tls 1.0)`);
      // The older session's witness where the policy's offer failed, else the policy's.
      const session = w.legacy ?? w.policy;
      const offer = w.legacy === null ? 'the policy offer (TLS 1.2+)' : 'the older offer (TLS 1.0–1.1, DEFAULT@SECLEVEL=0)';
      await compareSession(d, first.probe, uses, session, offer);
      d.expect('status', first.probe.status, 'ok');
      d.expect('protocol', first.probe.tls?.protocol, legacyHost.protocol);
      const target = legacyReport.targets.find((t) => t.input === `${host.name}.${Z}`);
      d.expect('the domain passes at --min-tls 1.0', target?.status, 'pass');
      d.check();
    });
  }

  for (const c of TARGETS) {
    it(`${c.kind} ${c.input} (${c.what}) agrees with dig and its expected verdict`, async () => {
      const target = report.targets.find((t) => t.input === c.input);
      assert.ok(target !== undefined, `${c.input} is missing from the report`);
      const d = new Disagreements(c.input);

      // The verdict.
      d.expect('kind', target.kind, c.kind);
      d.expect('status', target.status, c.status);
      d.expect('deliverable', target.deliverable, c.deliverable);
      d.expect('dns.mxSource', target.dns.mxSource, c.mxSource);
      if (c.errorCode !== undefined) {
        d.expect('error.code', target.error?.code, c.errorCode);
        d.expect('dns.error.code', target.dns.error?.code, c.errorCode);
      }
      const ids = [...new Set(target.findings.map((f) => f.id).filter((id) => CATALOGUE.has(id)))].sort();
      const optional = new Set(c.optionalFindings ?? []);
      d.expect('finding ids', ids.filter((id) => !optional.has(id) || c.findings.includes(id)), [...c.findings].sort());
      if (c.mx !== undefined) d.expect('MX list (host, preference), in order', target.mx.map((m) => [m.host, m.preference]), c.mx);
      const prefs = target.mx.map((m) => m.preference);
      d.expect('MX sorted by preference', prefs, [...prefs].sort((a, b) => a - b));

      // DNS, against dig at the same server.
      if (c.kind === 'domain') await compareWithDig(d, env, target);
      d.check();
    });
  }
});

/**
 * The TLS session mxready reports for an address, against an s_client session making the
 * same offer: handshake, protocol, cipher, key exchange, certificates, the host name
 * match per MX name, and what the server said inside TLS.
 */
async function compareSession(
  d: Disagreements,
  probe: Probe,
  uses: readonly ProbeUse[],
  session: SClientSession,
  offer: string,
): Promise<void> {
  const policyEvidence = evidenceOf(session);
  const handshook = probe.tls !== undefined;
  d.same(`handshake at ${offer}`, handshook, session.handshake, 'openssl s_client', policyEvidence);
  if (probe.tls === undefined || !session.handshake) return;
  d.same('protocol', probe.tls.protocol, session.protocol, 'openssl s_client', policyEvidence);
  d.same('cipher (OpenSSL name)', probe.tls.cipher.name, session.cipher, 'openssl s_client', policyEvidence);
  d.same('cipher (IANA name)', probe.tls.cipher.standardName, await opensslStandardName(probe.tls.cipher.name), 'openssl ciphers -stdname');
  const kx = probe.tls.keyExchange;
  // No "Server Temp Key" from s_client: no ephemeral key, i.e. static RSA key transport.
  d.same(
    'key exchange',
    { type: kx.type, group: kx.group, bits: kx.bits },
    session.tempKey ?? { type: 'RSA', group: null, bits: null },
    'openssl s_client (Server Temp Key)',
    policyEvidence,
  );
  d.same('forward secrecy', probe.tls.forwardSecrecy, session.tempKey !== null, 'openssl s_client (an ephemeral Server Temp Key)');
  const sent = await Promise.all(session.chainPem.map((pem) => x509Facts(pem)));
  compareCertificate(d, probe, sent, session, policyEvidence);
  // Per MX name: RFC 6125 matching, against openssl's X509_check_host / X509_check_ip.
  const leaf = sent[0];
  if (leaf !== undefined) {
    for (const use of uses) {
      const name = use.mx.host;
      d.same(
        `hostnameMatch for ${name} (${use.target.input})`,
        use.probe.certificate?.hostnameMatch,
        await opensslNamesHost(leaf.pem, name),
        `openssl x509 -check${/^[0-9.]+$/.test(name) ? 'ip' : 'host'}`,
      );
    }
  }
  // Inside TLS: the EHLO reply, or the server's refusal of the session.
  const inside = session.replyAfterTls;
  if (inside !== null && inside.code === 250) {
    d.same('EHLO extensions inside TLS', probe.extensionsAfterTls, inside.lines.slice(1), 'openssl s_client (EHLO after the handshake)', policyEvidence);
  } else if (inside !== null) {
    d.same(
      'refusal inside TLS',
      [probe.status, probe.error?.phase, probe.error?.reply?.code],
      ['smtp-rejected', 'ehlo-after-tls', inside.code],
      `openssl s_client (EHLO after the handshake → ${inside.code} ${inside.lines.join(' ')})`,
      policyEvidence,
    );
  } else {
    d.same(
      'session broken inside TLS',
      [probe.status, probe.error?.phase],
      ['smtp-rejected', 'ehlo-after-tls'],
      `openssl s_client (no reply to EHLO after the handshake: ${session.errorAfterTls ?? 'connection closed'})`,
      policyEvidence,
    );
  }
}

/** DESIGN.md: "chain: as the server sent it, in order" — against what s_client saw sent. */
async function compareChain(d: Disagreements, where: string, probe: Probe, session: SClientSession): Promise<void> {
  const cert = probe.certificate;
  if (cert === undefined || !session.handshake) return;
  const sent = await Promise.all(session.chainPem.map((pem) => x509Facts(pem)));
  d.same(
    `${where}: chain (subjects, in order)`,
    cert.chain.map((c) => c.subject),
    sent.map((c) => rfc4514Like(c.subject, cert.chain)),
    'openssl s_client -showcerts (what the server sent)',
  );
  d.same(`${where}: chain (fingerprints, in order)`, cert.chain.map((c) => c.fingerprintSha256), sent.map((c) => c.fingerprintSha256), 'openssl s_client -showcerts');
}

/** The leaf mxready reports, against what openssl saw the server send. */
function compareCertificate(d: Disagreements, probe: Probe, sent: readonly X509Facts[], session: SClientSession, evidence: string): void {
  const cert = probe.certificate;
  const leaf = sent[0];
  if (cert === undefined || leaf === undefined) {
    d.fail(`certificate: mxready ${cert === undefined ? 'has none' : 'has one'}, openssl s_client saw ${sent.length} sent`);
    return;
  }
  d.same('subject, RDN by RDN', rdns(cert.subject), rdns(leaf.subject), 'openssl x509 -nameopt RFC2253', `mxready: ${cert.subject}\nopenssl: ${leaf.subject}`);
  d.same('issuer, RDN by RDN', rdns(cert.issuer), rdns(leaf.issuer), 'openssl x509 -nameopt RFC2253', `mxready: ${cert.issuer}\nopenssl: ${leaf.issuer}`);
  d.same('notBefore', cert.notBefore, leaf.notBefore, 'openssl x509');
  d.same('notAfter', cert.notAfter, leaf.notAfter, 'openssl x509');
  d.same('key (type, bits)', [cert.keyType, cert.keyBits], [leaf.keyType, leaf.keyBits], 'openssl x509');
  d.same('signature algorithm', cert.signatureAlgorithm, leaf.signatureAlgorithm, 'openssl x509');
  d.same('SHA-256 fingerprint', cert.fingerprintSha256, leaf.fingerprintSha256, 'openssl x509');
  d.same('trusted', cert.trusted, session.verifyCode === 0, `openssl s_client (Verify return code ${session.verifyCode})`, evidence);
  d.same('validationError', cert.validationError, session.verifyCode === 0 ? null : session.verifyName, 'openssl s_client (Verify return code)');
  d.same('selfSigned', cert.selfSigned, session.verifyCode === 18, 'openssl s_client (18 = self-signed leaf)');
}

/**
 * Checks the DNS side of a domain target against dig: the MX set, null MX, implicit MX,
 * NXDOMAIN, and for each MX host its CNAME and addresses.
 */
async function compareWithDig(d: Disagreements, env: InteropEnv, target: Target): Promise<void> {
  const server = env.resolver;
  const mxAnswer = await dig(server, target.domain, 'MX');
  const evidence = `$ dig @${server.ip} -p ${server.port} ${target.domain} MX\n${mxAnswer.output}`;
  if (mxAnswer.status === 'NXDOMAIN') {
    d.same('NXDOMAIN', [target.dns.error?.code, target.dns.mxSource, target.mx.length], ['nxdomain', 'none', 0], 'dig (status NXDOMAIN)', evidence);
    return;
  }
  d.same('DNS status', target.dns.error?.code === 'nxdomain' ? 'NXDOMAIN' : 'NOERROR', mxAnswer.status, 'dig', evidence);
  const mx = mxAnswer.records.filter((r) => r.type === 'MX' && r.name === target.domain).map((r) => r.data);
  if (mx.length === 1 && mx[0]?.endsWith(' .') === true && mx[0].startsWith('0 ')) {
    d.same('null MX', [target.dns.mxSource, target.mx.length], ['null', 0], 'dig (0 .)', evidence);
    return;
  }
  let names: { host: string; preference: number }[];
  if (mx.some((data) => data === '0 .')) {
    // A null MX among others: ignored (RFC 7505 §3), and said so.
    d.same('dns.null-mx.mixed', target.findings.some((f) => f.id === 'dns.null-mx.mixed'), true, 'dig (0 . beside other MX)', evidence);
    mx.splice(0, mx.length, ...mx.filter((data) => data !== '0 .'));
  }
  if (mx.length === 0) {
    d.same('implicit MX (no MX record)', target.dns.mxSource, 'implicit', 'dig (no MX)', evidence);
    names = [{ host: target.domain, preference: 0 }];
  } else {
    names = mx.map((data) => {
      const [pref = '', host = ''] = data.split(' ');
      return { host, preference: Number(pref) };
    });
  }
  const key = (m: { host: string; preference: number }): string => `${m.preference} ${m.host}`;
  d.same(
    'MX set (preference host)',
    target.mx.map((m) => key({ host: m.host.toLowerCase(), preference: m.preference })).sort(),
    names.map(key).sort(),
    'dig +short MX',
    evidence,
  );
  for (const entry of target.mx) {
    const a = await dig(server, entry.host, 'A');
    const aaaa = await dig(server, entry.host, 'AAAA');
    const records = [...a.records, ...aaaa.records];
    const cnames = records.filter((r) => r.type === 'CNAME').map((r) => r.data);
    const ips = records.filter((r) => r.type === 'A' || r.type === 'AAAA').map((r) => r.data);
    const evidenceHost = `$ dig ${entry.host} A / AAAA\n${a.output}${aaaa.output}`;
    d.same(`addresses of ${entry.host}`, entry.addresses.map((x) => x.ip).sort(), [...new Set(ips)].sort(), 'dig A + AAAA', evidenceHost);
    d.same(`CNAME chain of ${entry.host}`, entry.cname ?? [], [...new Set(cnames)], 'dig', evidenceHost);
    const cnameFinding = target.findings.some((f) => f.id === 'dns.mx.cname' && f.host === entry.host);
    if (target.dns.mxSource === 'mx') d.same(`dns.mx.cname for ${entry.host}`, cnameFinding, cnames.length > 0, 'dig (a CNAME answer)', evidenceHost);
    const noAddress = target.findings.some((f) => f.id === 'dns.mx.no-address' && f.host === entry.host);
    if (target.dns.mxSource === 'mx') d.same(`dns.mx.no-address for ${entry.host}`, noAddress, ips.length === 0, 'dig (no A/AAAA)', evidenceHost);
  }
}

/**
 * OpenSSL's RFC 2253 subject, shown as mxready's equivalent string when the two are the
 * same name RDN by RDN (so a chain mismatch prints only real differences).
 */
function rfc4514Like(opensslSubject: string, chain: readonly ChainCert[]): string {
  const same = chain.find((c) => JSON.stringify(rdns(c.subject)) === JSON.stringify(rdns(opensslSubject)));
  return same?.subject ?? opensslSubject;
}
