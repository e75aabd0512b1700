/**
 * The library entry point: scan(targets, options) → Report.
 *
 *   targets → resolver → planner → checks (registry: address, MX, domain) → assemble → judge → report
 *
 * IO is injected (resolver, the checks and their IO, clock) so the whole
 * pipeline runs against the embedded lab in tests. Nothing here prints;
 * progress goes to an observer.
 */
import { setMaxListeners } from 'node:events';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { DEFAULT_CHECKS, type Check, type CheckIo } from '../checks/registry.js';
import { createDnsClient } from '../dns/client.js';
import { createResolver } from '../dns/resolver.js';
import type { DnsServerAddress, Resolver } from '../dns/types.js';
import type { Depth } from '../model/check.js';
import type { DnssecSummary } from '../model/dane.js';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { SCHEMA_VERSION, type Report, type TargetReport } from '../model/report.js';
import { TOOL } from '../model/version.js';
import { REAL_IO } from '../net/io.js';
import { judgeTarget } from '../policy/evaluate.js';
import { depthFor, PRESETS, type Policy } from '../policy/presets.js';
import { assembleTarget, internalErrorTarget, notScannedTarget, type GatheredResults } from './assemble.js';
import { DEFAULTS, phaseTimeouts, positive, wholeNumber } from './defaults.js';
import { addressScheduler, gatherAddresses, gatherDomains, gatherMxHosts, mapLimited, type GatherSettings, type Results } from './gather.js';
import type { Exclusions } from './exclude.js';
import { guardOf, refusal } from './guard.js';
import { ConnectionRate } from './rate.js';
import { planScan, type PlannedTarget, type ResolvedTarget } from './plan.js';
import { resolveConfined } from './resolve.js';
import { systemResolvers } from './resolvers.js';
import { excludedAddresses, politenessSummary, summarize } from './summary.js';
import { parseTargets } from './targets.js';

export { DEFAULTS, phaseTimeouts } from './defaults.js';
export { parseServerAddress } from './resolvers.js';

export interface ScanOptions {
  /** The policy to judge against (default: the encrypt preset). */
  readonly policy?: Policy;
  /** DNS servers; default: the operating system's (dns.getServers()). */
  readonly resolvers?: readonly DnsServerAddress[];
  /** Port for MX probes and for relays given without one (default 25). */
  readonly port?: number;
  /** Extra trust anchors (PEM texts) beside Node's bundled roots. */
  readonly extraCa?: readonly string[];
  /** Connect to DNS answers in private/loopback/link-local ranges. */
  readonly allowPrivate?: boolean;
  /** Probes at once overall (default 32) and per IP address (default 2). */
  readonly concurrency?: number;
  readonly perHost?: number;
  /** Probes at once per provider, the registrable domain of the MX name (default 0: no cap). */
  readonly perProvider?: number;
  /** New SMTP connections per second over the whole scan (default: no limit). */
  readonly rate?: number;
  /** Attempts after a probe's first, for a 4xx greeting or EHLO, a refused connection, or one closed before a greeting (default 0). */
  readonly retries?: number;
  /** Milliseconds before the first retry, doubled for each next one, ±20 % (default 30000). */
  readonly retryDelayMs?: number;
  /** The opt-out list: targets it names are not scanned, MX names and addresses it holds never connected to. */
  readonly exclude?: Exclusions;
  /** One probe's deadline, connect to QUIT (default 60000); caps every phase. */
  readonly timeoutMs?: number;
  /** Each DNS query attempt's deadline (default 5000); a lookup makes up to 3 attempts. */
  readonly dnsTimeoutMs?: number;
  /** The name sent with EHLO (default "mxready.invalid"). */
  readonly heloName?: string;
  /**
   * The enumeration check: for each address that reached TLS, which versions,
   * suites (elimination) and groups it accepts, and whether it enforces its own
   * order (probe.enumeration).
   */
  readonly enumerate?: boolean;
  /** TLS from the first byte on every probe (port 465 always is). */
  readonly implicitTls?: boolean;
  /** The legacy check: a second session offering TLS 1.0-1.1 when the first finds no common version (default true). */
  readonly legacyCheck?: boolean;
  /** TLSA lookups for DANE (default true; --no-dane). */
  readonly dane?: boolean;
  /** The MTA-STS lookup and policy fetch of domain targets (default true; --no-mta-sts). */
  readonly mtaSts?: boolean;
  /** The TLS-RPT lookup of domain targets (default true; --no-tls-rpt). */
  readonly tlsRpt?: boolean;
  /** The port MTA-STS policies are fetched from (default 443; --mta-sts-port, for test labs). */
  readonly mtaStsPort?: number;
  /** One more session offering only TLS 1.0-1.1 after a TLS 1.2+ handshake; on whatever this says when the policy forbids legacy protocols. */
  readonly legacyAcceptance?: boolean;
  /** A client certificate (PEM texts) presented in every handshake, for relays that authenticate the sender by certificate. */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
  /** Record each probe's dialogue, every session labelled (probe.transcript; --trace). */
  readonly trace?: boolean;
  /** Probe only IPv4 (4) or only IPv6 (6) addresses (-4, -6); the others are counted in addressesOmitted. */
  readonly family?: 4 | 6;
  /**
   * Stops the scan: no new lookup or probe starts, in-flight ones may finish
   * within `graceMs` and are then cut; every target not finished ends as
   * status error, code not-scanned.
   */
  readonly signal?: AbortSignal;
  /** How long in-flight work may go on after `signal` aborts (default 5000). */
  readonly graceMs?: number;
}

export type ScanEvent =
  | { readonly type: 'resolved'; readonly done: number; readonly total: number }
  | { readonly type: 'planned'; readonly probes: number }
  | { readonly type: 'probed'; readonly done: number; readonly total: number; readonly ip: string; readonly port: number; readonly status: string; readonly waiting?: number }
  /** A streaming scan's progress by target: read, written, the known total, in flight, the status of the one just written. */
  | { readonly type: 'targets'; readonly read: number; readonly written: number; readonly total: number | null; readonly inFlight: number; readonly status: string | null; readonly waiting?: number };

export interface ScanDeps {
  readonly resolver?: Resolver;
  /** The checks to run, in order (default: src/checks/registry.ts). Their rules judge the report. */
  readonly checks?: readonly Check[];
  /** The checks' IO (default: net.connect, performance.now, Date.now, and the scan's DNS client). */
  readonly io?: Partial<CheckIo>;
  readonly now?: () => Date;
  readonly onEvent?: (event: ScanEvent) => void;
}

/**
 * The signal that cuts in-flight work: it aborts `graceMs` after `stop` does.
 * Without a stop signal it never aborts.
 */
function graceSignal(stop: AbortSignal | undefined, graceMs: number): { cut: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  if (!stop) return { cut: controller.signal, dispose: () => undefined };
  let timer: NodeJS.Timeout | undefined;
  const onStop = () => {
    timer = setTimeout(() => controller.abort(stop.reason), graceMs);
  };
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  return {
    cut: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    },
  };
}

/** Whose AD bit the scan trusted: the resolvers, whether all are on loopback, and the answers that carried it. */
export function dnssecSummary(servers: readonly DnsServerAddress[], authenticatedAnswers: number): DnssecSummary {
  const label = (s: DnsServerAddress): string => (isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);
  return { resolvers: servers.map(label), loopbackOnly: servers.every((s) => guardOf(s.host)?.label.startsWith('loopback') === true), authenticatedAnswers };
}

/** Whether any address of the target was cut short by an interrupt. */
export function wasInterrupted(target: TargetReport): boolean {
  return target.mx.some((mx) => mx.addresses.some((a) => a.probe.error?.code === 'interrupted'));
}

/** What scan() and scanStream() set up before any traffic: validated options, the DNS client, the signals, the checks' settings. */
export interface PreparedScan {
  readonly policy: Policy;
  readonly port: number;
  readonly concurrency: number;
  readonly checks: readonly Check[];
  readonly depth: Depth;
  readonly startedAt: string;
  readonly now: () => Date;
  readonly emit: (event: ScanEvent) => void;
  readonly stop: AbortSignal | undefined;
  readonly cut: AbortSignal;
  readonly resolver: Resolver;
  readonly dnsClient: ReturnType<typeof createDnsClient> | null;
  readonly settings: Omit<GatherSettings, 'onAddress'>;
  /** The resolvers asked (for Report.dnssec). */
  readonly servers: readonly DnsServerAddress[];
  /** Closes the DNS client and stops listening on the signals. */
  dispose(): void;
}

/** Validates the options (a usage error before any traffic) and builds what a scan needs. */
export function prepareScan(options: ScanOptions, deps: ScanDeps, extra: { readonly dnsCacheEntries?: number } = {}): PreparedScan {
  if (options.resolvers !== undefined && options.resolvers.length === 0) throw new UsageError('resolvers: give at least one DNS server');
  const policy = options.policy ?? PRESETS.encrypt;
  const port = positive('port', options.port, DEFAULTS.port);
  if (port > 65535) throw new UsageError('port must be 1-65535');
  const concurrency = positive('concurrency', options.concurrency, DEFAULTS.concurrency);
  const perHost = positive('per-host', options.perHost, DEFAULTS.perHost);
  const perProvider = wholeNumber('per-provider', options.perProvider, 0);
  const retries = wholeNumber('retries', options.retries, 0);
  const retryDelayMs = wholeNumber('retry-delay', options.retryDelayMs, DEFAULTS.retryDelayMs);
  const rate = options.rate === undefined ? null : new ConnectionRate(positive('rate', options.rate, 1));
  const timeoutMs = positive('timeout', options.timeoutMs, DEFAULTS.timeoutMs);
  const dnsTimeoutMs = positive('dns-timeout', options.dnsTimeoutMs, DEFAULTS.dnsTimeoutMs);
  const mtaStsPort = positive('mta-sts-port', options.mtaStsPort, 443);
  if (mtaStsPort > 65535) throw new UsageError('mta-sts-port must be 1-65535');
  const checks = deps.checks ?? DEFAULT_CHECKS;
  const depth = depthFor(policy, options);
  const now = deps.now ?? (() => new Date());
  const emit = deps.onEvent ?? (() => undefined);
  const startedAt = now().toISOString();
  const stop = options.signal;
  const { cut, dispose: disposeGrace } = graceSignal(stop, options.graceMs ?? DEFAULTS.graceMs);
  // Every in-flight probe (and, in a stream, every target in its window) listens on the cut signal.
  setMaxListeners(Math.max(concurrency, 256) * 4 + 16, cut);
  // Every probe waiting for a connection token or a retry listens on the stop signal; in a batch scan that is any number.
  if (stop) setMaxListeners(0, stop);

  const dnsClient = deps.resolver ? null : createDnsClient({ servers: options.resolvers ?? systemResolvers(), timeoutMs: dnsTimeoutMs, ...(extra.dnsCacheEntries !== undefined ? { cacheEntries: extra.dnsCacheEntries } : {}) });
  const resolver = deps.resolver ?? createResolver(dnsClient!);
  // Cutting in-flight work ends pending lookups at once (they resolve as errors, reported not-scanned).
  const closeDns = () => dnsClient?.close();
  cut.addEventListener('abort', closeDns, { once: true });
  const settings: Omit<GatherSettings, 'onAddress'> = {
    checks,
    options: {
      heloName: options.heloName ?? DEFAULTS.heloName,
      timeouts: phaseTimeouts(timeoutMs),
      trustAnchors: [...rootCertificates, ...(options.extraCa ?? [])],
      ...(options.clientCertificate ? { clientCertificate: options.clientCertificate } : {}),
    },
    io: {
      ...REAL_IO,
      ...(dnsClient ? { dns: dnsClient } : {}),
      refuse: (ip: string) => refusal(ip, { fromDns: true, allowPrivate: options.allowPrivate ?? false }),
      ...deps.io,
    },
    depth,
    trace: options.trace === true,
    ...(stop ? { stop } : {}),
    cut,
    concurrency,
    perHost,
    perProvider,
    rate,
    retries,
    retryDelayMs,
    implicitTls: options.implicitTls === true,
    mtaStsPort,
  };
  return {
    policy,
    port,
    concurrency,
    checks,
    depth,
    startedAt,
    now,
    emit,
    stop,
    cut,
    resolver,
    dnsClient,
    settings,
    servers: options.resolvers ?? systemResolvers(),
    dispose: () => {
      cut.removeEventListener('abort', closeDns);
      disposeGrace();
      dnsClient?.close();
    },
  };
}

/**
 * Scans targets (domains, user@domain, host:port, IP literals) and judges them
 * against the policy. Throws UsageError for invalid input before any traffic;
 * every network outcome is data in the report.
 */
export async function scan(inputs: readonly string[], options: ScanOptions = {}, deps: ScanDeps = {}): Promise<Report> {
  const parsed = parseTargets(inputs);
  if (parsed.length === 0) throw new UsageError('no targets given');
  const targets = options.exclude === undefined ? parsed : parsed.filter((t) => !(options.exclude as Exclusions).excludesTarget(t));
  if (options.family !== undefined) {
    const other = targets.find((t) => t.kind === 'host' && t.isIp && isIP(t.host) !== options.family);
    if (other) throw new UsageError(`relay ${quoted(other.input)} is an IPv${options.family === 4 ? 6 : 4} address, and -${options.family} probes only IPv${options.family}`);
  }
  const prepared = prepareScan(options, deps);
  const { policy, port, concurrency, checks, depth, startedAt, emit, stop, cut, resolver, dnsClient, now } = prepared;
  try {
    let resolvedCount = 0;
    emit({ type: 'resolved', done: 0, total: targets.length });
    const resolved = await mapLimited(targets, Math.max(concurrency, 8), async (target) => {
      if (stop?.aborted) return null;
      const result = await resolveConfined(target, resolver, port);
      if (cut.aborted) return null;
      resolvedCount += 1;
      emit({ type: 'resolved', done: resolvedCount, total: targets.length });
      return result;
    });
    const complete = resolved.filter((r): r is ResolvedTarget => r !== null);
    const plan = planScan(complete, { allowPrivate: options.allowPrivate ?? false, ...(options.family ? { family: options.family } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) });
    emit({ type: 'planned', probes: plan.probes.length });

    let probed = 0;
    const scheduler = addressScheduler(prepared.settings);
    const settings = {
      ...prepared.settings,
      onAddress: (probe: { ip: string; port: number }, status: string) => {
        probed += 1;
        emit({ type: 'probed', done: probed, total: plan.probes.length, ip: probe.ip, port: probe.port, status, waiting: scheduler.waiting });
      },
    };
    // MX and domain checks (DNS lookups) run while the addresses are probed.
    const [addresses, mxHosts, domains] = await Promise.all([gatherAddresses(plan, settings, scheduler), gatherMxHosts(plan.targets, settings), gatherDomains(plan.targets, settings)]);
    const results: GatheredResults = { checks, capped: new Map(), addresses, mxHosts, domains };

    const byInput = new Map<string, PlannedTarget>(plan.targets.map((t) => [t.input, t]));
    const reports: TargetReport[] = targets.map((target) => {
      const domain = target.kind === 'domain' ? target.domain : target.host;
      const planned = byInput.get(target.input);
      if (!planned) return notScannedTarget(target.input, domain, target.kind);
      try {
        const facts = assembleTarget(planned, results);
        if (wasInterrupted(facts)) return notScannedTarget(target.input, domain, target.kind);
        return judgeTarget(facts, policy, { checks, depth, at: startedAt });
      } catch (bug) {
        return internalErrorTarget(planned.input, planned.domain, planned.kind, bug);
      }
    });
    const servers = options.resolvers ?? systemResolvers();
    const dnssec = dnsClient === null ? undefined : dnssecSummary(servers, dnsClient.stats?.().authenticated ?? 0);
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: TOOL.name, version: TOOL.version },
      startedAt,
      finishedAt: now().toISOString(),
      policy,
      depth,
      ...(dnssec ? { dnssec } : {}),
      targets: reports,
      summary: {
        ...summarize(reports),
        ...politenessSummary(scheduler.counters, parsed.length - targets.length, excludedAddresses(plan.targets)),
      },
    };
  } finally {
    prepared.dispose();
  }
}

export type { Results };
