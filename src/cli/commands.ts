/**
 * The commands' work, loaded only when a command runs (so `--version` and
 * `--help` do not load the scanner): options → scan options → scan → report →
 * stdout and --json, and the exit code.
 */
import { getServers } from 'node:dns';
import { DEFAULT_CHECKS } from '../checks/registry.js';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import type { NdjsonEnd, NdjsonHeader, NdjsonLine } from '../model/ndjson.js';
import { SCHEMA_VERSION, type Report, type TargetReport } from '../model/report.js';
import { sanitizeText } from '../model/sanitize.js';
import { EXIT, exitCodeFor, type FailOn } from '../policy/exit-code.js';
import { PRESETS, withOverrides, type Policy } from '../policy/presets.js';
import { loadFormat } from '../report/catalog.js';
import { domainsInLine } from '../scan/extract.js';
import { rejudge } from '../scan/rejudge.js';
import { FLEET_DEFAULTS } from '../scan/defaults.js';
import { DEFAULTS, parseServerAddress, scan, type ScanEvent, type ScanOptions } from '../scan/scan.js';
import { parseShard, shardOf, type Shard } from '../scan/shard.js';
import { parseTarget, parseTargetFile, targetKey, type Target } from '../scan/targets.js';
import { keyOfTarget } from '../model/target-key.js';
import { FINDINGS } from '../policy/findings.js';
import { CiRun } from './ci.js';
import { editDistance } from './edit-distance.js';
import { firstLineOf, readCaFile, readClientCertificate, readExcludeFile, readTextInput, textLines } from './files.js';
import { extractNote, sourceFile, streamInputs } from './inputs.js';
import { isNdjsonHeader, ndjsonLines, reportOfLines, writeLine } from './ndjson-io.js';
import type { DepthOptions, OutputOptions, PolicyOptions, ScanTuningOptions } from './options.js';
import { exitCodeOf, stdoutGone, writePieces, type CliIo, type OutputStream } from './output.js';
import { loadPolicy } from './policy-file.js';
import { createProgress } from './progress.js';
import { ReportFile, ReportFileError } from './report-file.js';
import type { Resumed } from './resume.js';
import { parseSavedReport } from './saved-report.js';

/**
 * Colour on a terminal that is not TERM=dumb, or wherever FORCE_COLOR asks for
 * it (as chalk documents: any value but "0" and "false", and it beats
 * TERM=dumb); never when NO_COLOR is set.
 */
export function colorWanted(io: Pick<CliIo, 'env'> & { readonly stdout: Pick<OutputStream, 'isTTY'> }): boolean {
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return io.stdout.isTTY === true && io.env['TERM'] !== 'dumb';
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

export type ScanCliOptions = OutputOptions & PolicyOptions & DepthOptions & ScanTuningOptions;

/** Targets as read, with where in a targets file each came from (the first time its key was read from one). */
interface Gathered {
  readonly inputs: string[];
  readonly sources: Map<string, { file: string; line: number }>;
}

async function gatherTargets(args: readonly string[], files: readonly string[], io: CliIo, extract = false, quiet = false): Promise<Gathered> {
  if (extract && files.length === 0) throw new UsageError('--extract-domains reads the text of a file: give it with --file (or -f - for stdin)');
  const inputs: string[] = [];
  const sources = new Map<string, { file: string; line: number }>();
  /** Where a target was read first (stdin is no file a report can point at). */
  const note = (target: Target, file: string, line: number): void => {
    if (file === '-') return;
    const key = targetKey(target);
    if (!sources.has(key)) sources.set(key, { file: sourceFile(file), line });
  };
  for (const arg of args) {
    parseTarget(arg); // validates and names the bad one
    inputs.push(arg);
  }
  for (const file of files) {
    const content = await readTextInput(file, io.stdin);
    if (!extract) {
      for (const { line, text, target } of parseTargetFile(content, file === '-' ? '<stdin>' : file)) {
        inputs.push(text);
        note(target, file, line);
      }
      continue;
    }
    // --extract-domains: any text; every mail address gives its domain.
    const lines = content.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    let empty = 0;
    let found = 0;
    lines.forEach((line, index) => {
      const domains = domainsInLine(line);
      if (domains.length === 0) empty += 1;
      found += domains.length;
      inputs.push(...domains);
      for (const domain of domains) note(parseTarget(domain), file, index + 1);
    });
    if (!quiet) io.stderr.write(`mxready: ${extractNote(new Set(inputs).size, found, lines.length, empty)}\n`);
  }
  if (inputs.length === 0) throw new UsageError('no targets given (name domains or relays, or use --file)');
  return { inputs, sources };
}

/** Each target read from a targets file gains `source`: the file (relative) and line. */
function withSources(report: Report, sources: ReadonlyMap<string, { file: string; line: number }>): Report {
  if (sources.size === 0) return report;
  return { ...report, targets: report.targets.map((t) => {
    const source = sources.get(keyOfTarget(t));
    return source === undefined ? t : { ...t, source };
  }) };
}

function validateHelo(name: string): string {
  if (!/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$/.test(name)) {
    throw new UsageError(`invalid --helo name ${quoted(name)} (a host name or an address literal in brackets)`);
  }
  return name;
}

/** The depth flags as scan options (the policy adds what it needs: src/policy/presets.ts depthFor). */
function depthOptions(opts: DepthOptions): Pick<ScanOptions, 'enumerate' | 'legacyAcceptance' | 'legacyCheck' | 'dane' | 'mtaSts' | 'tlsRpt' | 'trace'> {
  return {
    enumerate: opts.enumerate === true,
    legacyAcceptance: opts.legacyAcceptance === true,
    legacyCheck: opts.legacyCheck,
    dane: opts.dane !== false,
    mtaSts: opts.mtaSts !== false,
    tlsRpt: opts.tlsRpt !== false,
    trace: opts.trace === true,
  };
}

/** -4 or -6, not both. */
function familyOption(opts: ScanTuningOptions): Pick<ScanOptions, 'family'> {
  if (opts.ipv4 === true && opts.ipv6 === true) throw new UsageError('-4 and -6 exclude each other (give neither to probe both families)');
  return opts.ipv4 === true ? { family: 4 } : opts.ipv6 === true ? { family: 6 } : {};
}

/**
 * The politeness options: given ones as given; otherwise the defaults of the
 * output's mode. NDJSON output (--format ndjson, --resume) is fleet mode: one
 * session per address, eight per provider, one retry.
 */
function politeOptions(opts: ScanCliOptions): Pick<ScanOptions, 'perHost' | 'perProvider' | 'retries' | 'retryDelayMs' | 'rate' | 'exclude'> {
  const fleet = opts.format === 'ndjson' || opts.resume !== undefined;
  const perHost = opts.perHost ?? (fleet ? FLEET_DEFAULTS.perHost : undefined);
  const perProvider = opts.perProvider ?? (fleet ? FLEET_DEFAULTS.perProvider : undefined);
  const retries = opts.retries ?? (fleet ? FLEET_DEFAULTS.retries : undefined);
  return {
    ...(perHost !== undefined ? { perHost } : {}),
    ...(perProvider !== undefined ? { perProvider } : {}),
    ...(retries !== undefined ? { retries } : {}),
    ...(opts.retryDelay !== undefined ? { retryDelayMs: opts.retryDelay } : {}),
    ...(opts.rate !== undefined ? { rate: opts.rate } : {}),
    ...(opts.exclude !== undefined ? { exclude: readExcludeFile(opts.exclude) } : {}),
  };
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
    ...politeOptions(opts),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
    ...(opts.dnsTimeout !== undefined ? { dnsTimeoutMs: opts.dnsTimeout } : {}),
    ...(opts.helo !== undefined ? { heloName: validateHelo(opts.helo) } : {}),
    ...(opts.mtaStsPort !== undefined ? { mtaStsPort: opts.mtaStsPort } : {}),
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
async function emitReport(given: Report, opts: OutputOptions, io: CliIo, file: ReportFile | undefined, ci: CiRun): Promise<number> {
  const report = ci.report(await withInventory(given, opts.format));
  const code = await writeReport(report, opts, io, file);
  await ci.finish();
  return code;
}

/** A report made before the inventory (or its rows' protocol marks), for the formats that show it: its summary rebuilt from the targets (the rest kept). */
async function withInventory(report: Report, format: string): Promise<Report> {
  const rows = report.summary.inventory;
  const current = rows !== undefined && rows.every((row) => row.protocolMark !== undefined);
  if (current || (format !== 'inventory' && format !== 'markdown' && format !== 'html')) return report;
  const { summarize, sumPoliteness } = await import('../scan/summary.js');
  return { ...report, summary: { ...summarize(report.targets), ...sumPoliteness([report.summary]) } };
}

async function writeReport(report: Report, opts: OutputOptions, io: CliIo, file: ReportFile | undefined): Promise<number> {
  const code = exitCodeFor(report, opts.failOn as FailOn);
  const options = { color: colorWanted(io), width: outputWidth(io), wide: opts.wide === true, catalogue: FINDINGS };
  const json = await loadFormat('json');
  writePieces(io.stdout, (await loadFormat(opts.format)).render(report, options));
  if (file === undefined) return code;
  if (file.isStdout) {
    // --json /dev/stdout: the JSON follows the report on the same stream (its failures are stdout's: 74 or 141).
    writePieces(io.stdout, json.render(report, { color: false }));
    return code;
  }
  // Appending to a descriptor or device that may be stdout's too: what stdout holds goes first.
  if (file.inPlace) await io.stdout.settle?.();
  try {
    file.write(json.render(report, { color: false }));
    return code;
  } catch (error) {
    if (!(error instanceof ReportFileError)) throw error;
    const onStdout = opts.format === 'json';
    io.stderr.write(`mxready: ${sanitizeText(error.message)}; ${onStdout ? 'the JSON report is on stdout' : 'the JSON report follows on stdout'}\n`);
    if (!onStdout) writePieces(io.stdout, json.render(report, { color: false }));
    return exitCodeOf([code, EXIT.ioError]);
  }
}

/** Runs `body` with --json's file opened (a problem with it is exit 2 before anything starts), and never leaves its temporary file behind. */
async function withReportFile(opts: OutputOptions, io: CliIo, body: (file: ReportFile | undefined, ci: CiRun) => Promise<number>, opened?: CiRun): Promise<number> {
  const ci = opened ?? (await CiRun.open(opts, io));
  const file = opts.json === undefined ? undefined : ReportFile.open(opts.json);
  try {
    return await body(file, ci);
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

/** Every command the program knows, commander's `help` too: what a mistyped first argument is held against. */
const COMMANDS = ['scan', 'demo', 'report', 'merge', 'policy', 'help'] as const;

/**
 * A first argument that is no plausible target (no dot, no port, no address)
 * but within two edits of a command, ignoring case, is a mistyped command, not
 * a domain to scan: `Report`, `DEMO` and `hlep` too. Only the command itself,
 * as typed (`mxready scan report`), is left to be a target. The nearest
 * command is named.
 */
function commandTypo(first: string | undefined): string | null {
  if (first === undefined || /[.:@[\]]/.test(first) || (COMMANDS as readonly string[]).includes(first)) return null;
  const lower = first.toLowerCase();
  let nearest: { command: string; distance: number } | null = null;
  for (const command of COMMANDS) {
    const distance = editDistance(lower, command);
    if (distance <= 2 && (nearest === null || distance < nearest.distance)) nearest = { command, distance };
  }
  return nearest?.command ?? null;
}

export async function runScan(args: string[], opts: ScanCliOptions, io: CliIo): Promise<number> {
  const typo = commandTypo(args[0]);
  if (typo !== null) throw new UsageError(`unknown command ${quoted(args[0] ?? '')}: did you mean \`${typo}\`? (a domain to scan has a dot)`);
  await loadFormat(opts.format);
  const controller = new AbortController();
  const signals = watchSignals(controller, io.stderr);
  try {
    const policy = effectivePolicy(opts, io);
    const options = buildScanOptions(opts, policy, controller.signal);
    const shard = opts.shard === undefined ? undefined : parseShard(opts.shard, io.env);
    if (opts.resume !== undefined && opts.format !== 'ndjson' && (opts.formatGiven === true || opts.format !== 'table')) throw new UsageError(`--resume writes NDJSON; --format ${opts.format} cannot go with it`);
    if (opts.format === 'ndjson' || opts.resume !== undefined) return await streamScan(args, opts, io, options, signals, shard);
    const { inputs: all, sources } = await gatherTargets(args, opts.file ?? [], io, opts.extractDomains === true, opts.quiet === true);
    // A shard scans its own targets only; every shard has read and checked the whole input.
    // The inputs as typed (a parsed target's input is made inert, no longer what parses).
    const inputs = shard === undefined ? all : all.filter((input) => shardOf(targetKey(parseTarget(input)), shard.count) === shard.index);
    if (inputs.length === 0) throw new UsageError(`shard ${shard?.index ?? 0}/${shard?.count ?? 1} holds none of the ${all.length} targets`);
    return await withReportFile(opts, io, async (file, ci) => {
      const progress = createProgress(io.stderr, opts.progress && opts.quiet !== true && io.stderr.isTTY === true);
      let report: Report;
      try {
        report = withSources(await scan(inputs, options, { onEvent: (event: ScanEvent) => progress.update(event) }), sources);
      } finally {
        progress.done();
      }
      const code = await emitReport(report, opts, io, file, ci);
      if (opts.quiet !== true && !(await stdoutGone(io))) {
        noteUnreachableResolvers(report, opts.resolver, io);
        noteDnssec(report, io);
      }
      return exitCodeOf([signals.code() ?? EXIT.ok, code]);
    });
  } finally {
    signals.dispose();
  }
}

/**
 * `--format ndjson`: the streaming scan. Targets are read lazily (./inputs.ts),
 * each line is written as its target finishes, waiting for stdout to drain; a
 * closed stdout stops the scan quietly (141); the exit code is built as lines
 * come, by the usual rule.
 */
async function streamScan(args: readonly string[], opts: ScanCliOptions, io: CliIo, options: ScanOptions, signals: { code(): number | null }, shard: Shard | undefined): Promise<number> {
  if (opts.json !== undefined) throw new UsageError('--json needs the whole report; with --format ndjson, save the lines and use `mxready report FILE --format json`');
  const quietNote = (text: string): void => {
    if (opts.quiet !== true) io.stderr.write(`mxready: ${sanitizeText(text)}\n`);
  };
  const { openResume } = await import('./resume.js');
  const resumed =
    opts.resume === undefined
      ? undefined
      : await openResume(opts.resume, { schemaVersion: SCHEMA_VERSION, policy: options.policy ?? PRESETS.encrypt, shard, failOn: opts.failOn as FailOn }, quietNote);
  try {
    return await streamInto(args, opts, io, options, signals, shard, resumed, await CiRun.open(opts, io));
  } finally {
    resumed?.close();
  }
}

async function streamInto(
  args: readonly string[],
  opts: ScanCliOptions,
  io: CliIo,
  options: ScanOptions,
  signals: { code(): number | null },
  shard: Shard | undefined,
  resumed: Resumed | undefined,
  ci: CiRun,
): Promise<number> {
  const inputs = await streamInputs(args, opts.file ?? [], io.stdin, { extract: opts.extractDomains === true, ...(shard ? { shard } : {}) });
  try {
    const quiet = opts.quiet === true;
    if (inputs.note !== null && !quiet) io.stderr.write(`mxready: ${inputs.note}\n`);
    const progress = createProgress(io.stderr, opts.progress && !quiet && io.stderr.isTTY === true);
    const { scanStream } = await import('../scan/stream.js');
    let code: number = resumed?.code ?? EXIT.ok;
    let end: NdjsonEnd | undefined;
    let answered = false;
    let dnsNetworkFailure: string | null = null;
    let depthDane = true;
    try {
      const skip = resumed ? { skip: (key: string) => resumed.done.has(key) } : {};
      for await (const scanned of scanStream(inputs.targets(), { ...options, totalTargets: inputs.count, ...(shard ? { shard } : {}), ...skip }, { onEvent: (event: ScanEvent) => progress.update(event) })) {
        let line = scanned;
        if (line.type === 'header') {
          depthDane = line.depth.dane !== false;
          ci.policy(line.policy);
        }
        if (line.type === 'target') line = { ...line, target: ci.target(line.target) };
        if (line.type === 'end' && ci.baseline) line = { ...line, baseline: ci.baseline.summary() };
        if (line.type === 'target') {
          code = exitCodeOf([code, exitCodeFor({ targets: [line.target] }, opts.failOn as FailOn)]);
          answered ||= hasDnssecState(line.target);
          const dnsCode = (line.target.dns.error ?? line.target.error)?.code ?? '';
          if (NETWORK_FAILURES.has(dnsCode)) dnsNetworkFailure ??= dnsCode;
        }
        if (line.type === 'end') end = line;
        if (resumed) {
          resumed.append(line);
          continue;
        }
        if (!(await writeLine(io.stdout, line))) break; // the reader went away: stop quietly
      }
    } finally {
      progress.done();
    }
    if (await stdoutGone(io)) return EXIT.stdoutClosed;
    if (!quiet && end !== undefined) {
      if (dnsNetworkFailure !== null) noteResolvers(opts.resolver, dnsNetworkFailure, io);
      noteDnssecOf(end.dnssec, depthDane, answered, io);
    }
    await ci.finish();
    return exitCodeOf([signals.code() ?? EXIT.ok, code]);
  } finally {
    inputs.dispose();
  }
}

const NETWORK_FAILURES: ReadonlySet<string> = new Set(['dns-connection-refused', 'dns-unreachable']);

/** After a scan whose resolvers could not be reached at all: one stderr line naming the resolvers in use. */
function noteUnreachableResolvers(report: Report, given: readonly string[] | undefined, io: CliIo): void {
  const failure = report.targets.map((t) => t.dns.error ?? t.error).find((e) => e !== undefined && NETWORK_FAILURES.has(e.code));
  if (failure === undefined) return;
  noteResolvers(given, failure.code, io);
}

/** One stderr line naming the resolvers in use, after `code` (dns-unreachable or dns-connection-refused) gave up on them. */
function noteResolvers(given: readonly string[] | undefined, code: string, io: CliIo): void {
  const servers = given ?? getServers();
  const source = given ? '--resolver' : "the system's (dns.getServers())";
  io.stderr.write(
    `mxready: DNS could not be reached (${code === 'dns-unreachable' ? 'no route' : 'connection refused'}); the resolvers in use are ${source}: ${sanitizeText(servers.join(', ') || 'none')}; give working ones with --resolver IP[:PORT]\n`,
  );
}

export /**
 * DANE trusts the resolver's AD bit: one stderr line when a resolver is off
 * loopback (the bit crossed a network), and one when no answer carried it
 * (the resolver does not validate, or nothing is signed).
 */
function noteDnssec(report: Report, io: CliIo): void {
  noteDnssecOf(report.dnssec, report.depth.dane !== false, report.targets.some(hasDnssecState), io);
}

/** Whether a target holds a DNSSEC state (a lookup answered). */
function hasDnssecState(t: TargetReport): boolean {
  return t.dns.dnssec !== undefined || t.mx.some((mx) => mx.dnssec !== undefined);
}

function noteDnssecOf(dnssec: Report['dnssec'], dane: boolean, answered: boolean, io: CliIo): void {
  if (dnssec === undefined || !dane || !answered) return;
  if (!dnssec.loopbackOnly) {
    const off = sanitizeText(dnssec.resolvers.join(', '));
    io.stderr.write(`mxready: DNSSEC: the resolver's AD bit is trusted, and ${off} is not on loopback: a network between could forge it; for DANE, ask a validating resolver on this host\n`);
  }
  if (dnssec.authenticatedAnswers === 0) {
    io.stderr.write('mxready: DNSSEC: no answer was authenticated (AD): the resolver does not validate, or nothing here is signed; DANE applies to no host\n');
  }
}

export type ReportCliOptions = OutputOptions & PolicyOptions;

/**
 * Re-renders a saved report; with --policy, --min-tls or --expiry-warn, judges
 * it again first (a schemaVersion 2 report's facts are policy-free; a version 1
 * report's are not, so it cannot be judged again).
 */
export async function runReport(path: string, opts: ReportCliOptions, io: CliIo): Promise<number> {
  await loadFormat(opts.format);
  const rejudging = opts.policy !== undefined || opts.minTls !== undefined || opts.expiryWarn !== undefined;
  const policy = rejudging && opts.policy !== undefined ? effectivePolicy(opts, io) : undefined;
  const source = path === '-' ? '<stdin>' : path;
  const text = path === '-' ? await readTextInput(path, io.stdin) : null;
  // An NDJSON scan (a header first) is read as a stream: it may be larger than one string can hold.
  if (isNdjsonHeader(text === null ? firstLineOf(path) : text.slice(0, text.indexOf('\n') + 1 || undefined))) {
    const lines = text === null ? textLines(path, io.stdin) : linesOfText(text);
    return reportNdjson(ndjsonLines(lines, source), opts, io, rejudging ? (policy ?? null) : undefined);
  }
  const saved = parseSavedReport(text ?? (await readTextInput(path, io.stdin)), source);
  if (rejudging && saved.schemaVersion === 1) {
    throw new UsageError(
      `${quoted(path)}: a schemaVersion 1 report cannot be judged again (--policy, --min-tls, --expiry-warn): its facts depend on the policy it was scanned under; scan again`,
    );
  }
  const report = rejudging ? rejudge(saved.report, policy ?? withOverrides(saved.report.policy, { minTls: opts.minTls, expiryWarnDays: opts.expiryWarn })) : saved.report;
  return withReportFile(opts, io, (file, ci) => emitReport(report, opts, io, file, ci));
}

async function* linesOfText(text: string): AsyncGenerator<string> {
  yield* text.split(/\r?\n/);
}

/**
 * `report` over an NDJSON scan. To NDJSON: line by line, each target judged again
 * when asked (`policy`: a policy, or null for the scan's own with --min-tls /
 * --expiry-warn), the end line's summary rebuilt. To another format: the targets
 * are held, in `index` order, and rendered as one report.
 */
async function reportNdjson(lines: AsyncIterable<NdjsonLine>, opts: ReportCliOptions, io: CliIo, policy: Policy | null | undefined): Promise<number> {
  if (opts.format === 'ndjson' && opts.json !== undefined) throw new UsageError('--json needs the whole report; use --format json with a file, or without --json');
  const { judgeTarget } = await import('../policy/evaluate.js');
  let header: NdjsonHeader | undefined;
  /** The policy the targets are judged again under, once the header is read; undefined: keep their verdicts. */
  let effective: Policy | undefined;
  const onHeader = (line: NdjsonHeader): void => {
    header = line;
    if (policy !== undefined) effective = policy ?? withOverrides(line.policy, { minTls: opts.minTls, expiryWarnDays: opts.expiryWarn });
  };
  const judged = (target: TargetReport): TargetReport =>
    effective === undefined || header === undefined ? target : judgeTarget(target, effective, { checks: DEFAULT_CHECKS, depth: header.depth, at: header.startedAt });
  const opened = await CiRun.open(opts, io);
  if (opts.format === 'ndjson') {
    const { SummaryBuilder, sumPoliteness } = await import('../scan/summary.js');
    const summary = new SummaryBuilder();
    let code: number = EXIT.ok;
    for await (const line of lines) {
      let out: NdjsonLine = line;
      if (line.type === 'header') {
        onHeader(line);
        if (effective) out = { ...line, policy: effective };
        opened.policy(out.type === 'header' ? out.policy : line.policy);
      } else if (line.type === 'target') {
        const target = opened.target(judged(line.target));
        summary.add(target);
        code = exitCodeOf([code, exitCodeFor({ targets: [target] }, opts.failOn as FailOn)]);
        out = { ...line, target };
      } else {
        out = { ...line, summary: { ...summary.result(), ...sumPoliteness([line.summary]) }, ...(opened.baseline ? { baseline: opened.baseline.summary() } : {}) };
      }
      if (!(await writeLine(io.stdout, out))) return EXIT.stdoutClosed;
    }
    await opened.finish();
    return code;
  }
  const targets: { index: number; target: TargetReport }[] = [];
  let end: NdjsonEnd | undefined;
  for await (const line of lines) {
    if (line.type === 'header') onHeader(line);
    else if (line.type === 'target') targets.push({ index: line.index, target: judged(line.target) });
    else end = line;
  }
  if (header === undefined) throw new UsageError('the NDJSON scan has no header line');
  const report = reportOfLines(header, targets, end, effective);
  return withReportFile(opts, io, (file, ci) => emitReport(report, opts, io, file, ci), opened);
}

/** `merge FILE…`: see ./merge.ts; formats other than NDJSON render the merged report like any other. */
export async function runMergeCommand(files: readonly string[], opts: OutputOptions, io: CliIo): Promise<number> {
  await loadFormat(opts.format);
  if (opts.format === 'ndjson' && opts.json !== undefined) throw new UsageError('--json needs the whole report; use --format json with --json, or merge to NDJSON without it');
  const { runMerge } = await import('./merge.js');
  const ci = await CiRun.open(opts, io);
  return runMerge(files, opts, io, ci, (report) => withReportFile(opts, io, (file) => emitReport(report, opts, io, file, ci), ci));
}

export type DemoCliOptions = OutputOptions & PolicyOptions & DepthOptions;

export async function runDemo(opts: DemoCliOptions, io: CliIo): Promise<number> {
  await loadFormat(opts.format);
  const policy = effectivePolicy(opts, io);
  return withReportFile(opts, io, async (file, ci) => {
    const { startDemoLab } = await import('../lab/demo.js');
    io.stderr.write('mxready demo: starting the offline lab on loopback (DNS + SMTP servers)…\n');
    const lab = await startDemoLab();
    try {
      const report = await scan(lab.targets, { ...lab.scanOptions, policy, ...depthOptions(opts) });
      return await emitReport(report, opts, io, file, ci);
    } finally {
      await lab.close();
    }
  });
}

/** `policy show NAME|FILE`: the effective policy as JSON. */
export function runPolicyShow(nameOrFile: string, opts: PolicyOptions, io: CliIo): number {
  io.stdout.write(`${JSON.stringify(effectivePolicy({ ...opts, policy: nameOrFile }, io), null, 2)}\n`);
  return EXIT.ok;
}
