/**
 * The interop tier's --enumerate suite (issue 4): the built CLI enumerates every real
 * Postfix and Exim host of the tier (test/interop/setup.sh) that can complete a handshake,
 * and `nmap --script ssl-enum-ciphers` (Debian's nmap) is the second opinion:
 *
 * - per address, the set of accepted protocol versions is nmap's, and per version the set
 *   of accepted cipher suites (IANA names) is nmap's — but for suites mxready reports as
 *   not testable (`enumeration.notTestable`: Node's OpenSSL cannot offer them), which must
 *   then be absent from mxready's list and are printed as "nmap saw, mxready cannot test";
 * - per version, whether the server picks by its own order, where nmap says "client" or
 *   "server" and mxready decided;
 * - the connection budget, counted on the servers' side (Postfix's "connect from" lines,
 *   Exim's "SMTP connection from … I=[address]" lines, in logs setup.sh keeps): every
 *   connection of the scan, the plain probe included, is at most accepted suites +
 *   accepted groups + 7 per address, and equals what the report says it made (1 plain
 *   probe + `enumeration.handshakes`: with --enumerate there is no separate legacy check).
 *
 * The servers' logs are read over the window of mxready's scan only, so nothing else may
 * talk to these servers meanwhile: run.sh runs the suite files one after the other, and
 * nmap runs after the scan. A disagreement fails the test with both sides printed.
 *
 * Hosts of the tier left out, and why (test/interop/README.md describes each):
 * - pf-plain, ex-plain: no STARTTLS, so no handshake at all (and no enumeration);
 * - ex-454: STARTTLS answered 454, no handshake can start;
 * - pf-reject: a 554 greeting, the session ends before EHLO;
 * - pf-slow: postscreen holds every session 2 s before its greeting, and an enumeration
 *   is ~67 sessions one after the other: over two minutes for this one host, beyond the
 *   tier's time budget. Its smtpd's TLS set-up is Postfix's default, the same as
 *   pf-modern's, which is compared.
 */
import { INTEROP_STATE, interopVariable, scanAll } from './env.js';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { limited, runCommand, type CommandResult } from './witnesses.js';

const Z = 'interop.test';

/** nmap's bound per host (it takes under 2 s on loopback), and how many run at once. */
const NMAP_TIMEOUT_MS = 90_000;
const NMAP_PARALLEL = 4;
/** The budget's allowance over accepted suites + accepted groups (issue 4). */
const BUDGET_EXTRA = 7;

type Version = 'SSLv3' | 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const VERSIONS: readonly Version[] = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

interface EnumHost {
  readonly name: string;
  readonly ip: string;
  /** Also at [::1]:25 (pf-dual). */
  readonly ipv6?: boolean;
  readonly mta: 'Postfix' | 'Exim';
  readonly setup: string;
  /**
   * Versions at which the server selects suites (its ServerHello, all nmap reads) but no
   * handshake can complete for a client without a certificate: mxready must not call
   * them accepted; nmap's list for them is printed, not compared.
   */
  readonly selectOnly?: Readonly<Partial<Record<Version, string>>>;
}

const ENUM_HOSTS: readonly EnumHost[] = [
  { name: 'pf-modern', ip: '127.0.25.11', mta: 'Postfix', setup: 'TLS 1.2 + 1.3' },
  { name: 'pf-tls12', ip: '127.0.25.12', mta: 'Postfix', setup: 'TLS 1.2 only' },
  { name: 'pf-tls11', ip: '127.0.25.13', mta: 'Postfix', setup: 'TLS 1.0 + 1.1 (security level 0)' },
  { name: 'pf-tls10', ip: '127.0.25.14', mta: 'Postfix', setup: 'TLS 1.0 only (security level 0)' },
  { name: 'pf-selfsigned', ip: '127.0.25.16', mta: 'Postfix', setup: 'self-signed' },
  { name: 'pf-expired', ip: '127.0.25.17', mta: 'Postfix', setup: 'expired certificate' },
  { name: 'pf-wrongname', ip: '127.0.25.18', mta: 'Postfix', setup: 'certificate for another name' },
  { name: 'pf-rsa1024', ip: '127.0.25.19', mta: 'Postfix', setup: 'RSA 1024 (security level 0)' },
  { name: 'pf-ecdsa', ip: '127.0.25.20', mta: 'Postfix', setup: 'ECDSA P-256: no RSA suites' },
  { name: 'pf-future', ip: '127.0.25.21', mta: 'Postfix', setup: 'certificate not yet valid' },
  { name: 'pf-chain', ip: '127.0.25.22', mta: 'Postfix', setup: 'incomplete chain' },
  { name: 'pf-ccert', ip: '127.0.25.24', mta: 'Postfix', setup: 'client certificate requested (421 inside TLS): no anonymous suites' },
  { name: 'pf-nocipher', ip: '127.0.25.25', mta: 'Postfix', setup: "TLS 1.2 Camellia only: Node's default offer fails, the enumeration does not" },
  { name: 'pf-dual', ip: '127.0.25.26', ipv6: true, mta: 'Postfix', setup: 'IPv4 and IPv6' },
  { name: 'ex-modern', ip: '127.0.25.31', mta: 'Exim', setup: 'GnuTLS, TLS 1.2 + 1.3' },
  { name: 'ex-tls12', ip: '127.0.25.32', mta: 'Exim', setup: 'GnuTLS, TLS 1.2 only' },
  { name: 'ex-banner', ip: '127.0.25.33', mta: 'Exim', setup: 'GnuTLS, a three-line greeting' },
  { name: 'ex-ecdsa', ip: '127.0.25.34', mta: 'Exim', setup: 'GnuTLS, ECDSA P-256' },
  { name: 'ex-tls10', ip: '127.0.25.36', mta: 'Exim', setup: 'GnuTLS, TLS 1.0 only' },
  {
    name: 'ex-ccert',
    ip: '127.0.25.37',
    mta: 'Exim',
    setup: 'GnuTLS, a client certificate required in the handshake',
    selectOnly: {
      'TLSv1.2':
        'GnuTLS answers a TLS 1.2 ClientHello with a ServerHello, then aborts the handshake for want of a client certificate: nmap reads only the ServerHello',
    },
  },
  { name: 'ex-rsakx', ip: '127.0.25.39', mta: 'Exim', setup: 'GnuTLS, TLS 1.2 static RSA key exchange only' },
];

// ---------------------------------------------------------------------------
// The report, as far as this suite reads it (src/model/probe.ts EnumerationFacts)

interface EnumeratedCipher {
  readonly name: string;
  readonly standardName: string;
  readonly class: string;
}
interface Enumeration {
  readonly protocols: Readonly<Record<Version, boolean | null>>;
  readonly ciphers: Readonly<Record<string, readonly EnumeratedCipher[]>>;
  readonly serverOrder: Readonly<Record<string, boolean | null>>;
  readonly groups: readonly string[];
  readonly groupsNotTestable: readonly string[];
  readonly dhBits: number | null;
  readonly notTestable: readonly string[];
  readonly broken?: { readonly selected: readonly string[]; readonly message: string };
  readonly handshakes: number;
  readonly error?: { readonly phase: string; readonly code: string; readonly message: string };
}
interface Probe {
  readonly status: string;
  readonly legacyCheck?: 'negotiated' | 'refused' | 'incomplete';
  readonly tls?: { readonly protocol: string };
  readonly enumeration?: Enumeration;
}
interface Report {
  readonly schemaVersion: number;
  readonly targets: readonly {
    readonly input: string;
    readonly mx: readonly { readonly host: string; readonly addresses: readonly { readonly ip: string; readonly port: number; readonly probe: Probe }[] }[];
  }[];
}

// ---------------------------------------------------------------------------
// Where the servers are (setup.sh wrote interop.env) and their logs

interface Env {
  readonly state: string;
  readonly resolverArg: string;
  readonly caFile: string;
}

function interopEnv(): Env {
  return { state: INTEROP_STATE, resolverArg: interopVariable('MXREADY_INTEROP_RESOLVER'), caFile: interopVariable('MXREADY_INTEROP_CA_FILE') };
}

const postfixLog = (env: Env): string => `${env.state}/postfix-var/log/postfix.log`;
const eximLog = (env: Env): string => `${env.state}/exim/log/mainlog`;

const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
const readFrom = (file: string, offset: number): string => (existsSync(file) ? readFileSync(file).subarray(offset).toString('utf8') : '');

/**
 * Connections each address received, from the lines the servers logged after the given
 * offsets: Postfix logs "postfix/NAME/smtpd[pid]: connect from unknown[CLIENT]" (one
 * smtpd service per host, named by syslog_name; pf-dual's IPv6 service shows client ::1),
 * Exim "SMTP connection from [CLIENT]:port I=[ADDRESS]:25 (TCP/IP connection count = N)"
 * (or "… refused", also a connection).
 */
function countConnections(env: Env, offsets: { postfix: number; exim: number }): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (ip: string): void => {
    counts.set(ip, (counts.get(ip) ?? 0) + 1);
  };
  const byName = new Map(ENUM_HOSTS.map((h) => [h.name, h]));
  for (const line of readFrom(postfixLog(env), offsets.postfix).split('\n')) {
    const m = / postfix\/([\w-]+)\/smtpd\[\d+\]: connect from [^[\s]*\[([^\]]+)\]/.exec(line);
    const host = m?.[1] === undefined ? undefined : byName.get(m[1]);
    if (m === null || host === undefined) continue;
    add(host.ipv6 === true && m[2] === '::1' ? '::1' : host.ip);
  }
  for (const line of readFrom(eximLog(env), offsets.exim).split('\n')) {
    const m = /onnection from \S+ I=\[([^\]]+)\]:25 (?:\(TCP\/IP connection count|refused)/.exec(line);
    if (m?.[1] !== undefined) add(m[1]);
  }
  return counts;
}

/** Reads the counts until two readings 500 ms apart agree (Postfix logs through postlogd), at most 10 s. */
async function settledCounts(env: Env, offsets: { postfix: number; exim: number }): Promise<Map<string, number>> {
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  let last = JSON.stringify([...countConnections(env, offsets)]);
  for (let i = 0; i < 20; i++) {
    await sleep(500);
    const now = JSON.stringify([...countConnections(env, offsets)]);
    if (now === last && i >= 1) break;
    last = now;
  }
  return countConnections(env, offsets);
}

// ---------------------------------------------------------------------------
// nmap --script ssl-enum-ciphers

interface NmapView {
  readonly result: CommandResult;
  /** Versions nmap found, "TLSv1.0" spelled "TLSv1" as mxready (and OpenSSL) spell it. */
  readonly versions: ReadonlyMap<Version, { readonly suites: readonly string[]; readonly preference: string | null }>;
}

/**
 * nmap's IANA name. It spells the TLS 1.3 suites TLS_AKE_WITH_X (its table predates the
 * final RFC 8446 names), IANA TLS_X.
 */
const nmapToIana = (name: string): string => name.replace(/^TLS_AKE_WITH_/, 'TLS_');

/**
 * Reads ssl-enum-ciphers' output:
 *   | ssl-enum-ciphers:
 *   |   TLSv1.2:
 *   |     ciphers:
 *   |       TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (secp256r1) - A
 *   |     compressors: …
 *   |     cipher preference: client
 *   |_  least strength: A
 */
function parseNmap(output: string): Map<Version, { suites: string[]; preference: string | null }> {
  const versions = new Map<Version, { suites: string[]; preference: string | null }>();
  let current: { suites: string[]; preference: string | null } | null = null;
  let inCiphers = false;
  let inScript = false;
  for (const line of output.split('\n')) {
    if (/^\|[ _]?ssl-enum-ciphers:/.test(line)) {
      inScript = true;
      continue;
    }
    if (!inScript) continue;
    if (!line.startsWith('|')) break; // the script's block ended
    const version = /^\|[ _] {2}(SSLv3|TLSv1\.[0-3]):\s*$/.exec(line)?.[1];
    if (version !== undefined) {
      current = { suites: [], preference: null };
      versions.set(version === 'TLSv1.0' ? 'TLSv1' : (version as Version), current);
      inCiphers = false;
      continue;
    }
    if (current === null) continue;
    if (/^\|[ _] {4}ciphers:\s*$/.test(line)) {
      inCiphers = true;
      continue;
    }
    const suite = /^\|[ _] {6}((?:TLS|SSL)_\w+)/.exec(line)?.[1];
    if (inCiphers && suite !== undefined) {
      current.suites.push(nmapToIana(suite));
      continue;
    }
    // Any line less indented than a suite (the next key, the next version) ends the list.
    if (!/^\|[ _] {6}/.test(line)) inCiphers = false;
    const preference = /^\|[ _] {4}cipher preference: (\S+)/.exec(line)?.[1];
    if (preference !== undefined) current.preference = preference;
  }
  return versions;
}

async function nmap(ip: string): Promise<NmapView> {
  // -n: no reverse DNS (nmap would ask the system's resolver); -Pn: no host discovery.
  // nmap knows port 25 is SMTP and says STARTTLS before its handshakes by itself.
  const args = ['-n', '-Pn', ...(ip.includes(':') ? ['-6'] : []), '-p', '25', '--script', 'ssl-enum-ciphers', ip];
  const result = await runCommand('nmap', args, { timeoutMs: NMAP_TIMEOUT_MS });
  if (result.code !== 0 || !/^25\/tcp\s+open/m.test(result.stdout)) {
    throw new Error(`${result.command} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  }
  return { result, versions: parseNmap(result.stdout) };
}

// ---------------------------------------------------------------------------
// The tests

interface AddressCase {
  readonly host: EnumHost;
  readonly ip: string;
}

const ADDRESSES: readonly AddressCase[] = ENUM_HOSTS.flatMap((host) => [host.ip, ...(host.ipv6 === true ? ['::1'] : [])].map((ip) => ({ host, ip })));

const list = (items: Iterable<string>): string => {
  const all = [...items].sort();
  return all.length === 0 ? '(none)' : all.join(', ');
};

describe('interop --enumerate: mxready against nmap ssl-enum-ciphers on real MTAs, and its connection budget', () => {
  let env: Env;
  let report: Report;
  let scan: CommandResult;
  let scanMs = 0;
  let nmapMs = 0;
  let connections = new Map<string, number>();
  const probes = new Map<string, Probe>();
  const nmaps = new Map<string, NmapView>();

  before(async () => {
    env = interopEnv();
    const offsets = { postfix: sizeOf(postfixLog(env)), exim: sizeOf(eximLog(env)) };
    // One scan of every host, nothing else talking to the servers meanwhile.
    const started = Date.now();
    ({ run: scan, report } = await scanAll<Report>(
      env,
      ENUM_HOSTS.map((h) => `${h.name}.${Z}`),
      ['--enumerate'],
    ));
    scanMs = Date.now() - started;
    connections = await settledCounts(env, offsets);
    for (const target of report.targets) {
      for (const mx of target.mx) for (const address of mx.addresses) probes.set(address.ip, address.probe);
    }
    // Then nmap, a few at a time.
    const nmapStarted = Date.now();
    const views = await limited(
      NMAP_PARALLEL,
      ADDRESSES.map(({ ip }) => async () => [ip, await nmap(ip)] as const),
    );
    nmapMs = Date.now() - nmapStarted;
    for (const [ip, view] of views) nmaps.set(ip, view);
  });

  it('mxready scans every host with --enumerate (exit 0 or 1) and enumerates every address', (t) => {
    assert.equal(report.schemaVersion, 2);
    assert.ok(scan.code === 0 || scan.code === 1, `exit ${scan.code}\n${scan.command}\nstderr:\n${scan.stderr}`);
    const missing = ADDRESSES.filter(({ ip }) => probes.get(ip)?.enumeration === undefined).map(({ host, ip }) => `${host.name} ${ip} (${probes.get(ip)?.status ?? 'not probed'})`);
    assert.deepEqual(missing, [], 'every address has an enumeration');
    t.diagnostic(`mxready --enumerate of ${ADDRESSES.length} addresses: ${(scanMs / 1000).toFixed(1)} s; nmap ssl-enum-ciphers, ${NMAP_PARALLEL} at a time: ${(nmapMs / 1000).toFixed(1)} s`);
  });

  for (const { host, ip } of ADDRESSES) {
    it(`${ip} (${host.mta} ${host.name}: ${host.setup}): versions and suites as nmap ssl-enum-ciphers sees them`, (t) => {
      const probe = probes.get(ip);
      const e = probe?.enumeration;
      const view = nmaps.get(ip);
      assert.ok(e !== undefined && view !== undefined, `${ip}: no enumeration (${probe?.status ?? 'not probed'})`);
      const problems: string[] = [];
      const evidence = (): string =>
        `\n  mxready: ${JSON.stringify({ protocols: e.protocols, ciphers: Object.fromEntries(Object.entries(e.ciphers).map(([v, c]) => [v, c.map((x) => x.standardName)])), error: e.error, broken: e.broken })}` +
        `\n  $ ${view.result.command}\n${view.result.stdout.split('\n').filter((l) => l.startsWith('|')).join('\n')}`;
      if (e.error !== undefined) problems.push(`the enumeration stopped early: ${e.error.code} (${e.error.message})`);

      const selectOnly = host.selectOnly ?? {};
      const mxVersions = new Set(VERSIONS.filter((v) => e.protocols[v] === true));
      const nmapVersions = new Set([...view.versions.keys()].filter((v) => selectOnly[v] === undefined));
      // A version mxready cannot test (null: SSLv3 on Node's OpenSSL) is never compared as refused.
      for (const v of nmapVersions) {
        if (e.protocols[v] === null) {
          t.diagnostic(`${v}: nmap saw it accepted, mxready cannot test it (${list(view.versions.get(v)?.suites ?? [])})`);
          nmapVersions.delete(v);
        }
      }
      if (list(mxVersions) !== list(nmapVersions)) {
        problems.push(`accepted versions:\n    mxready: ${list(mxVersions)}\n    nmap:    ${list(nmapVersions)}`);
      }
      for (const [v, reason] of Object.entries(selectOnly) as [Version, string][]) {
        if (e.protocols[v] === true) problems.push(`${v}: mxready calls it accepted, but no handshake can complete there (${reason})`);
        const seen = view.versions.get(v);
        if (seen !== undefined) t.diagnostic(`${v}: nmap saw ServerHellos for ${seen.suites.length} suites; no handshake completes (${reason}); mxready: ${e.protocols[v]}`);
      }

      // A server with no common version from TLS 1.2 up: the legacy check's session (TLS 1.0-1.1 offered) negotiated
      // the highest version below TLS 1.2 that nmap saw accepted, or none did.
      if (probe?.legacyCheck !== undefined) {
        const older = (['TLSv1.1', 'TLSv1'] as const).find((v) => nmapVersions.has(v)) ?? null;
        const negotiated = probe.legacyCheck === 'negotiated' ? (probe.tls?.protocol ?? null) : null;
        if (negotiated !== older) problems.push(`the legacy check's session:\n    mxready: ${probe.legacyCheck} ${negotiated ?? ''}\n    nmap:    ${older} (the highest version below TLS 1.2 it saw accepted)`);
      }

      const notTestable = new Set(e.notTestable);
      for (const v of new Set([...mxVersions, ...nmapVersions])) {
        const mine = new Set((e.ciphers[v] ?? []).map((c) => c.standardName));
        const theirs = new Set(view.versions.get(v)?.suites ?? []);
        const untestable = [...theirs].filter((s) => notTestable.has(s));
        const claimed = untestable.filter((s) => mine.has(s));
        if (claimed.length > 0) problems.push(`${v}: mxready lists suites it reports as not testable: ${list(claimed)}`);
        if (untestable.length > 0) t.diagnostic(`${v}: nmap saw, mxready cannot test: ${list(untestable)}`);
        const onlyMine = [...mine].filter((s) => !theirs.has(s));
        const onlyTheirs = [...theirs].filter((s) => !mine.has(s) && !notTestable.has(s));
        if (onlyMine.length > 0 || onlyTheirs.length > 0) {
          problems.push(
            `${v} suites: ${mine.size} from mxready, ${theirs.size} from nmap\n    only mxready: ${list(onlyMine)}\n    only nmap:    ${list(onlyTheirs)}`,
          );
        }
        // Order: only where both decided (nmap says "indeterminate" when it cannot tell).
        const order = e.serverOrder[v];
        const nmapOrder = view.versions.get(v)?.preference ?? null;
        if ((order === true || order === false) && (nmapOrder === 'server' || nmapOrder === 'client') && order !== (nmapOrder === 'server')) {
          problems.push(`${v} cipher order:\n    mxready: serverOrder ${order}\n    nmap:    cipher preference: ${nmapOrder}`);
        }
      }
      if (problems.length > 0) assert.fail(`${ip} (${host.mta} ${host.name}): ${problems.length} disagreement(s)\n  - ${problems.join('\n  - ')}${evidence()}`);
    });
  }

  for (const { host, ip } of ADDRESSES) {
    it(`${ip} (${host.mta} ${host.name}): connections counted by the server ≤ accepted suites + accepted groups + ${BUDGET_EXTRA}, and as the report says`, (t) => {
      const probe = probes.get(ip);
      const e = probe?.enumeration;
      assert.ok(probe !== undefined && e !== undefined, `${ip}: no enumeration`);
      const seen = connections.get(ip) ?? 0;
      const suites = Object.values(e.ciphers).reduce((n, c) => n + c.length, 0);
      const budget = suites + e.groups.length + BUDGET_EXTRA;
      // The probe (one session, two when the legacy check made its second) and the enumeration's handshakes: with
      // --enumerate no legacy-acceptance session is made, so every connection the server saw is accounted for.
      const sessions = probe.legacyCheck === undefined ? 1 : 2;
      const claimed = sessions + e.handshakes;
      t.diagnostic(
        `server saw ${seen} connections (report: ${sessions} probe session(s) + ${e.handshakes} enumeration handshakes); budget ${suites} suites + ${e.groups.length} groups + ${BUDGET_EXTRA} = ${budget}`,
      );
      assert.ok(seen > 0, `${ip}: the server logged no connection from the scan (log format changed? ${postfixLog(env)}, ${eximLog(env)})`);
      assert.ok(seen <= budget, `${ip}: ${seen} connections > budget ${budget} (${suites} accepted suites + ${e.groups.length} accepted groups + ${BUDGET_EXTRA})`);
      assert.equal(seen, claimed, `${ip}: the server counted ${seen} connections; the report accounts for ${claimed} (${sessions} probe session(s) + handshakes ${e.handshakes})`);
    });
  }
});
