/**
 * The command line's option groups, each declared once and added to every
 * command that takes it (scan, demo, report, policy show), so help and
 * behaviour cannot drift between commands.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { TLS_VERSION_SPELLINGS } from '../model/tls-versions.js';
import { FORMAT_NAMES } from '../report/catalog.js';
import { DEFAULTS, FLEET_DEFAULTS } from '../scan/defaults.js';

function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const POLICY_HELP =
  'encrypt (TLS 1.2+ required), verify (+ trusted, matching, unexpired certificate), strict (+ forward secrecy, AEAD, no TLS 1.0/1.1 accepted, RSA 2048/EC 256, SHA-2), dane (encrypt + DNSSEC-secure TLSA records must match, RFC 7672), or a JSON policy file (honorMtaSts: true judges as an MTA-STS sender)';

export interface OutputOptions {
  format: string;
  json?: string;
  failOn: 'fail' | 'warn';
  wide?: boolean;
  baseline?: string;
  /** --no-annotations makes it false. */
  annotations?: boolean;
}

/** What goes to stdout, what else is written, what makes exit 1. */
export function addOutputOptions(command: Command): Command {
  return command
    .addOption(new Option('--format <format>', 'what goes to stdout').choices([...FORMAT_NAMES]).default('table'))
    .option('--json <path>', 'also write the JSON report to this file: atomically (a temporary file, then a rename), or appended in place for /dev/stdout, /dev/fd/N, a FIFO or a device')
    .option('--wide', 'the table as a full grid, as wide as it needs (by default it fits the terminal)')
    .addOption(new Option('--fail-on <severity>', 'what makes exit 1: fail (a policy gap) or warn (any warning too)').choices(['fail', 'warn']).default('fail'))
    .option('--baseline <file>', 'a saved scan (JSON or NDJSON): mark each finding new or existing, list the fixed ones, and exit 1 only for new findings')
    .option('--no-annotations', 'on GitHub Actions, write no ::error/::warning annotations to stderr');
}

export interface PolicyOptions {
  policy?: string;
  minTls?: string;
  expiryWarn?: number;
}

/** The policy to judge against. `policyHelp` says what happens without --policy (it differs for `report`). */
export function addPolicyOptions(command: Command, withoutPolicy: string): Command {
  return addPolicyOverrides(command.option('--policy <name|file>', `${POLICY_HELP} (${withoutPolicy})`));
}

/** --min-tls and --expiry-warn: with --policy above, and alone for `policy show` (the policy is its argument). */
export function addPolicyOverrides(command: Command): Command {
  return command
    .option('--min-tls <version>', `override the policy's minimum TLS version: ${TLS_VERSION_SPELLINGS}`)
    .option('--expiry-warn <days>', "warn when a certificate expires within this many days (default: the policy's, 21)", integer('--expiry-warn', 0, 3650));
}

export interface DepthOptions {
  enumerate?: boolean;
  legacyAcceptance?: boolean;
  legacyCheck: boolean;
  /** Commander's --no-dane: false when given. */
  dane: boolean;
  /** Commander's --no-mta-sts and --no-tls-rpt: false when given. */
  mtaSts: boolean;
  tlsRpt: boolean;
  trace?: boolean;
}

/** How deep to look beyond the fixed client profile. */
export function addDepthOptions(command: Command): Command {
  return command
    .option('--enumerate', 'also find every protocol version, cipher suite and key-exchange group each address accepts, and whether it enforces its own order')
    .option('--legacy-acceptance', 'after a TLS 1.2+ handshake, one more session offering only TLS 1.0/1.1, to see whether the server still accepts them (on with a policy that forbids them, e.g. strict)')
    .option('--no-legacy-check', 'when a server offers neither TLS 1.2 nor 1.3, do not make the second session that offers TLS 1.0/1.1')
    .option('--no-dane', 'do not look up TLSA records (DANE, RFC 7672): no mx[].tlsa, no addresses[].dane')
    .option('--no-mta-sts', "do not look up or fetch domains' MTA-STS policies (RFC 8461): no mtaSts")
    .option('--no-tls-rpt', "do not look up domains' TLS-RPT records (RFC 8460): no tlsRpt")
    .option('--trace', "record each probe's dialogue, every session labelled: printed after the table, kept in the JSON as probe.transcript");
}

export interface ScanTuningOptions {
  file?: string[];
  resolver?: string[];
  port?: number;
  caFile?: string[];
  allowPrivate?: boolean;
  concurrency?: number;
  perHost?: number;
  perProvider?: number;
  retries?: number;
  retryDelay?: number;
  rate?: number;
  exclude?: string;
  timeout?: number;
  dnsTimeout?: number;
  helo?: string;
  implicitTls?: boolean;
  clientCert?: string;
  clientKey?: string;
  mtaStsPort?: number;
  extractDomains?: boolean;
  shard?: string;
  resume?: string;
  /** --format was on the command line, not its default. */
  formatGiven?: boolean;
  quiet?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  progress: boolean;
}

/** Where targets come from and how the scan reaches them: the scan command's own options. */
export function addScanOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', "read targets from a file, one a line ('#' comments); '-' for stdin (repeatable)", collect)
    .option('--resolver <ip[:port]>', "DNS server to use instead of the system's (repeatable)", collect)
    .option('--port <n>', `port for MX probes and relays given without one (default ${DEFAULTS.port})`, integer('--port', 1, 65535))
    .option('--ca-file <path>', 'extra trust anchors, PEM (repeatable)', collect)
    .option('--allow-private', 'connect to DNS answers in private unicast ranges (RFC 1918, CGNAT, loopback, link-local, unique-local)')
    .option('-4, --ipv4', 'probe only IPv4 addresses (the others are counted, not probed)')
    .option('-6, --ipv6', 'probe only IPv6 addresses (the others are counted, not probed)')
    .option('--concurrency <n>', `probes at once (default ${DEFAULTS.concurrency})`, integer('--concurrency', 1, 10_000))
    .option('--per-host <n>', `sessions at once per IP address, the only bound on connections to one (default ${DEFAULTS.perHost}; ${FLEET_DEFAULTS.perHost} with NDJSON output: --format ndjson or --resume)`, integer('--per-host', 1, 100))
    .option('--per-provider <n>', `probes at once per provider, the registrable domain of the MX name (Public Suffix List); 0: no cap (default 0; ${FLEET_DEFAULTS.perProvider} with NDJSON output)`, integer('--per-provider', 0, 10_000))
    .option('--retries <n>', `attempts after the first for a 4xx greeting or EHLO, a refused connection, or one closed before a greeting (default 0; ${FLEET_DEFAULTS.retries} with NDJSON output)`, integer('--retries', 0, 10))
    .option('--retry-delay <ms>', `before the first retry, doubled for each next one, ±20 %; no new connection to the address meanwhile (default ${DEFAULTS.retryDelayMs})`, integer('--retry-delay', 0, 3_600_000))
    .option('--rate <n>', 'at most N new SMTP connections per second over the whole scan (DNS and MTA-STS fetches not counted; default: no limit)', integer('--rate', 1, 100_000))
    .option('--exclude <file>', "opt-out list, one entry a line ('#' comments): a domain excludes itself and every name under it, an IP address or CIDR prefix those addresses")
    .option('--timeout <ms>', `one probe's deadline, connect to QUIT; caps every phase (default ${DEFAULTS.timeoutMs})`, integer('--timeout', 1, 3_600_000))
    .option('--dns-timeout <ms>', `each DNS query attempt's deadline; 3 attempts per lookup (default ${DEFAULTS.dnsTimeoutMs})`, integer('--dns-timeout', 1, 600_000))
    .option('--helo <name>', `name to send with EHLO (default ${DEFAULTS.heloName})`)
    .option('--implicit-tls', 'TLS from the first byte on every probe (port 465 always uses it)')
    .option('--client-cert <pem>', 'client certificate to present, for relays that authenticate the sender by certificate (with --client-key)')
    .option('--client-key <pem>', "the client certificate's private key (PEM, unencrypted)")
    .option('--extract-domains', "with -f: the file is any text (mail logs: Postfix to=<user@example.com>, Exim => user@example.com); every mail address in it gives its domain, senders' too")
    .option('-q, --quiet', 'no progress and no notes on stderr (errors still print)')
    .option('--resume <file>', 'stream NDJSON to FILE (created if absent) and, when it holds an earlier run of the same scan, scan only the targets it lacks: survives any kill (FILE.lock keeps a second run away)')
    .option('--shard <I/N>', 'scan only shard I of N (0-based; auto/N takes I from JOB_COMPLETION_INDEX): a target belongs to u32(SHA-256(key)[0..3], big-endian) mod N; every shard reads the whole input')
    .option('--mta-sts-port <n>', 'fetch MTA-STS policies from this port instead of 443: for test labs only (RFC 8461 fixes 443)', integer('--mta-sts-port', 1, 65535))
    .option('--no-progress', 'no progress on stderr');
}
