/**
 * The command line: commander options → scan options → report → stdout, exit
 * code. The only module that knows about process, stdout, stderr and files.
 *
 * Exit codes: 0 every target meets the policy · 1 at least one policy gap ·
 * 2 usage or configuration error (nothing scanned) · 3 no gap, but some target
 * could not be assessed. 130/143 when interrupted by SIGINT/SIGTERM.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { sanitizeText } from '../model/sanitize.js';
import type { Report } from '../model/report.js';
import { EXIT, exitCodeFor, type FailOn } from '../policy/exit-code.js';
import { loadPolicy } from '../policy/file.js';
import { withOverrides, type Policy } from '../policy/presets.js';
import { FORMATS, parseFormat, parseSavedReport, render, type Format } from '../report/index.js';
import { DEFAULTS, parseServerAddress, scan, type ScanEvent, type ScanOptions } from '../scan/scan.js';
import { parseTarget, parseTargetFile } from '../scan/targets.js';
import { TOOL } from '../version.js';
import { checkWritable, readCaFile, readClientCertificate, readTextInput, writeFileAtomic } from './files.js';
import { createProgress } from './progress.js';

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
}

export { EXIT, exitCodeFor };

const EXIT_CODES_HELP = `
Exit codes:
  0  every target meets the policy
  1  at least one policy gap (with --fail-on warn, also any warning)
  2  usage or configuration error; nothing was scanned
  3  no gap found, but some target could not be assessed (DNS failure, unreachable, timeout)
  130, 143  interrupted by SIGINT, SIGTERM (the report of what finished is still written)
  70  internal error (a bug in mxready)

Targets:
  example.com            a domain: its MX hosts (or implicit MX) are probed on --port
  user@example.com       the domain part of an address
  mx.example.com:587     a relay, probed as given (no MX lookup)
  192.0.2.1  [2001:db8::1]:25   relays by IP literal

mxready sends EHLO, STARTTLS, EHLO again inside TLS, and QUIT. Never MAIL FROM.`;


function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

const POLICY_HELP = 'encrypt (TLS 1.2+ required), verify (+ trusted, matching, unexpired certificate), strict (+ forward secrecy, AEAD, no TLS 1.0/1.1 accepted, RSA 2048/EC 256, SHA-2), or a JSON policy file';

const FAIL_ON_OPTION = () =>
  new Option('--fail-on <severity>', 'what makes exit 1: fail (a policy gap) or warn (any warning too)').choices(['fail', 'warn']).default('fail');

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function colorWanted(io: CliIo): boolean {
  const noColor = io.env['NO_COLOR'];
  return io.stdout.isTTY === true && (noColor === undefined || noColor === '');
}

interface PolicyCliOptions {
  policy: string;
  minTls?: string;
  expiryWarn?: number;
}

/** --policy (preset or file) with --min-tls and --expiry-warn on top. */
function effectivePolicy(opts: PolicyCliOptions): Policy {
  return withOverrides(loadPolicy(opts.policy), { minTls: opts.minTls, expiryWarnDays: opts.expiryWarn });
}

interface ScanCliOptions {
  enumerate?: boolean;
  clientCert?: string;
  clientKey?: string;
  failOn: FailOn;
  expiryWarn?: number;
  file?: string[];
  format: string;
  json?: string;
  policy: string;
  minTls?: string;
  resolver?: string[];
  port?: number;
  caFile?: string[];
  allowPrivate?: boolean;
  concurrency?: number;
  perHost?: number;
  timeout?: number;
  dnsTimeout?: number;
  helo?: string;
  implicitTls?: boolean;
  legacyCheck: boolean;
  progress: boolean;
}

async function gatherTargets(args: readonly string[], files: readonly string[], io: CliIo): Promise<string[]> {
  const inputs: string[] = [];
  for (const arg of args) {
    parseTarget(arg); // validates and names the bad one
    inputs.push(arg);
  }
  for (const file of files) {
    const content = await readTextInput(file, io.stdin);
    inputs.push(...parseTargetFile(content, file === '-' ? '<stdin>' : file));
  }
  if (inputs.length === 0) throw new UsageError('no targets given (name domains or relays, or use --file)');
  return inputs;
}

function validateHelo(name: string): string {
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/.test(name)) {
    throw new UsageError(`invalid --helo name "${name}" (a host name or an address literal in brackets)`);
  }
  return name;
}

async function buildScanOptions(opts: ScanCliOptions, signal: AbortSignal): Promise<ScanOptions> {
  const policy = effectivePolicy(opts);
  const extraCa = (opts.caFile ?? []).flatMap((path) => readCaFile(path));
  const clientCertificate = readClientCertificate(opts.clientCert, opts.clientKey);
  return {
    policy,
    ...(opts.resolver ? { resolvers: opts.resolver.map(parseServerAddress) } : {}),
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    extraCa,
    allowPrivate: opts.allowPrivate === true,
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
    ...(opts.perHost !== undefined ? { perHost: opts.perHost } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
    ...(opts.dnsTimeout !== undefined ? { dnsTimeoutMs: opts.dnsTimeout } : {}),
    ...(opts.helo !== undefined ? { heloName: validateHelo(opts.helo) } : {}),
    implicitTls: opts.implicitTls === true,
    enumerate: opts.enumerate === true,
    ...(clientCertificate ? { clientCertificate } : {}),
    legacyCheck: opts.legacyCheck,
    signal,
  };
}

/**
 * Writes the report to stdout, then to --json PATH, and returns the exit code.
 * PATH was checked before scanning; if writing still fails (disk full), the
 * report is already on stdout and the error (exit 2) says so.
 */
function emitReport(report: Report, format: Format, jsonPath: string | undefined, io: CliIo, failOn: FailOn = 'fail'): number {
  io.stdout.write(render(report, format, { color: colorWanted(io) }));
  if (jsonPath !== undefined) {
    try {
      writeFileAtomic(jsonPath, render(report, 'json', { color: false }));
    } catch (error) {
      throw new UsageError(`${error instanceof Error ? error.message : String(error)} (the report was written to stdout)`);
    }
  }
  return exitCodeFor(report, failOn);
}

/** Interrupts: the first SIGINT/SIGTERM stops the scan (a report is still written); the code tells which. */
function watchSignals(controller: AbortController, stderr: NodeJS.WritableStream): { code: () => number | null; dispose: () => void } {
  let code: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    code = signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    stderr.write(
      `\nmxready: ${signal}: no new probes; in-flight ones get ${DEFAULTS.graceMs / 1000} s, then the report of what finished is written (again to quit at once)\n`,
    );
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    code: () => code,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function addScanOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', "read targets from a file, one a line ('#' comments); '-' for stdin (repeatable)", collect)
    .addOption(new Option('--format <format>', 'what goes to stdout').choices([...FORMATS]).default('table'))
    .option('--json <path>', 'also write the JSON report to this file (atomically)')
    .option('--policy <name|file>', POLICY_HELP, 'encrypt')
    .option('--min-tls <version>', "override the policy's minimum TLS version: 1.0, 1.1, 1.2 or 1.3")
    .option('--expiry-warn <days>', 'warn when a certificate expires within this many days (default 21)', integer('--expiry-warn', 0, 3650))
    .addOption(FAIL_ON_OPTION())
    .option('--resolver <ip[:port]>', "DNS server to use instead of the system's (repeatable)", collect)
    .option('--port <n>', `port for MX probes and relays given without one (default ${DEFAULTS.port})`, integer('--port', 1, 65535))
    .option('--ca-file <path>', 'extra trust anchors, PEM (repeatable)', collect)
    .option('--allow-private', 'connect to DNS answers in private, loopback and link-local ranges')
    .option('--concurrency <n>', `probes at once (default ${DEFAULTS.concurrency})`, integer('--concurrency', 1, 10_000))
    .option('--per-host <n>', `probes at once per IP address (default ${DEFAULTS.perHost})`, integer('--per-host', 1, 100))
    .option('--timeout <ms>', `one probe's deadline, connect to QUIT; caps every phase (default ${DEFAULTS.timeoutMs})`, integer('--timeout', 1, 3_600_000))
    .option('--dns-timeout <ms>', `each DNS query attempt's deadline; 3 attempts per lookup (default ${DEFAULTS.dnsTimeoutMs})`, integer('--dns-timeout', 1, 600_000))
    .option('--helo <name>', `name to send with EHLO (default ${DEFAULTS.heloName})`)
    .option('--enumerate', 'also find every protocol version, cipher suite and key-exchange group each address accepts, and whether it enforces its own order')
    .option('--implicit-tls', 'TLS from the first byte on every probe (port 465 always uses it)')
    .option('--client-cert <pem>', 'client certificate to present, for relays that authenticate the sender by certificate (with --client-key)')
    .option('--client-key <pem>', "the client certificate's private key (PEM, unencrypted)")
    .option('--no-legacy-check', 'do not make a second session to name the old TLS version a failing server speaks')
    .option('--no-progress', 'no progress on stderr');
}

async function runScan(args: string[], opts: ScanCliOptions, io: CliIo): Promise<number> {
  const format = parseFormat(opts.format);
  const controller = new AbortController();
  const signals = watchSignals(controller, io.stderr);
  try {
    if (opts.json !== undefined) checkWritable(opts.json);
    const options = await buildScanOptions(opts, controller.signal);
    const inputs = await gatherTargets(args, opts.file ?? [], io);
    const progress = createProgress(io.stderr, opts.progress && io.stderr.isTTY === true);
    let report: Report;
    try {
      report = await scan(inputs, options, { onEvent: (event: ScanEvent) => progress.update(event) });
    } finally {
      progress.done();
    }
    const code = emitReport(report, format, opts.json, io, opts.failOn);
    return signals.code() ?? code;
  } finally {
    signals.dispose();
  }
}

async function runReport(path: string, opts: { format: string; json?: string; failOn: FailOn }, io: CliIo): Promise<number> {
  const format = parseFormat(opts.format);
  if (opts.json !== undefined) checkWritable(opts.json);
  const text = await readTextInput(path, io.stdin);
  const report = parseSavedReport(text, path === '-' ? '<stdin>' : path);
  return emitReport(report, format, opts.json, io, opts.failOn);
}

async function runDemo(opts: PolicyCliOptions & { format: string; json?: string; failOn: FailOn; enumerate?: boolean }, io: CliIo): Promise<number> {
  const format = parseFormat(opts.format);
  const policy = effectivePolicy(opts);
  if (opts.json !== undefined) checkWritable(opts.json);
  const { startDemoLab } = await import('../lab/demo.js');
  io.stderr.write('mxready demo: starting the offline lab on loopback (DNS + SMTP servers)…\n');
  const lab = await startDemoLab();
  try {
    const report = await scan(lab.targets, { ...lab.scanOptions, policy, enumerate: opts.enumerate === true });
    return emitReport(report, format, opts.json, io, opts.failOn);
  } finally {
    await lab.close();
  }
}

/** The scan command's usage and options, as the top of `mxready --help`. */
function scanOptionsHelp(command: Command): string {
  const help = command.createHelp();
  const width = help.padWidth(command, help);
  const options = help.visibleOptions(command).map((option) => help.formatItem(help.optionTerm(option), width, help.optionDescription(option), help));
  return ['Scan options (mxready [scan] [options] TARGET...):', ...options.map((line) => `  ${line.trimStart()}`)].join('\n');
}

export function buildProgram(io: CliIo, setCode: (code: number) => void): Command {
  const program = new Command('mxready');
  program
    .description('Can your outbound mail require TLS 1.2 to the next hop? Scans MX hosts over SMTP STARTTLS and reports the gaps.')
    .version(TOOL.version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined, // reported as one line by run()
    })
    .showSuggestionAfterError(true);

  const scanCommand = addScanOptions(
    program
      .command('scan', { isDefault: true })
      .description('scan domains and relays (the default command)')
      .argument('[targets...]', 'domains, user@domain, host:port, IP[:port], [IPv6]:port'),
  )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (targets: string[], opts: ScanCliOptions) => setCode(await runScan(targets, opts, io)));
  // `mxready --help` shows the scan options too: scanning is what almost everyone came for.
  program.addHelpText('after', () => `\n${scanOptionsHelp(scanCommand)}\n${EXIT_CODES_HELP}`);

  program
    .command('demo')
    .description('start the embedded offline lab on loopback, scan it and print the report')
    .addOption(new Option('--format <format>', 'what goes to stdout').choices([...FORMATS]).default('table'))
    .option('--json <path>', 'also write the JSON report to this file')
    .option('--policy <name|file>', POLICY_HELP, 'encrypt')
    .option('--min-tls <version>', "override the policy's minimum TLS version")
    .option('--expiry-warn <days>', 'warn when a certificate expires within this many days', integer('--expiry-warn', 0, 3650))
    .addOption(FAIL_ON_OPTION())
    .option('--enumerate', 'also enumerate versions, suites and groups of every lab host')
    .action(async (opts: PolicyCliOptions & { format: string; json?: string; failOn: FailOn; enumerate?: boolean }) => setCode(await runDemo(opts, io)));

  program
    .command('report')
    .description('re-render a saved JSON report without scanning again')
    .argument('<path>', "the JSON report ('-' for stdin)")
    .addOption(new Option('--format <format>', 'what goes to stdout').choices([...FORMATS]).default('table'))
    .option('--json <path>', 'also write the JSON report to this file')
    .addOption(FAIL_ON_OPTION())
    .action(async (path: string, opts: { format: string; json?: string; failOn: FailOn }) => setCode(await runReport(path, opts, io)));

  const policyCommand = program.command('policy').description('show policies');
  policyCommand
    .command('show')
    .description('print the effective policy (a preset, or a policy file after "extends") as JSON')
    .argument('<name|file>', 'encrypt, verify, strict, or a JSON policy file')
    .option('--min-tls <version>', "override the policy's minimum TLS version")
    .option('--expiry-warn <days>', 'override the expiry warning window', integer('--expiry-warn', 0, 3650))
    .action((nameOrFile: string, opts: { minTls?: string; expiryWarn?: number }) => {
      io.stdout.write(`${JSON.stringify(effectivePolicy({ policy: nameOrFile, ...opts }), null, 2)}\n`);
      setCode(EXIT.ok);
    });

  return program;
}

/** Runs the CLI; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    // Messages may echo what the user typed or a file held: sanitised, one line.
    const line = (text: string) => sanitizeText(text.replace(/\s*\n\s*/g, ' ').trim());
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      io.stderr.write(`mxready: ${line(error.message.replace(/^error: /, ''))} (see mxready --help)\n`);
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`mxready: ${line(error.message)}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`mxready: internal error: ${sanitizeText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    return EXIT.internal;
  }
}

export async function main(): Promise<void> {
  const code = await run(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
  });
  process.exitCode = code;
}
