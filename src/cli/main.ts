/**
 * The command line: commander options → scan options → report → stdout, exit
 * code. The only module that knows about process, stdout, stderr and files.
 *
 * Exit codes: 0 every target meets the policy · 1 at least one policy gap ·
 * 2 usage or configuration error (nothing scanned) · 3 no gap, but some target
 * could not be assessed. 130/143 when interrupted by SIGINT/SIGTERM.
 */
import { Command, CommanderError } from 'commander';
import { getServers } from 'node:dns';
import { UsageError } from '../model/errors.js';
import { sanitizeText } from '../model/sanitize.js';
import type { Report } from '../model/report.js';
import { TOOL } from '../model/version.js';
import { EXIT, exitCodeFor, type FailOn } from '../policy/exit-code.js';
import { withOverrides, type Policy } from '../policy/presets.js';
import { getFormat } from '../report/index.js';
import { rejudge } from '../scan/rejudge.js';
import { DEFAULTS, parseServerAddress, scan, type ScanEvent, type ScanOptions } from '../scan/scan.js';
import { parseTarget, parseTargetFile } from '../scan/targets.js';
import { readCaFile, readClientCertificate, readTextInput } from './files.js';
import { ReportFile, ReportFileError } from './report-file.js';
import {
  addDepthOptions,
  addOutputOptions,
  addPolicyOptions,
  addPolicyOverrides,
  addScanOptions,
  type DepthOptions,
  type OutputOptions,
  type PolicyOptions,
  type ScanTuningOptions,
} from './options.js';
import { loadPolicy } from './policy-file.js';
import { exitCodeOf, GuardedOutput, type OutputStream } from './output.js';
import { createProgress } from './progress.js';
import { parseSavedReport } from './saved-report.js';

export interface CliIo {
  /** The report goes here (main() hands a GuardedOutput over process.stdout). */
  readonly stdout: OutputStream;
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
  3  no gap found, but some target could not be assessed (DNS failure, unreachable, timeout, a fact not measured)
  130, 143  interrupted by SIGINT, SIGTERM (the report of what finished is still written)
  141  stdout was closed by its reader (… | head); writing stopped quietly, --json PATH is still written
  74  the report could not be written: to stdout (an I/O error other than a closed reader), or to --json PATH after the scan (the JSON then goes to stdout)
  70  internal error (a bug in mxready)
  When several apply, the first of 70, 130/143, 74, 2, 141, 1, 3, 0 wins.

Targets:
  example.com            a domain: its MX hosts (or implicit MX) are probed on --port
  user@example.com       the domain part of an address
  mx.example.com:587     a relay, probed as given (no MX lookup)
  192.0.2.1  [2001:db8::1]:25   relays by IP literal

mxready sends EHLO, STARTTLS, EHLO again inside TLS, and QUIT. Never MAIL FROM.`;

/**
 * Colour on a terminal, or off one when FORCE_COLOR asks for it (as chalk
 * documents: any value but "0" and "false"); never when NO_COLOR is set.
 */
export function colorWanted(io: Pick<CliIo, 'env'> & { readonly stdout: Pick<OutputStream, 'isTTY'> }): boolean {
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return io.stdout.isTTY === true;
}

/** The width the table fits: the terminal's, else COLUMNS, else 100; at least 80. */
export function outputWidth(io: Pick<CliIo, 'env'> & { readonly stdout: Pick<OutputStream, 'isTTY' | 'columns'> }): number {
  const terminal = io.stdout.isTTY === true && typeof io.stdout.columns === 'number' && io.stdout.columns > 0 ? io.stdout.columns : undefined;
  const env = Number(io.env['COLUMNS']);
  const width = terminal ?? (Number.isInteger(env) && env > 0 ? env : 100);
  return Math.max(80, width);
}

/** --policy (preset or file, `fallback` when absent) with --min-tls and --expiry-warn on top; notes go to stderr. */
function effectivePolicy(opts: PolicyOptions, io: CliIo, fallback = 'encrypt'): Policy {
  const loaded = loadPolicy(opts.policy ?? fallback);
  for (const note of loaded.notes) io.stderr.write(`mxready: ${sanitizeText(note)}\n`);
  return withOverrides(loaded.policy, { minTls: opts.minTls, expiryWarnDays: opts.expiryWarn });
}

type ScanCliOptions = OutputOptions & PolicyOptions & DepthOptions & ScanTuningOptions;

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

/** The depth flags as scan options (the policy adds what it needs: src/policy/presets.ts depthFor). */
function depthOptions(opts: DepthOptions): Pick<ScanOptions, 'enumerate' | 'legacyAcceptance' | 'legacyCheck' | 'trace'> {
  return { enumerate: opts.enumerate === true, legacyAcceptance: opts.legacyAcceptance === true, legacyCheck: opts.legacyCheck, trace: opts.trace === true };
}

/** -4 or -6, not both. */
function familyOption(opts: ScanTuningOptions): Pick<ScanOptions, 'family'> {
  if (opts.ipv4 === true && opts.ipv6 === true) throw new UsageError('-4 and -6 exclude each other (give neither to probe both families)');
  return opts.ipv4 === true ? { family: 4 } : opts.ipv6 === true ? { family: 6 } : {};
}

function buildScanOptions(opts: ScanCliOptions, policy: Policy, signal: AbortSignal): ScanOptions {
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
    ...familyOption(opts),
    ...depthOptions(opts),
    ...(clientCertificate ? { clientCertificate } : {}),
    signal,
  };
}

/**
 * Writes the report to stdout, then to --json PATH (opened before the scan), and
 * returns the exit code. If the file still cannot be written (a full disk), one
 * stderr line says so, the JSON report goes to stdout unless it is already
 * there, and the code is 74.
 */
async function emitReport(report: Report, opts: OutputOptions, io: CliIo, file: ReportFile | undefined): Promise<number> {
  const code = exitCodeFor(report, opts.failOn as FailOn);
  const options = { color: colorWanted(io), width: outputWidth(io), wide: opts.wide === true };
  for (const piece of getFormat(opts.format).render(report, options)) io.stdout.write(piece);
  if (file === undefined) return code;
  if (file.isStdout) {
    // --json /dev/stdout: the JSON follows the report on the same stream (its failures are stdout's: 74 or 141).
    for (const piece of getFormat('json').render(report, { color: false })) io.stdout.write(piece);
    return code;
  }
  // Appending to a descriptor or device that may be stdout's too: what stdout holds goes first.
  if (file.inPlace) await io.stdout.settle?.();
  try {
    file.write(getFormat('json').render(report, { color: false }));
    return code;
  } catch (error) {
    if (!(error instanceof ReportFileError)) throw error;
    const onStdout = opts.format === 'json';
    io.stderr.write(`mxready: ${sanitizeText(error.message)}; ${onStdout ? 'the JSON report is on stdout' : 'the JSON report follows on stdout'}\n`);
    if (!onStdout) for (const piece of getFormat('json').render(report, { color: false })) io.stdout.write(piece);
    return exitCodeOf([code, EXIT.ioError]);
  }
}

/** Runs `body` with --json's file opened (a problem with it is exit 2 before anything starts), and never leaves its temporary file behind. */
async function withReportFile(opts: OutputOptions, body: (file: ReportFile | undefined) => Promise<number>): Promise<number> {
  const file = opts.json === undefined ? undefined : ReportFile.open(opts.json);
  try {
    return await body(file);
  } finally {
    file?.discard();
  }
}

/** Interrupts: the first SIGINT/SIGTERM stops the scan (a report is still written); the code tells which. */
function watchSignals(controller: AbortController, stderr: NodeJS.WritableStream): { code: () => number | null; dispose: () => void } {
  let code: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    // The second interrupt quits at once; process.exit still runs the 'exit' handlers that remove temporary files.
    if (code !== null) process.exit(code);
    code = signal === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
    stderr.write(
      `\nmxready: ${signal}: no new probes; in-flight ones get ${DEFAULTS.graceMs / 1000} s, then the report of what finished is written (again to quit at once)\n`,
    );
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    code: () => code,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

const COMMANDS = ['scan', 'demo', 'report', 'policy'] as const;

/** Levenshtein distance, for telling a mistyped command from a target. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/**
 * A first argument that is no plausible target (no dot, no port, no address)
 * but within two edits of a command is a mistyped command, not a domain to scan.
 */
function commandTypo(first: string | undefined): string | null {
  if (first === undefined || /[.:@[\]]/.test(first)) return null;
  const lower = first.toLowerCase();
  return COMMANDS.find((command) => editDistance(lower, command) <= 2 && lower !== command) ?? null;
}

async function runScan(args: string[], opts: ScanCliOptions, io: CliIo): Promise<number> {
  const typo = commandTypo(args[0]);
  if (typo !== null) throw new UsageError(`unknown command "${sanitizeText(args[0] ?? '').slice(0, 40)}": did you mean \`${typo}\`? (a domain to scan has a dot)`);
  getFormat(opts.format);
  const controller = new AbortController();
  const signals = watchSignals(controller, io.stderr);
  try {
    const policy = effectivePolicy(opts, io);
    const options = buildScanOptions(opts, policy, controller.signal);
    const inputs = await gatherTargets(args, opts.file ?? [], io);
    return await withReportFile(opts, async (file) => {
      const progress = createProgress(io.stderr, opts.progress && io.stderr.isTTY === true);
      let report: Report;
      try {
        report = await scan(inputs, options, { onEvent: (event: ScanEvent) => progress.update(event) });
      } finally {
        progress.done();
      }
      const code = await emitReport(report, opts, io, file);
      noteUnreachableResolvers(report, opts.resolver, io);
      return exitCodeOf([signals.code() ?? EXIT.ok, code]);
    });
  } finally {
    signals.dispose();
  }
}

const NETWORK_FAILURES: ReadonlySet<string> = new Set(['dns-connection-refused', 'dns-unreachable']);

/** After a scan whose resolvers could not be reached at all: one stderr line naming the resolvers in use. */
function noteUnreachableResolvers(report: Report, given: readonly string[] | undefined, io: CliIo): void {
  const failure = report.targets.map((t) => t.dns.error ?? t.error).find((e) => e !== undefined && NETWORK_FAILURES.has(e.code));
  if (failure === undefined) return;
  const servers = given ?? getServers();
  const source = given ? '--resolver' : "the system's (dns.getServers())";
  io.stderr.write(
    `mxready: DNS could not be reached (${failure.code === 'dns-unreachable' ? 'no route' : 'connection refused'}); the resolvers in use are ${source}: ${sanitizeText(servers.join(', ') || 'none')}; give working ones with --resolver IP[:PORT]\n`,
  );
}

type ReportCliOptions = OutputOptions & PolicyOptions;

/**
 * Re-renders a saved report; with --policy, --min-tls or --expiry-warn, judges
 * it again first (a schemaVersion 2 report's facts are policy-free; a version 1
 * report's are not, so it cannot be judged again).
 */
async function runReport(path: string, opts: ReportCliOptions, io: CliIo): Promise<number> {
  getFormat(opts.format);
  const rejudging = opts.policy !== undefined || opts.minTls !== undefined || opts.expiryWarn !== undefined;
  const policy = rejudging && opts.policy !== undefined ? effectivePolicy(opts, io) : undefined;
  const text = await readTextInput(path, io.stdin);
  const saved = parseSavedReport(text, path === '-' ? '<stdin>' : path);
  if (rejudging && saved.schemaVersion === 1) {
    throw new UsageError(
      `${path}: a schemaVersion 1 report cannot be judged again (--policy, --min-tls, --expiry-warn): its facts depend on the policy it was scanned under; scan again`,
    );
  }
  const report = rejudging ? rejudge(saved.report, policy ?? withOverrides(saved.report.policy, { minTls: opts.minTls, expiryWarnDays: opts.expiryWarn })) : saved.report;
  return withReportFile(opts, (file) => emitReport(report, opts, io, file));
}

type DemoCliOptions = OutputOptions & PolicyOptions & DepthOptions;

async function runDemo(opts: DemoCliOptions, io: CliIo): Promise<number> {
  getFormat(opts.format);
  const policy = effectivePolicy(opts, io);
  return withReportFile(opts, async (file) => {
    const { startDemoLab } = await import('../lab/demo.js');
    io.stderr.write('mxready demo: starting the offline lab on loopback (DNS + SMTP servers)…\n');
    const lab = await startDemoLab();
    try {
      const report = await scan(lab.targets, { ...lab.scanOptions, policy, ...depthOptions(opts) });
      return await emitReport(report, opts, io, file);
    } finally {
      await lab.close();
    }
  });
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

  const scanCommand = addDepthOptions(
    addScanOptions(
      addPolicyOptions(
        addOutputOptions(
          program
            .command('scan', { isDefault: true })
            .description('scan domains and relays (the default command)')
            .argument('[targets...]', 'domains, user@domain, host:port, IP[:port], [IPv6]:port'),
        ),
        'default: encrypt',
      ),
    ),
  )
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (targets: string[], opts: ScanCliOptions) => setCode(await runScan(targets, opts, io)));
  // `mxready --help` shows the scan options too: scanning is what almost everyone came for.
  program.addHelpText('after', () => `\n${scanOptionsHelp(scanCommand)}\n${EXIT_CODES_HELP}`);

  addDepthOptions(
    addPolicyOptions(
      addOutputOptions(program.command('demo').description('start the embedded offline lab on loopback, scan it and print the report')),
      'default: encrypt',
    ),
  ).action(async (opts: DemoCliOptions) => setCode(await runDemo(opts, io)));

  addPolicyOptions(
    addOutputOptions(
      program
        .command('report')
        .description('re-render a saved JSON report without scanning again; with --policy, --min-tls or --expiry-warn, judge it again first')
        .argument('<path>', "the JSON report ('-' for stdin)"),
    ),
    'default: the verdicts the report holds; with --min-tls or --expiry-warn alone, its own policy',
  ).action(async (path: string, opts: ReportCliOptions) => setCode(await runReport(path, opts, io)));

  const policyCommand = program
    .command('policy')
    .description('show policies')
    .action(() => {
      throw new UsageError('usage: mxready policy show NAME|FILE [--min-tls VERSION] [--expiry-warn DAYS]');
    });
  addPolicyOverrides(
    policyCommand
      .command('show')
      .description('print the effective policy (a preset, or a policy file after "extends") as JSON')
      .argument('<name|file>', 'encrypt, verify, strict, or a JSON policy file'),
  ).action((nameOrFile: string, opts: PolicyOptions) => {
    io.stdout.write(`${JSON.stringify(effectivePolicy({ ...opts, policy: nameOrFile }, io), null, 2)}\n`);
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
  const stdout = new GuardedOutput(process.stdout);
  const code = await run(process.argv.slice(2), { stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
  await stdout.settle();
  const codes = [code];
  if (stdout.failure !== null) {
    process.stderr.write(`mxready: cannot write the report to stdout: ${sanitizeText(stdout.failure.code ?? stdout.failure.message)}\n`);
    codes.push(EXIT.ioError);
  }
  if (stdout.closed) codes.push(EXIT.stdoutClosed);
  process.exitCode = exitCodeOf(codes);
}
