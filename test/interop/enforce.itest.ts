/**
 * From scan to enforcement, against real MTAs. For each profile (encrypt,
 * verify): mxready scans every interop domain and writes `--format
 * postfix-policy`; Postfix's own postmap loads it; a sending Postfix instance of
 * this suite's own (its own configuration and queue folders, no listening port,
 * resolving through the tier's Unbound in a mount namespace of its own) uses it
 * with default level `may` and delivers one message to each interop domain. From
 * its log: every enforced domain was reached with TLS 1.2 or better (verified,
 * under verify) and none was deferred; every exception was still delivered (but
 * where the receiver takes mail from no sender without a client certificate).
 * Then `exim -bV` accepts a configuration that includes `--format exim-hosts`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { interopVariable, INTEROP_STATE } from './env.js';

const BIN = fileURLToPath(new URL('../../../bin/mxready.js', import.meta.url));
const SENDER = join(INTEROP_STATE, 'sender');
const SENDER_VAR = join(INTEROP_STATE, 'sender-var');

const zone = (): string => interopVariable('MXREADY_INTEROP_ZONE');
/** Every interop domain: one per host, and the zone's special ones. */
function domains(): string[] {
  const hosts = interopVariable('MXREADY_INTEROP_HOSTS').split(',').map((h) => h.split(':')[0] as string);
  return [...hosts, 'multi', 'fallback', 'mixednull', 'implicit', 'cname', 'partial', 'noaddr', 'nullmx', 'nx'].map((label) => `${label}.${zone()}`);
}
/** Domains whose receivers take mail from no sender without a client certificate. */
function needsClientCertificate(): Set<string> {
  return new Set(interopVariable('MXREADY_INTEROP_HOSTS').split(',').filter((h) => h.endsWith(':ccert')).map((h) => `${h.split(':')[0]}.${zone()}`));
}

function run(command: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(command, args, { encoding: 'utf8', input: options.input ?? '', timeout: options.timeoutMs ?? 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

interface Delivery {
  readonly domain: string;
  readonly status: string;
  /** The reply or reason in parentheses at the end of the line. */
  readonly detail: string;
  /** The TLS the delivering session had: "Verified TLSv1.3", "Untrusted TLSv1.2", … or "plaintext". */
  readonly tls: string;
}

/** Each recipient domain's last delivery attempt in the sender's log, with the TLS of its session (same smtp process, same relay). */
function deliveries(log: string): Map<string, Delivery> {
  const tlsBySession = new Map<string, { relay: string; tls: string }>();
  const out = new Map<string, Delivery>();
  for (const line of log.split('\n')) {
    const tls = /postfix-sender\/smtp\[(\d+)\]: (Verified|Trusted|Untrusted|Anonymous) TLS connection established to (\S+?): (TLSv[\d.]+)/.exec(line);
    if (tls) {
      tlsBySession.set(tls[1] as string, { relay: tls[3] as string, tls: `${tls[2]} ${tls[4]}` });
      continue;
    }
    const status = /postfix-sender\/(?:smtp|error|discard)\[(\d+)\]: \w+: to=<[^@>]*@([^>]+)>, (?:relay=(\S+?), )?.*status=(\w+) ?(.*)$/.exec(line);
    if (status) {
      const session = tlsBySession.get(status[1] as string);
      const relay = status[3] ?? '';
      const viaTls = session !== undefined && relay.startsWith(session.relay.replace(/:\d+$/, ''));
      out.set(status[2] as string, { domain: status[2] as string, status: status[4] as string, detail: status[5] ?? '', tls: viaTls ? session.tls : 'plaintext' });
      if (session !== undefined) tlsBySession.delete(status[1] as string);
    }
  }
  return out;
}

const MAIN_CF = (): string => `# The enforcement suite's sending Postfix: no listening port, delivers through the tier's DNS.
compatibility_level = 3.6
queue_directory = ${SENDER_VAR}/queue
data_directory = ${SENDER_VAR}/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-sender
myhostname = sender.${zone()}
myorigin = sender.${zone()}
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
maillog_file = ${SENDER_VAR}/log/postfix.log
maillog_file_prefixes = ${SENDER_VAR}/log
notify_classes =
smtp_tls_security_level = may
smtp_tls_policy_maps = hash:${SENDER}/tls_policy
smtp_tls_CAfile = ${interopVariable('MXREADY_INTEROP_CA_FILE')}
smtp_tls_loglevel = 1
smtp_tls_session_cache_database =
smtp_connect_timeout = 10s
smtp_helo_timeout = 30s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
queue_run_delay = 5s
`;

const MASTER_CF = `postlog   unix-dgram n  -  n  -     1  postlogd
pickup    unix  n  -  n  5     1  pickup
cleanup   unix  n  -  n  -     0  cleanup
qmgr      unix  n  -  n  300   1  qmgr
tlsmgr    unix  -  -  n  1000? 1  tlsmgr
rewrite   unix  -  -  n  -     -  trivial-rewrite
bounce    unix  -  -  n  -     0  bounce
defer     unix  -  -  n  -     0  bounce
trace     unix  -  -  n  -     0  bounce
verify    unix  -  -  n  -     1  verify
flush     unix  n  -  n  1000? 0  flush
proxymap  unix  -  -  n  -     -  proxymap
smtp      unix  -  -  n  -     -  smtp
relay     unix  -  -  n  -     -  smtp
showq     unix  n  -  n  -     -  showq
error     unix  -  -  n  -     -  error
retry     unix  -  -  n  -     -  error
discard   unix  -  -  n  -     -  discard
anvil     unix  -  -  n  -     1  anvil
scache    unix  -  -  n  -     1  scache
`;

function stopSender(): void {
  if (existsSync(join(SENDER, 'main.cf'))) run('postfix', ['-c', SENDER, 'stop']);
}

/** A fresh sending instance with this map, started inside a mount namespace whose resolv.conf names Unbound. */
function startSender(map: string): void {
  stopSender();
  rmSync(SENDER, { recursive: true, force: true });
  rmSync(SENDER_VAR, { recursive: true, force: true });
  mkdirSync(SENDER, { recursive: true });
  for (const dir of ['queue', 'data', 'log']) mkdirSync(join(SENDER_VAR, dir), { recursive: true });
  chownSync(join(SENDER_VAR, 'data'), Number(run('id', ['-u', 'postfix']).stdout.trim()), 0);
  writeFileSync(join(SENDER, 'main.cf'), MAIN_CF());
  writeFileSync(join(SENDER, 'master.cf'), MASTER_CF);
  writeFileSync(join(SENDER, 'tls_policy'), map);
  writeFileSync(join(SENDER, 'resolv.conf'), `nameserver ${interopVariable('MXREADY_INTEROP_VALIDATOR')}\noptions timeout:2 attempts:2\n`);
  chmodSync(SENDER, 0o755);
  const postmap = run('postmap', ['-c', SENDER, `hash:${join(SENDER, 'tls_policy')}`]);
  assert.equal(postmap.code, 0, `postmap rejected the map: ${postmap.stderr}`);
  const check = run('postfix', ['-c', SENDER, 'check']);
  assert.equal(check.code, 0, `postfix check: ${check.stderr}`);
  const start = run('unshare', ['-m', 'sh', '-c', `mount --bind ${join(SENDER, 'resolv.conf')} /etc/resolv.conf && exec postfix -c ${SENDER} start`]);
  assert.equal(start.code, 0, `the sending Postfix did not start: ${start.stderr}`);
}

/** Waits (bounded: 3 min) until every recipient domain's last attempt is final (sent or bounced); deferred ones are tried again meanwhile. */
async function settle(domains: readonly string[]): Promise<string> {
  const log = join(SENDER_VAR, 'log', 'postfix.log');
  for (let i = 0; i < 180; i += 1) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    const results = deliveries(text);
    if (domains.every((d) => ['sent', 'bounced'].includes(results.get(d)?.status ?? ''))) return text;
    await new Promise((r) => setTimeout(r, 1000));
    if (i % 10 === 9) run('postqueue', ['-c', SENDER, '-f']);
  }
  return existsSync(log) ? readFileSync(log, 'utf8') : '';
}

interface Figures {
  enforced: number;
  exceptions: number;
  leftOut: number;
  sentTls: number;
  deferred: number;
  sentPlain: number;
  nullMx: number;
}

const figures = new Map<string, Figures>();

after(() => {
  stopSender();
  for (const [profile, f] of figures) {
    process.stdout.write(`enforcement ${profile}: ${f.enforced} enforced, ${f.exceptions} exceptions, ${f.leftOut} left out; sender: ${f.sentTls} delivered with TLS, ${f.deferred} deferred, ${f.sentPlain} delivered in plaintext, ${f.nullMx} bounced by Postfix for a null MX beside real ones\n`);
  }
});

describe('from scan to enforcement: a sending Postfix with the map mxready wrote', () => {
  before(() => {
    assert.ok(existsSync(interopVariable('MXREADY_INTEROP_POSTFIX_CONF')), 'the tier is up');
  });

  for (const profile of ['encrypt', 'verify'] as const) {
    it(`Given --policy ${profile} Then every enforced domain is reached with TLS 1.2 or better${profile === 'verify' ? ', verified,' : ''} and none is deferred; every exception is still delivered`, async () => {
      const scan = run(process.execPath, [BIN, ...domains(), '--format', 'postfix-policy', '--policy', profile, '--resolver', interopVariable('MXREADY_INTEROP_RESOLVER'), '--ca-file', interopVariable('MXREADY_INTEROP_CA_FILE'), '--allow-private', '--timeout', '15000', '--no-progress', '--no-mta-sts', '--no-tls-rpt'], { timeoutMs: 180_000 });
      assert.ok(scan.code === 1 || scan.code === 3, `exit ${scan.code}: ${scan.stderr}`);
      const map = scan.stdout;
      const entries = map.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split('\t') as [string, string]);
      const enforced = entries.filter(([, level]) => level !== 'may').map(([d]) => d);
      const exceptions = entries.filter(([, level]) => level === 'may').map(([d]) => d);
      const leftOut = map.split('\n').filter((l) => l.startsWith('# left out: ')).length;
      assert.ok(enforced.length >= 5, `enforced: ${enforced.join(', ')}`);
      assert.ok(exceptions.length >= 3, `exceptions: ${exceptions.join(', ')}`);
      for (const [, level] of entries) if (level !== 'may') assert.equal(level, profile === 'verify' ? 'verify match=hostname protocols=>=TLSv1.2' : 'encrypt protocols=>=TLSv1.2');

      startSender(map);
      const recipients = [...enforced, ...exceptions];
      for (const domain of recipients) {
        const sent = run('sendmail', ['-C', SENDER, '-f', `mxready@sender.${zone()}`, `postmaster@${domain}`], { input: `Subject: mxready enforcement ${profile}\n\nto ${domain}\n` });
        assert.equal(sent.code, 0, sent.stderr);
      }
      const certOnly = needsClientCertificate();
      // A sender that delivers without TLS settles every domain but those whose receivers want a client certificate.
      const log = await settle(recipients.filter((d) => !certOnly.has(d)));
      const results = deliveries(log);
      const byDomain = (d: string): Delivery | undefined => results.get(d);
      const problems: string[] = [];
      const nullMx: string[] = [];
      for (const domain of enforced) {
        const r = byDomain(domain);
        // RFC 7505: Postfix bounces a domain with a null MX beside real ones before any connection; mxready ignores
        // the null MX (dns.null-mx.mixed). Not reached at all, so no TLS question: counted apart.
        if (r?.status === 'bounced' && /nullMX/.test(r.detail)) {
          nullMx.push(domain);
          continue;
        }
        if (r?.status !== 'sent') problems.push(`enforced ${domain}: ${r?.status ?? 'no attempt'}`);
        else if (!/TLSv1\.[23]$/.test(r.tls)) problems.push(`enforced ${domain}: delivered with ${r.tls}`);
        else if (profile === 'verify' && !r.tls.startsWith('Verified')) problems.push(`enforced ${domain}: ${r.tls}, not verified`);
      }
      for (const domain of exceptions) {
        if (certOnly.has(domain)) continue;
        if (byDomain(domain)?.status !== 'sent') problems.push(`exception ${domain}: ${byDomain(domain)?.status ?? 'no attempt'}`);
      }
      assert.deepEqual(problems, [], `${problems.join("\n")}\n---\n` + log.split('\n').filter((l) => /status=|TLS connection/.test(l)).slice(-80).join('\n'));
      const sent = recipients.map(byDomain).filter((r): r is Delivery => r?.status === 'sent');
      figures.set(profile, {
        enforced: enforced.length,
        exceptions: exceptions.length,
        leftOut,
        sentTls: sent.filter((r) => r.tls !== 'plaintext').length,
        deferred: recipients.map(byDomain).filter((r) => r?.status === 'deferred').length,
        sentPlain: sent.filter((r) => r.tls === 'plaintext').length,
        nullMx: nullMx.length,
      });
    });
  }

  it('Given --format exim-hosts Then exim -bV accepts a configuration that includes the host lists in its smtp transport', () => {
    const scan = run(process.execPath, [BIN, ...domains(), '--format', 'exim-hosts', '--policy', 'verify', '--resolver', interopVariable('MXREADY_INTEROP_RESOLVER'), '--ca-file', interopVariable('MXREADY_INTEROP_CA_FILE'), '--allow-private', '--timeout', '15000', '--no-progress', '--no-mta-sts', '--no-tls-rpt'], { timeoutMs: 180_000 });
    assert.ok(scan.code === 1 || scan.code === 3, scan.stderr);
    assert.match(scan.stdout, /^hostlist mxready_require_tls = <; \S/m);
    const dir = join(INTEROP_STATE, 'exim-sender');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'spool'), { recursive: true });
    writeFileSync(join(dir, 'mxready-hosts.conf'), scan.stdout);
    writeFileSync(
      join(dir, 'exim.conf'),
      `.include ${join(dir, 'mxready-hosts.conf')}
primary_hostname = sender.${zone()}
spool_directory = ${join(dir, 'spool')}
keep_environment =

begin routers
dnslookup:
  driver = dnslookup
  transport = remote_smtp

begin transports
remote_smtp:
  driver = smtp
  hosts_require_tls = +mxready_require_tls
  tls_verify_hosts = +mxready_require_tls
  tls_verify_certificates = ${interopVariable('MXREADY_INTEROP_CA_FILE')}
`,
    );
    chmodSync(join(dir, 'exim.conf'), 0o644);
    const check = run(interopVariable('MXREADY_INTEROP_EXIM_BIN'), ['-C', join(dir, 'exim.conf'), '-bV']);
    assert.equal(check.code, 0, `${check.stdout}\n${check.stderr}`);
    // Exim read the lists as lists: it prints each back, and the transport names them.
    const required = run(interopVariable('MXREADY_INTEROP_EXIM_BIN'), ['-C', join(dir, 'exim.conf'), '-bP', '+mxready_require_tls']);
    assert.match(required.stdout, /^hostlist mxready_require_tls = <; .*pf-modern\.mx\./m, required.stdout + required.stderr);
    const exceptions = run(interopVariable('MXREADY_INTEROP_EXIM_BIN'), ['-C', join(dir, 'exim.conf'), '-bP', '+mxready_exceptions']);
    assert.match(exceptions.stdout, /^hostlist mxready_exceptions = <; .*ex-plain\.mx\./m, exceptions.stdout + exceptions.stderr);
    const transport = run(interopVariable('MXREADY_INTEROP_EXIM_BIN'), ['-C', join(dir, 'exim.conf'), '-bP', 'transport', 'remote_smtp']);
    assert.match(transport.stdout, /hosts_require_tls = \+mxready_require_tls/);
  });
});
