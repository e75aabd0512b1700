/**
 * The command line: commander options → scan options → report → stdout, exit
 * code. The only module that knows about process, stdout, stderr and files.
 *
 * Exit codes: 0 every target meets the policy · 1 at least one policy gap ·
 * 2 usage or configuration error (nothing scanned) · 3 no gap, but some target
 * could not be assessed. 130/143 when interrupted by SIGINT/SIGTERM.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { editDistance } from './edit-distance.js';
import { sanitizeText } from '../model/sanitize.js';
import { TOOL } from '../model/version.js';
import { EXIT, exitCodeFor } from '../policy/exit-code.js';
import type { DemoCliOptions, ReportCliOptions, ScanCliOptions } from './commands.js';
import { addDepthOptions, addOutputOptions, addPolicyOptions, addPolicyOverrides, addScanOptions, type OutputOptions, type PolicyOptions } from './options.js';
import { exitCodeOf, GuardedOutput, type CliIo } from './output.js';

/** The commands' work, with the scanner, the renderers and the lab: loaded when a command runs, never for --help or --version. */
const commands = (): Promise<typeof import('./commands.js')> => import('./commands.js');

export type { CliIo };

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
  When several apply, the first of 70, 130/143, 74, 141, 1, 3, 0 wins (2 stops a command before any of them).

Targets:
  example.com            a domain: its MX hosts (or implicit MX) are probed on --port
  user@example.com       the domain part of an address
  mx.example.com:587     a relay, probed as given (no MX lookup)
  192.0.2.1  [2001:db8::1]:25   relays by IP literal

mxready sends EHLO, STARTTLS, EHLO again inside TLS, and QUIT. Never MAIL FROM.`;

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
    // Whether --format was given (its default cannot go with --resume, which writes NDJSON, but a given table cannot either).
    .action(async (targets: string[], opts: ScanCliOptions, command: Command) =>
      setCode(await (await commands()).runScan(targets, { ...opts, formatGiven: command.getOptionValueSource('format') === 'cli' }, io)),
    );
  // `mxready --help` shows the scan options too: scanning is what almost everyone came for.
  program.addHelpText('after', () => `\n${scanOptionsHelp(scanCommand)}\n${EXIT_CODES_HELP}`);

  addDepthOptions(
    addPolicyOptions(
      addOutputOptions(program.command('demo').description('start the embedded offline lab on loopback, scan it and print the report')),
      'default: encrypt',
    ),
  ).action(async (opts: DemoCliOptions) => setCode(await (await commands()).runDemo(opts, io)));

  addPolicyOptions(
    addOutputOptions(
      program
        .command('report')
        .description('re-render a saved JSON report without scanning again; with --policy, --min-tls or --expiry-warn, judge it again first')
        .argument('<path>', "the JSON report ('-' for stdin)"),
    ),
    'default: the verdicts the report holds; with --min-tls or --expiry-warn alone, its own policy',
  ).action(async (path: string, opts: ReportCliOptions) => setCode(await (await commands()).runReport(path, opts, io)));

  addOutputOptions(
    program
      .command('merge')
      .description('merge NDJSON scans (shards, resumed segments) into one report: the headers must agree on schemaVersion, policy and shard count; a key seen twice keeps its first occurrence')
      .argument('<files...>', 'NDJSON scans (--format ndjson or --resume), in the order their duplicates are kept'),
  ).action(async (files: string[], opts: OutputOptions) => setCode(await (await commands()).runMergeCommand(files, opts, io)));

  const policyCommand = program
    .command('policy')
    .description('show policies')
    .argument('[words...]')
    .action((words: string[]) => {
      // `policy shw strict`, `policy Show strict`: a mistyped subcommand is named, as a mistyped command is.
      const first = words[0];
      const typo = first !== undefined && first !== 'show' && editDistance(first.toLowerCase(), 'show') <= 2 ? ` (${quoted(first)}: did you mean \`show\`?)` : '';
      throw new UsageError(`usage: mxready policy show NAME|FILE [--min-tls VERSION] [--expiry-warn DAYS]${typo}`);
    });
  addPolicyOverrides(
    policyCommand
      .command('show')
      .description('print the effective policy (a preset, or a policy file after "extends") as JSON')
      .argument('<name|file>', 'encrypt, verify, strict, dane, or a JSON policy file'),
  ).action(async (nameOrFile: string, opts: PolicyOptions) => setCode((await commands()).runPolicyShow(nameOrFile, opts, io)));

  return program;
}

/**
 * Commander's messages quote what was typed whole ("option '--port <n>'
 * argument 'VALUE' is invalid", "unknown option 'VALUE'"): each value quoted as
 * every other message quotes one (inert, at most 80 characters).
 */
function quoteValues(message: string): string {
  return message
    .replace(/^(option '[^']*' argument |command-argument value )'([\s\S]*)'( is invalid)/, (_, before: string, value: string, after: string) => `${before}${quoted(value)}${after}`)
    .replace(/^(unknown (?:option|command) )'([\s\S]*)'(\s*\(Did you mean [^)]*\))?$/, (_, before: string, value: string, after: string | undefined) => `${before}${quoted(value)}${after ?? ''}`);
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
      io.stderr.write(`mxready: ${line(quoteValues(error.message.replace(/^error: /, '')))} (see mxready --help)\n`);
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

/**
 * stderr, silent once stdout is known to be closed: the reader went away, so
 * what follows the report (notes, CI annotations) is not written either. A
 * write's callback still runs.
 */
function quietAfter(stdout: GuardedOutput, stderr: NodeJS.WriteStream): NodeJS.WriteStream {
  const write = (...args: unknown[]): boolean => {
    if (!stdout.closed) return (stderr.write as (...a: unknown[]) => boolean)(...args);
    const callback = args.find((a): a is () => void => typeof a === 'function');
    if (callback !== undefined) queueMicrotask(callback);
    return true;
  };
  return new Proxy(stderr, {
    get(target, property) {
      if (property === 'write') return write;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export async function main(): Promise<void> {
  const stdout = new GuardedOutput(process.stdout);
  const code = await run(process.argv.slice(2), { stdout, stderr: quietAfter(stdout, process.stderr), stdin: process.stdin, env: process.env });
  await stdout.settle();
  const codes = [code];
  if (stdout.failure !== null) {
    process.stderr.write(`mxready: cannot write the report to stdout: ${sanitizeText(stdout.failure.code ?? stdout.failure.message)}\n`);
    codes.push(EXIT.ioError);
  }
  if (stdout.closed) codes.push(EXIT.stdoutClosed);
  process.exitCode = exitCodeOf(codes);
}
