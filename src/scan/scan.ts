/**
 * The library entry point: scan(targets, options) → Report.
 *
 *   targets → resolver → planner → scheduler(prober) → assemble + policy → report
 *
 * IO is injected (resolver, probe, clock) so the whole pipeline runs against
 * the embedded lab in tests. Nothing here prints; progress goes to an observer.
 */
import { getServers } from 'node:dns';
import { setMaxListeners } from 'node:events';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { createDnsClient } from '../dns/client.js';
import { createResolver } from '../dns/resolver.js';
import type { DnsServerAddress, Resolver } from '../dns/types.js';
import { UsageError } from '../errors.js';
import type { EnumerationFacts, ProbeResult } from '../model/probe.js';
import { SCHEMA_VERSION, type Report, type TargetReport, type TlsVersionSetting } from '../model/report.js';
import { tlsVersionRank, versionBelow } from '../model/tls-versions.js';
import { PRESETS, type Policy } from '../policy/presets.js';
import { enumerate as defaultEnumerate, type EnumerateOptions } from '../enumerate/enumerate.js';
import { probe as defaultProbe } from '../probe/probe.js';
import type { ProbeOptions, ProbeTarget, ProbeTimeouts } from '../probe/types.js';
import { TOOL } from '../version.js';
import { assembleTarget, notScannedTarget, unassessedTarget, unreachedProbe } from './assemble.js';
import { planScan, type PlannedTarget, type ResolvedTarget } from './plan.js';
import { createScheduler } from './scheduler.js';
import { summarize } from './summary.js';
import { parseTargets, type Target } from './targets.js';

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
  /** One probe's deadline, connect to QUIT (default 60000); caps every phase. */
  readonly timeoutMs?: number;
  /** Each DNS query attempt's deadline (default 5000); a lookup makes up to 3 attempts. */
  readonly dnsTimeoutMs?: number;
  /** The name sent with EHLO (default "mxready.invalid"). */
  readonly heloName?: string;
  /**
   * For each address that reached TLS: which versions, suites (elimination) and
   * groups it accepts, and whether it enforces its own order (probe.enumeration).
   */
  readonly enumerate?: boolean;
  /** TLS from the first byte on every probe (port 465 always is). */
  readonly implicitTls?: boolean;
  /** After a version failure, name the older version a server speaks (one more session; default true). */
  readonly legacyCheck?: boolean;
  /** A client certificate (PEM texts) presented in every handshake, for relays that authenticate the sender by certificate. */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
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
  | { readonly type: 'probed'; readonly done: number; readonly total: number; readonly ip: string; readonly port: number; readonly status: string };

export interface ScanDeps {
  readonly resolver?: Resolver;
  readonly probe?: (target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>;
  readonly enumerate?: (target: ProbeTarget, options: EnumerateOptions) => Promise<EnumerationFacts>;
  readonly now?: () => Date;
  readonly onEvent?: (event: ScanEvent) => void;
}

export const DEFAULTS = {
  port: 25,
  concurrency: 32,
  perHost: 2,
  timeoutMs: 60_000,
  dnsTimeoutMs: 5_000,
  heloName: 'mxready.invalid',
  connectMs: 10_000,
  commandMs: 30_000,
  tlsMs: 30_000,
  graceMs: 5_000,
} as const;

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

/** A handshake was attempted: TLS facts, or a failure in the handshake itself (not a refused STARTTLS). */
function reachedHandshake(result: ProbeResult): boolean {
  return result.tls !== undefined || result.error?.phase === 'tls';
}

/**
 * Adds the enumeration to a probe result; for a server that failed the plain
 * handshake, the enumeration also names the older version it speaks (what the
 * legacy check does without --enumerate).
 */
function withEnumeration(result: ProbeResult, enumeration: EnumerationFacts, minimum: TlsVersionSetting): ProbeResult {
  if (result.status !== 'tls-failed' || result.legacyProtocol) return { ...result, enumeration };
  const older = (['TLSv1.1', 'TLSv1'] as const).filter((v) => tlsVersionRank(v) < tlsVersionRank(minimum) && enumeration.protocols[v] === true);
  return { ...result, enumeration, legacyProtocol: older[0] ?? null };
}

/** probe() never throws; an injected or future one that does costs only its own address. */
function internalErrorProbe(bug: unknown): ProbeResult {
  return unreachedProbe('internal-error', { phase: 'internal', code: 'internal-error', message: bugMessage(bug) });
}

/** A probe that never started because the scan was stopped. */
function notStartedResult(): ProbeResult {
  return unreachedProbe('timeout', { phase: 'connect', code: 'interrupted', message: 'not started: the scan was interrupted' });
}

function wasInterrupted(target: PlannedTarget, results: ReadonlyMap<string, ProbeResult>): boolean {
  return target.mx.some((mx) => mx.addresses.some((a) => a.probeKey !== null && results.get(a.probeKey)?.error?.code === 'interrupted'));
}

/** Phase deadlines: each capped by the probe deadline; the greeting may take all of it (RFC 5321 §4.5.3.2). */
export function phaseTimeouts(probeMs: number): ProbeTimeouts {
  return {
    connectMs: Math.min(DEFAULTS.connectMs, probeMs),
    greetingMs: probeMs,
    commandMs: Math.min(DEFAULTS.commandMs, probeMs),
    tlsMs: Math.min(DEFAULTS.tlsMs, probeMs),
    probeMs,
  };
}

/** Parses "IP", "IP:PORT", "[IPv6]:PORT" (as --resolver and dns.getServers() give them). */
export function parseServerAddress(text: string): DnsServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  let host: string;
  let port = 53;
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(text) !== 0) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    const portText = text.slice(colon + 1);
    if (colon === -1 || isIP(host) !== 4 || !/^\d{1,5}$/.test(portText)) {
      throw new UsageError(`invalid resolver "${text}" (expected IP, IP:PORT or [IPv6]:PORT)`);
    }
    port = Number(portText);
  }
  if (isIP(host) === 0 || port < 1 || port > 65535) {
    throw new UsageError(`invalid resolver "${text}" (expected IP, IP:PORT or [IPv6]:PORT)`);
  }
  return { host, port };
}

function systemResolvers(): DnsServerAddress[] {
  const servers = getServers().map(parseServerAddress);
  if (servers.length === 0) throw new UsageError('no DNS server configured on this system; give one with --resolver');
  return servers;
}

async function resolveTarget(target: Target, resolver: Resolver, port: number): Promise<ResolvedTarget> {
  if (target.kind === 'domain') {
    const resolution = await resolver.resolveDomain(target.domain);
    return {
      input: target.input,
      domain: target.domain,
      kind: 'domain',
      mxSource: resolution.mxSource,
      ...(resolution.error ? { error: resolution.error } : {}),
      notes: resolution.notes,
      port,
      fromDns: true,
      ipLiteral: false,
      hosts: resolution.mx,
    };
  }
  const relayPort = target.port ?? port;
  if (target.isIp) {
    return {
      input: target.input,
      domain: target.host,
      kind: 'host',
      mxSource: 'none',
      notes: [],
      port: relayPort,
      fromDns: false,
      ipLiteral: true,
      hosts: [{ name: target.host, preference: 0, addresses: [target.host] }],
    };
  }
  const host = await resolver.resolveHost(target.host);
  return {
    input: target.input,
    domain: target.host,
    kind: 'host',
    mxSource: 'none',
    ...(host.error && host.addresses.length === 0 ? { error: host.error } : {}),
    notes: [],
    port: relayPort,
    // A relay named by the user is trusted as given, even when its name resolves privately.
    fromDns: false,
    ipLiteral: false,
    hosts: [{ ...host, preference: 0 }],
  };
}

function bugMessage(bug: unknown): string {
  return `mxready bug: ${bug instanceof Error ? `${bug.name}: ${bug.message}` : String(bug)}`;
}

/** A bug while resolving one target stays with that target: it becomes an internal error, the scan goes on. */
function internalErrorTarget(target: Target, port: number, bug: unknown): ResolvedTarget {
  return {
    input: target.input,
    domain: target.kind === 'domain' ? target.domain : target.host,
    kind: target.kind,
    mxSource: 'none',
    error: { code: 'internal-error', message: bugMessage(bug) },
    notes: [],
    port,
    fromDns: true,
    ipLiteral: false,
    hosts: [],
  };
}

/** Runs fn over items with at most `limit` at once, keeping input order in the result. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next;
      next += 1;
      out[index] = await fn(items[index] as T, index);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a positive whole number`);
  return v;
}

/**
 * Scans targets (domains, user@domain, host:port, IP literals) and judges them
 * against the policy. Throws UsageError for invalid input before any traffic;
 * every network outcome is data in the report.
 */
export async function scan(inputs: readonly string[], options: ScanOptions = {}, deps: ScanDeps = {}): Promise<Report> {
  const targets = parseTargets(inputs);
  if (targets.length === 0) throw new UsageError('no targets given');
  if (options.resolvers !== undefined && options.resolvers.length === 0) throw new UsageError('resolvers: give at least one DNS server');
  const policy = options.policy ?? PRESETS.encrypt;
  const port = positive('port', options.port, DEFAULTS.port);
  if (port > 65535) throw new UsageError('port must be 1-65535');
  const concurrency = positive('concurrency', options.concurrency, DEFAULTS.concurrency);
  const perHost = positive('per-host', options.perHost, DEFAULTS.perHost);
  const timeoutMs = positive('timeout', options.timeoutMs, DEFAULTS.timeoutMs);
  const dnsTimeoutMs = positive('dns-timeout', options.dnsTimeoutMs, DEFAULTS.dnsTimeoutMs);
  const now = deps.now ?? (() => new Date());
  const emit = deps.onEvent ?? (() => undefined);
  const startedAt = now().toISOString();
  const stop = options.signal;
  const { cut, dispose: disposeGrace } = graceSignal(stop, options.graceMs ?? DEFAULTS.graceMs);
  // Every in-flight probe listens on the cut signal.
  setMaxListeners(concurrency + 16, cut);

  const dnsClient = deps.resolver ? null : createDnsClient({ servers: options.resolvers ?? systemResolvers(), timeoutMs: dnsTimeoutMs });
  const resolver = deps.resolver ?? createResolver(dnsClient!);
  // Cutting in-flight work ends pending lookups at once (they resolve as errors, reported not-scanned).
  const closeDns = () => dnsClient?.close();
  cut.addEventListener('abort', closeDns, { once: true });
  try {
    let resolvedCount = 0;
    const resolved = await mapLimited(targets, Math.max(concurrency, 8), async (target) => {
      if (stop?.aborted) return null;
      const result = await resolveTarget(target, resolver, port).catch((bug: unknown) => internalErrorTarget(target, port, bug));
      if (cut.aborted) return null;
      resolvedCount += 1;
      emit({ type: 'resolved', done: resolvedCount, total: targets.length });
      return result;
    });
    const complete = resolved.filter((r): r is ResolvedTarget => r !== null);
    const plan = planScan(complete, { allowPrivate: options.allowPrivate ?? false });
    emit({ type: 'planned', probes: plan.probes.length });

    const probeFn = deps.probe ?? defaultProbe;
    const enumerateFn = deps.enumerate ?? defaultEnumerate;
    const probeOptions: ProbeOptions = {
      heloName: options.heloName ?? DEFAULTS.heloName,
      timeouts: phaseTimeouts(timeoutMs),
      minTlsVersion: policy.minTlsVersion,
      trustAnchors: [...rootCertificates, ...(options.extraCa ?? [])],
      // --enumerate tests every version itself: no extra session on top of its budget.
      legacyCheck: (options.legacyCheck ?? true) && versionBelow(policy.minTlsVersion) !== null && options.enumerate !== true,
      // --enumerate tests every version itself.
      checkLegacyAcceptance: policy.forbidLegacyProtocols && options.enumerate !== true,
      ...(options.clientCertificate ? { clientCertificate: options.clientCertificate } : {}),
      signal: cut,
    };
    let probed = 0;
    const plannedByKey = new Map(plan.probes.map((p) => [p.key, p]));
    const scheduler = createScheduler({ concurrency, perHost });
    const results = await scheduler.runAll<ProbeResult>(
      plan.probes.map((p) => ({
        key: p.key,
        address: p.ip,
        run: async () => {
          if (stop?.aborted) return notStartedResult();
          const target: ProbeTarget = { ip: p.ip, port: p.port, sni: p.sni, implicitTls: options.implicitTls === true || p.port === 465 };
          const result = await probeFn(target, probeOptions).catch((bug: unknown) => internalErrorProbe(bug));
          // --enumerate runs in the same per-address slot, one handshake at a time, where TLS was reached.
          if (options.enumerate !== true || !reachedHandshake(result) || cut.aborted) return result;
          const enumeration = await enumerateFn(target, { ...probeOptions, known: result.tls ?? null }).catch(() => undefined);
          return enumeration === undefined ? result : withEnumeration(result, enumeration, policy.minTlsVersion);
        },
      })),
      (key, result) => {
        probed += 1;
        const planned = plannedByKey.get(key);
        emit({ type: 'probed', done: probed, total: plan.probes.length, ip: planned?.ip ?? '', port: planned?.port ?? 0, status: result.status });
      },
    );

    const byInput = new Map(plan.targets.map((t) => [t.input, t]));
    const reports: TargetReport[] = targets.map((target) => {
      const planned = byInput.get(target.input);
      if (!planned || wasInterrupted(planned, results)) {
        return notScannedTarget(target.input, target.kind === 'domain' ? target.domain : target.host, target.kind);
      }
      try {
        return assembleTarget(planned, results, policy);
      } catch (bug) {
        return unassessedTarget(planned.input, planned.domain, planned.kind, { code: 'internal-error', message: bugMessage(bug) });
      }
    });
    return {
      schemaVersion: SCHEMA_VERSION,
      tool: { name: TOOL.name, version: TOOL.version },
      startedAt,
      finishedAt: now().toISOString(),
      policy,
      targets: reports,
      summary: summarize(reports),
    };
  } finally {
    cut.removeEventListener('abort', closeDns);
    disposeGrace();
    dnsClient?.close();
  }
}
