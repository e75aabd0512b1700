#!/usr/bin/env node
/**
 * npm run bench:enumerate — what `mxready --enumerate` costs a server, beside the usual
 * tools, measured in one run against the same lab hosts:
 *
 *   mxready --enumerate                                   (the built CLI, dist/)
 *   nmap -n -Pn -p PORT --script ssl-enum-ciphers IP      (Debian's nmap, when installed)
 *   testssl.sh -t smtp -p -E IP:PORT                      (Debian's testssl.sh, when installed)
 *
 * For each lab host and tool: the connections the host's SMTP server accepted while the
 * tool ran (the lab server's own `sessions` counter), the tool's wall time, and the
 * accepted suites it found. Then whether mxready stayed within its connection budget
 * (accepted suites + accepted groups + 7 per address, the plain probe included: issue 4),
 * and every suite on which a tool disagrees with mxready.
 *
 * The lab (dist/lab: SMTP servers with STARTTLS on 127.0.3.x, one port, and a DNS server)
 * runs in a child process (this file with --lab), so the tools' timings do not share an
 * event loop with the servers. The tools run one at a time. Loopback only: nmap gets -n
 * (no reverse DNS), testssl.sh --nodns none, mxready the lab's DNS server; every wait is
 * bounded. On a port other than 25 nmap does not know the service is SMTP and finds
 * nothing; it is told so as it would know port 25 (see nmapArgs), or with BENCH_NMAP_SV=1
 * by -sV, whose version probes are then counted and timed with the rest.
 *
 *   BENCH_TOOLS ("mxready,nmap,testssl"), BENCH_HOSTS (all: "modern,legacy-cbc,server-order,one-group"),
 *   BENCH_NMAP_SV ("1": nmap -sV instead of a services file), BENCH_POSTFIX ("0": no Postfix leg)
 *
 * Then, as root, the Postfix leg (issue 9's goal 4): the interop tier's real Postfix
 * (test/interop/setup.sh starts it; teardown.sh stops it again), its pf-modern host on
 * 127.0.25.11:25, with `mxready --enumerate` and nmap's ssl-enum-ciphers 5 times each,
 * alternated: the medians of their wall times and whether mxready is no slower. Without
 * root, or without nmap, the leg says why it is skipped.
 *
 * Then the slow-replies leg (bench/enumerate-overlap.mjs): one lab host whose replies take 0, 50
 * and 200 ms, enumerated with --per-host 1 and 2, so what overlapping the sessions buys shows.
 *
 * Exit code: 1 when mxready failed or went over its budget, else 0 (a disagreement of
 * another tool is printed, not judged).
 */
import { spawn } from 'node:child_process';
import { constants as cryptoConstants } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));
const BUDGET_EXTRA = 7;

/**
 * The lab's hosts: different TLS set-ups, each on its own address. `order`: the server
 * picks by its own cipher order (the lab has no option for it; see startLabProcess).
 */
const HOSTS = [
  {
    name: 'modern',
    ip: '127.0.3.1',
    setup: 'TLS 1.2 + 1.3, ECDSA P-256, AEAD suites only',
    key: 'ec-p256',
    tls: { minVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305' },
  },
  {
    name: 'legacy-cbc',
    ip: '127.0.3.2',
    setup: 'TLS 1.0-1.2, RSA 2048, CBC suites (and static RSA) beside one GCM suite',
    key: 'rsa-2048',
    tls: {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:AES128-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0',
    },
  },
  {
    name: 'server-order',
    ip: '127.0.3.3',
    setup: 'TLS 1.2 + 1.3, RSA 2048, the server enforces its own order (ChaCha20 first)',
    key: 'rsa-2048',
    order: true,
    tls: {
      minVersion: 'TLSv1.2',
      ciphers:
        'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:' +
        'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA',
    },
  },
  {
    name: 'one-group',
    ip: '127.0.3.4',
    setup: 'TLS 1.2 + 1.3, ECDSA P-256, key exchange on P-384 only',
    key: 'ec-p256',
    tls: { minVersion: 'TLSv1.2', ecdhCurve: 'P-384' },
  },
];

// ---------------------------------------------------------------------------
// The lab, in its own process

/**
 * Starts the lab and serves until stdin closes. Prints one JSON line ({port, dns, caPem}),
 * then answers every "sessions" line on stdin with one JSON line {ip: sessions accepted}.
 */
async function labProcess() {
  // The lab's TLS options have no cipher-order switch: give the server-order host's
  // context OpenSSL's SSL_OP_CIPHER_SERVER_PREFERENCE (what tls.createServer's
  // honorCipherOrder sets), recognised by its key. dist/lab imports createSecureContext
  // from node:tls, whose named exports syncBuiltinESMExports() updates.
  const ownOrderKeys = new Set();
  const original = tls.createSecureContext;
  tls.createSecureContext = function createSecureContext(options) {
    if (options !== undefined && ownOrderKeys.has(options.key)) {
      options = { ...options, secureOptions: (options.secureOptions ?? 0) | cryptoConstants.SSL_OP_CIPHER_SERVER_PREFERENCE };
    }
    return original.call(this, options);
  };
  syncBuiltinESMExports();
  const { createCa } = await import('../dist/lab/certs.js');
  const { startLab } = await import('../dist/lab/lab.js');

  const ca = await createCa({ commonName: 'mxready enumerate bench CA' });
  const servers = [];
  const records = [];
  for (const host of HOSTS) {
    const hostname = `${host.name}.bench.test`;
    const cert = await ca.issue({ commonName: hostname, dnsNames: [hostname], keyType: host.key });
    if (host.order === true) ownOrderKeys.add(cert.keyPem);
    servers.push({ ip: host.ip, hostname, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem, ...host.tls } });
    records.push({ name: hostname, type: 'A', data: host.ip });
  }
  const lab = await startLab({ servers, records });
  process.stdout.write(`${JSON.stringify({ port: lab.port, dns: { host: lab.dns.host, port: lab.dns.port }, caPem: ca.certPem })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'sessions') process.stdout.write(`${JSON.stringify(Object.fromEntries(lab.smtp.map((s) => [s.host, s.sessions])))}\n`);
  });
  lines.on('close', () => {
    void lab.close().then(() => process.exit(0));
  });
}

/** Starts the lab child; resolves with its description and a `sessions()` query. */
async function startLabProcess() {
  const child = spawn(process.execPath, [here('./enumerate.mjs'), '--lab'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 45 * 60_000); // the whole bench, bounded
  killTimer.unref();
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  let first = null;
  const ready = new Promise((resolve, reject) => {
    first = resolve;
    child.once('exit', (code, signal) => {
      reject(new Error(`the lab process ended (${signal ?? code})`));
      for (const w of waiting.splice(0)) w.reject(new Error('the lab process ended'));
    });
    setTimeout(() => reject(new Error('the lab did not start within 60 s')), 60_000).unref();
  });
  lines.on('line', (line) => {
    if (first !== null) {
      const resolve = first;
      first = null;
      resolve(JSON.parse(line));
      return;
    }
    waiting.shift()?.resolve(JSON.parse(line));
  });
  const lab = await ready;
  /** Sessions accepted so far, per lab address. */
  const sessions = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the lab did not answer within 10 s')), 10_000);
      waiting.push({
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject,
      });
      child.stdin.write('sessions\n');
    });
  const close = async () => {
    child.stdin.end();
    const exited = await Promise.race([
      new Promise((resolve) => child.once('exit', () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (!exited) child.kill('SIGKILL');
    clearTimeout(killTimer);
  };
  return { lab, sessions, close };
}

// ---------------------------------------------------------------------------
// The tools

/** Runs a command with stdin closed, killed after timeoutMs; resolves with its output and wall time. */
function run(file, args, timeoutMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const done = (code, error) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr: error === undefined ? stderr : `${stderr}${error.message}`, timedOut, seconds: (performance.now() - started) / 1000 });
    };
    child.on('error', (error) => done(null, error));
    child.on('close', (code) => done(code));
  });
}

/** The first of these names on PATH, or null. */
function which(...names) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of names) if (dir !== '' && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** Suites as {version: Set(IANA names)}. */
const total = (suites) => Object.values(suites).reduce((n, s) => n + s.size, 0);

async function runMxready(lab, host, caFile) {
  const r = await run(
    process.execPath,
    [here('../bin/mxready.js'), '--enumerate', '--format', 'json', '--resolver', `${lab.dns.host}:${lab.dns.port}`, '--ca-file', caFile, '--allow-private', '--no-progress', '--timeout', '15000', `${host.ip}:${lab.port}`],
    120_000,
  );
  let probe;
  try {
    probe = JSON.parse(r.stdout).targets[0].mx[0].addresses[0].probe;
  } catch {
    return { ...r, error: `no JSON report (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(0, 500)}` };
  }
  const e = probe.enumeration;
  if (e === undefined) return { ...r, error: `no enumeration (probe ${probe.status})` };
  const suites = Object.fromEntries(Object.entries(e.ciphers).map(([v, list]) => [v, new Set(list.map((c) => c.standardName))]));
  return { ...r, probe, enumeration: e, suites, error: e.error === undefined ? undefined : `enumeration stopped: ${e.error.code} ${e.error.message}` };
}

/** nmap ssl-enum-ciphers' suites per version (TLS 1.3's TLS_AKE_WITH_X is IANA's TLS_X), and its order verdicts. */
function parseNmap(output) {
  const suites = {};
  const order = {};
  let version = null;
  let inCiphers = false;
  let inScript = false;
  for (const line of output.split('\n')) {
    if (/^\|[ _]?ssl-enum-ciphers:/.test(line)) {
      inScript = true;
      continue;
    }
    if (!inScript) continue;
    if (!line.startsWith('|')) break;
    const v = /^\|[ _] {2}(SSLv3|TLSv1\.[0-3]):\s*$/.exec(line)?.[1];
    if (v !== undefined) {
      version = v === 'TLSv1.0' ? 'TLSv1' : v;
      suites[version] = new Set();
      inCiphers = false;
      continue;
    }
    if (version === null) continue;
    if (/^\|[ _] {4}ciphers:\s*$/.test(line)) {
      inCiphers = true;
      continue;
    }
    const suite = /^\|[ _] {6}((?:TLS|SSL)_\w+)/.exec(line)?.[1];
    if (inCiphers && suite !== undefined) {
      suites[version].add(suite.replace(/^TLS_AKE_WITH_/, 'TLS_'));
      continue;
    }
    if (!/^\|[ _] {6}/.test(line)) inCiphers = false;
    const preference = /^\|[ _] {4}cipher preference: (\S+)/.exec(line)?.[1];
    if (preference !== undefined) order[version] = preference;
  }
  return { suites, order };
}

/**
 * nmap decides to say STARTTLS from the port's service name: "smtp" on port 25, "unknown"
 * on the lab's port, where ssl-enum-ciphers then finds nothing. Either -sV names it (its
 * version probes cost ~30 s against the lab server, which they cannot identify), or — the
 * default here, the same as nmap on a real port 25 — a data folder whose nmap-services
 * names the lab's port "smtp" (nmap reads its other files from its usual folder).
 */
function nmapArgs(lab, host, dir) {
  if (process.env.BENCH_NMAP_SV === '1') return ['-n', '-Pn', '-sV', '-p', String(lab.port), '--script', 'ssl-enum-ciphers', host.ip];
  const datadir = join(dir, 'nmap');
  if (!existsSync(join(datadir, 'nmap-services'))) {
    mkdirSync(datadir, { recursive: true });
    writeFileSync(join(datadir, 'nmap-services'), `smtp\t${lab.port}/tcp\t0.5\t# the mxready bench lab's SMTP port\n`);
  }
  return ['-n', '-Pn', '--datadir', datadir, '-p', String(lab.port), '--script', 'ssl-enum-ciphers', host.ip];
}

async function runNmap(nmapPath, lab, host, dir) {
  const r = await run(nmapPath, nmapArgs(lab, host, dir), 180_000);
  if (r.code !== 0) return { ...r, error: `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${r.stderr.trim().slice(0, 500)}` };
  const { suites, order } = parseNmap(r.stdout);
  return { ...r, suites, order, error: Object.keys(suites).length === 0 ? 'ssl-enum-ciphers found nothing (STARTTLS not spoken?)' : undefined };
}

const TESTSSL_VERSIONS = { ssl3: 'SSLv3', tls1: 'TLSv1', tls1_1: 'TLSv1.1', tls1_2: 'TLSv1.2', tls1_3: 'TLSv1.3' };

async function runTestssl(testsslPath, lab, host, dir) {
  const jsonFile = join(dir, `testssl-${host.name}.json`);
  rmSync(jsonFile, { force: true });
  const r = await run(
    testsslPath,
    ['--quiet', '--color', '0', '--warnings', 'off', '--nodns', 'none', '--connect-timeout', '10', '--openssl-timeout', '10', '--jsonfile', jsonFile, '-t', 'smtp', '-p', '-E', `${host.ip}:${lab.port}`],
    300_000,
  );
  let findings;
  try {
    findings = JSON.parse(readFileSync(jsonFile, 'utf8'));
  } catch {
    return { ...r, error: `no JSON findings (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${(r.stdout + r.stderr).trim().slice(-500)}` };
  }
  // {"id": "cipher-tls1_2_xc02f", "finding": "TLS 1.2  xc02f  ECDHE-RSA-AES128-GCM-SHA256  …  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
  const suites = {};
  for (const f of Array.isArray(findings) ? findings : (findings.scanResult ?? [])) {
    const m = /^cipher-(ssl3|tls1|tls1_1|tls1_2|tls1_3)_x[0-9a-f]+$/.exec(f.id ?? '');
    if (m === null) continue;
    const version = TESTSSL_VERSIONS[m[1]];
    const iana = /(\S+)\s*$/.exec(f.finding ?? '')?.[1];
    if (iana !== undefined) (suites[version] ??= new Set()).add(iana);
  }
  return { ...r, suites, error: undefined };
}

// ---------------------------------------------------------------------------
// The run

async function main() {
  if (!existsSync(here('../dist/lab/lab.js')) || !existsSync(here('../dist/cli/main.js'))) {
    console.error('bench:enumerate: dist/ is missing: npm run build first (npm run bench:enumerate does)');
    return 2;
  }
  const wanted = new Set((process.env.BENCH_TOOLS ?? 'mxready,nmap,testssl').split(',').map((s) => s.trim()));
  const hostFilter = process.env.BENCH_HOSTS === undefined ? null : new Set(process.env.BENCH_HOSTS.split(',').map((s) => s.trim()));
  const hosts = HOSTS.filter((h) => hostFilter === null || hostFilter.has(h.name));
  const nmapPath = wanted.has('nmap') ? which('nmap') : null;
  const testsslPath = wanted.has('testssl') ? which('testssl.sh', 'testssl') : null;

  const dir = mkdtempSync(join(tmpdir(), 'mxready-bench-enumerate-'));
  const { lab, sessions, close } = await startLabProcess();
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, lab.caPem);
  console.log(`mxready enumerate bench: ${hosts.length} lab SMTP host${hosts.length === 1 ? '' : 's'} (STARTTLS, port ${lab.port}, lab in its own process), node ${process.version}`);
  if (wanted.has('nmap') && nmapPath === null) console.log('nmap: not installed (apt-get install nmap)');
  if (wanted.has('testssl') && testsslPath === null) console.log('testssl.sh: not installed (apt-get install testssl.sh)');

  /** Connections the host's server accepted while `fn` ran (read once the count settles). */
  const counted = async (ip, fn) => {
    const before = (await sessions())[ip] ?? 0;
    const result = await fn();
    let after = (await sessions())[ip] ?? 0;
    for (let i = 0; i < 10; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = (await sessions())[ip] ?? 0;
      if (now === after) break;
      after = now;
    }
    return { ...result, connections: after - before };
  };

  const rows = [];
  const notes = [];
  let failed = false;
  try {
    for (const host of hosts) {
      const results = {};
      if (wanted.has('mxready')) results.mxready = await counted(host.ip, () => runMxready(lab, host, caFile));
      if (nmapPath !== null) results.nmap = await counted(host.ip, () => runNmap(nmapPath, lab, host, dir));
      if (testsslPath !== null) results.testssl = await counted(host.ip, () => runTestssl(testsslPath, lab, host, dir));
      for (const [tool, r] of Object.entries(results)) {
        rows.push({ host: host.name, tool, connections: r.connections, seconds: r.seconds, suites: r.suites, error: r.error });
        if (r.error !== undefined) notes.push(`${host.name}: ${tool}: ${r.error}`);
      }
      const mx = results.mxready;
      if (mx?.enumeration !== undefined) {
        const e = mx.enumeration;
        const suites = total(mx.suites);
        const budget = suites + e.groups.length + BUDGET_EXTRA;
        const within = mx.connections <= budget;
        if (!within) failed = true;
        const order = Object.entries(e.serverOrder).map(([v, o]) => `${v} ${o === true ? 'server' : o === false ? 'client' : 'undecided'}`).join(', ');
        notes.push(
          `${host.name}: mxready ${mx.connections} connections ${within ? '≤' : '> (OVER BUDGET)'} ${suites} suites + ${e.groups.length} groups (${e.groups.join(', ') || 'none'}) + ${BUDGET_EXTRA} = ${budget}` +
            ` (report: plain probe + ${e.handshakes} enumeration handshakes); order: ${order || 'n/a'}`,
        );
        for (const tool of ['nmap', 'testssl']) {
          const other = results[tool];
          if (other?.suites === undefined) continue;
          const notTestable = new Set(e.notTestable);
          for (const v of new Set([...Object.keys(mx.suites), ...Object.keys(other.suites)])) {
            const mine = mx.suites[v] ?? new Set();
            const theirs = other.suites[v] ?? new Set();
            const onlyMine = [...mine].filter((s) => !theirs.has(s));
            const onlyTheirs = [...theirs].filter((s) => !mine.has(s) && !notTestable.has(s));
            const untestable = [...theirs].filter((s) => notTestable.has(s));
            if (onlyMine.length > 0 || onlyTheirs.length > 0) {
              notes.push(`${host.name}: ${v}: mxready and ${tool} disagree: only mxready [${onlyMine.join(', ')}], only ${tool} [${onlyTheirs.join(', ')}]`);
            }
            if (untestable.length > 0) notes.push(`${host.name}: ${v}: ${tool} saw, mxready cannot test: ${untestable.join(', ')}`);
          }
          if (tool === 'nmap' && other.order !== undefined) {
            notes.push(`${host.name}: nmap cipher preference: ${Object.entries(other.order).map(([v, p]) => `${v} ${p}`).join(', ') || 'n/a'}`);
            for (const [v, pref] of Object.entries(other.order)) {
              const o = e.serverOrder[v];
              if ((pref === 'server' || pref === 'client') && (o === true || o === false) && o !== (pref === 'server')) {
                notes.push(`${host.name}: ${v}: cipher order: mxready serverOrder ${o}, nmap "${pref}"`);
              }
            }
          }
        }
      } else if (mx !== undefined) {
        failed = true;
      }
    }
  } finally {
    await close();
    rmSync(dir, { recursive: true, force: true });
  }

  const perVersion = (suites) =>
    suites === undefined
      ? '-'
      : `${total(suites)} (${Object.entries(suites)
          .filter(([, s]) => s.size > 0)
          .map(([v, s]) => `${v.replace('TLSv', '')}: ${s.size}`)
          .join(', ')})`;
  console.log('');
  console.log(`${'host'.padEnd(13)} ${'tool'.padEnd(8)} ${'connections'.padStart(11)} ${'seconds'.padStart(8)}  accepted suites (per version)`);
  for (const r of rows) {
    console.log(
      `${r.host.padEnd(13)} ${r.tool.padEnd(8)} ${String(r.connections).padStart(11)} ${r.seconds.toFixed(2).padStart(8)}  ${r.error !== undefined && r.suites === undefined ? `failed: ${r.error.split('\n')[0].slice(0, 80)}` : perVersion(r.suites)}`,
    );
  }
  console.log('');
  for (const note of notes) console.log(note);
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------
// The Postfix leg

const POSTFIX = { name: 'pf-modern', ip: '127.0.25.11', port: 25 };
const POSTFIX_RUNS = 5;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** A shell step of the interop tier (setup or teardown), its output kept for a failure. */
async function interopStep(script) {
  const r = await run('bash', [here(`../test/interop/${script}`)], 900_000);
  return r.code === 0 ? null : `test/interop/${script} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`;
}

async function postfixLeg() {
  if (process.env.BENCH_POSTFIX === '0') return 0;
  console.log('');
  if (process.getuid?.() !== 0) {
    console.log('Postfix leg: skipped, it needs root (test/interop/setup.sh installs and starts Postfix on 127.0.25.x:25): sudo npm run bench:enumerate');
    return 0;
  }
  const nmapPath = which('nmap');
  if (nmapPath === null) {
    console.log('Postfix leg: skipped, nmap is not installed (apt-get install nmap)');
    return 0;
  }
  const state = process.env.MXREADY_INTEROP_STATE ?? '/tmp/mxready-interop';
  console.log(`Postfix leg: starting the interop tier's servers (test/interop/setup.sh, state in ${state})…`);
  const setupError = await interopStep('setup.sh');
  let failed = false;
  try {
    if (setupError !== null) {
      console.log(`Postfix leg: ${setupError}`);
      return 1;
    }
    const caFile = join(state, 'pki', 'root-ca.crt');
    const mx = [];
    const nm = [];
    let suites = null;
    for (let i = 0; i < POSTFIX_RUNS; i += 1) {
      // Alternated, so a slow moment of the machine falls on both alike.
      const m = await run(
        process.execPath,
        [here('../bin/mxready.js'), '--enumerate', '--format', 'json', '--ca-file', caFile, '--no-progress', '--timeout', '15000', `${POSTFIX.ip}:${POSTFIX.port}`],
        120_000,
      );
      const e = m.code === 0 || m.code === 1 ? JSON.parse(m.stdout).targets[0]?.mx[0]?.addresses[0]?.probe?.enumeration : undefined;
      if (e === undefined || e.error !== undefined) {
        console.log(`Postfix leg: mxready failed (exit ${m.code}): ${(e?.error?.message ?? m.stderr).slice(0, 300)}`);
        return 1;
      }
      suites = Object.values(e.ciphers).reduce((n, list) => n + list.length, 0);
      mx.push(m.seconds);
      const n = await run(nmapPath, ['-n', '-Pn', '-p', String(POSTFIX.port), '--script', 'ssl-enum-ciphers', POSTFIX.ip], 180_000);
      if (n.code !== 0 || Object.keys(parseNmap(n.stdout).suites).length === 0) {
        console.log(`Postfix leg: nmap failed (exit ${n.code}): ${n.stderr.slice(0, 300)}`);
        return 1;
      }
      nm.push(n.seconds);
    }
    const mxMedian = median(mx);
    const nmMedian = median(nm);
    console.log(`Postfix ${POSTFIX.name} (${POSTFIX.ip}:${POSTFIX.port}, ${suites} accepted suites), ${POSTFIX_RUNS} runs each, wall seconds:`);
    console.log(`  mxready --enumerate       ${mx.map((x) => x.toFixed(2)).join(' ')}  median ${mxMedian.toFixed(2)}`);
    console.log(`  nmap ssl-enum-ciphers     ${nm.map((x) => x.toFixed(2)).join(' ')}  median ${nmMedian.toFixed(2)}`);
    console.log(`goal 4  --enumerate no slower than nmap's ssl-enum-ciphers: ${(mxMedian / nmMedian).toFixed(2)}x nmap's wall time  ${mxMedian <= nmMedian ? 'MET' : 'NOT MET'}`);
  } finally {
    const teardownError = await interopStep('teardown.sh');
    if (teardownError !== null) {
      console.log(`Postfix leg: ${teardownError}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

// Last, so every declaration above is initialised before it runs.
if (process.argv[2] === '--lab') {
  await labProcess();
} else {
  const labCode = await main();
  const postfixCode = await postfixLeg();
  // The slow-replies leg (bench/enumerate-overlap.mjs): --per-host 1 against 2 with replies that take time.
  console.log('');
  const overlap = await run(process.execPath, [here('enumerate-overlap.mjs')], 900_000);
  process.stdout.write(overlap.stdout);
  if (overlap.code !== 0) console.log(`slow-replies leg failed (exit ${overlap.code}): ${overlap.stderr.slice(0, 300)}`);
  process.exit(Math.max(labCode, postfixCode, overlap.code === 0 ? 0 : 1));
}
