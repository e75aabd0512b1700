/**
 * Walks the checks registry over a plan: address checks once per unique IP:port
 * (one after the other, inside that address's scheduler slot), MX checks once
 * per MX host name, domain checks once per target. A check that throws costs
 * only its own result (status error); a probe that never started because the
 * scan was stopped is recorded as such.
 */
import type { AddressCheck, Check, CheckIo, DomainCheck, MxCheck } from '../checks/registry.js';
import { STARTTLS_CHECK_ID } from '../checks/registry.js';
import type { CheckResult, Depth } from '../model/check.js';
import { describeBug } from '../model/errors.js';
import type { ProbeResult } from '../model/probe.js';
import type { SessionOptions } from '../smtp/session.js';
import { unreachedProbe } from './assemble.js';
import type { Plan, PlannedProbe, PlannedTarget } from './plan.js';
import type { ConnectionRate } from './rate.js';
import { createScheduler, type Job, type Outcome } from './scheduler.js';

export type Results = Readonly<Record<string, CheckResult>>;

/** A second per-address slot for an address whose job is running, if one is free now (its release), else null. */
export type SecondLane = (address: string) => (() => void) | null;

export interface GatherSettings {
  readonly checks: readonly Check[];
  readonly options: SessionOptions;
  readonly io: CheckIo;
  readonly depth: Depth;
  /** Record each session's dialogue (--trace). */
  readonly trace: boolean;
  /** No new work starts once it aborts (the first interrupt). */
  readonly stop?: AbortSignal;
  /** In-flight work is cut when it aborts (the grace period after an interrupt). */
  readonly cut: AbortSignal;
  readonly concurrency: number;
  readonly perHost: number;
  /** Probes at once per provider (registrable domain of the MX name); 0: no cap. */
  readonly perProvider: number;
  /** New SMTP connections per second over the scan; null: no limit. */
  readonly rate: ConnectionRate | null;
  /** Attempts after a probe's first when it ended in a way worth another try. */
  readonly retries: number;
  /** Before the first retry, doubled for each next one (±20 %). */
  readonly retryDelayMs: number;
  readonly implicitTls: boolean;
  /** The port MTA-STS policies are fetched from (443). */
  readonly mtaStsPort: number;
  /** After each address's checks, with the STARTTLS check's status. */
  readonly onAddress?: (probe: PlannedProbe, status: string) => void;
}

/** What every check's context holds, whatever its scope. */
function shared(settings: GatherSettings) {
  return { options: settings.options, io: settings.io, depth: settings.depth, trace: settings.trace, signal: settings.cut };
}

/** A check's gather that throws is a bug confined to its result. */
async function safely(check: Check, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (bug) {
    return { status: 'error', error: { code: 'internal-error', message: `${check.id}: ${describeBug(bug)}`, phase: 'internal' } };
  }
}

function runs(check: Check, depth: Depth): boolean {
  return check.gather !== undefined && (check.runsAt?.(depth) ?? true);
}

/** The STARTTLS check's result for a probe that never started because the scan was stopped. */
function notStarted(): CheckResult {
  return { status: 'completed', facts: unreachedProbe('timeout', { phase: 'connect', code: 'interrupted', message: 'not started: the scan was interrupted' }) };
}

/** The address checks a scan at this depth runs, in registry order. */
export function addressChecks(settings: GatherSettings): AddressCheck[] {
  return settings.checks.filter((c): c is AddressCheck => c.scope === 'address' && runs(c, settings.depth));
}

/** The MX checks a scan at this depth runs, in registry order. */
export function mxChecks(settings: GatherSettings): MxCheck[] {
  return settings.checks.filter((c): c is MxCheck => c.scope === 'mx' && runs(c, settings.depth));
}

/** The status of the STARTTLS check's facts in an address's results. */
export function probeStatusOf(results: Results): string {
  return (results[STARTTLS_CHECK_ID]?.facts as ProbeResult | undefined)?.status ?? 'internal-error';
}

/** Every address check at one IP:port, in registry order, each seeing the results before it. */
export async function gatherAddress(probe: PlannedProbe, checks: readonly AddressCheck[], settings: GatherSettings, secondLane?: SecondLane): Promise<Results> {
  const results: Record<string, CheckResult> = {};
  const target = { ip: probe.ip, port: probe.port, sni: probe.sni, implicitTls: settings.implicitTls || probe.port === 465 };
  const stopped = settings.stop?.aborted === true;
  for (const check of checks) {
    if (check.id === STARTTLS_CHECK_ID && stopped) {
      results[check.id] = notStarted();
      continue;
    }
    if (check.id !== STARTTLS_CHECK_ID && (stopped || settings.cut.aborted)) {
      results[check.id] = { status: 'not-run', reason: 'the scan was interrupted' };
      continue;
    }
    const context = { target, ...shared(settings), prior: { ...results }, ...(secondLane !== undefined ? { secondLane: () => secondLane(probe.ip) } : {}) };
    results[check.id] = await safely(check, () => (check.gather as NonNullable<AddressCheck['gather']>)(context));
  }
  return results;
}

/** 4xx replies to the greeting or EHLO that say "not now" (RFC 5321 §4.2.5, §3.8): worth another try later. */
const TRANSIENT_REPLIES = new Set([421, 450, 451, 452, 454]);

/** Whether a probe ended in a way another attempt later may not: a transient refusal before STARTTLS, a refused connection, one closed before a greeting. */
export function worthRetrying(probe: ProbeResult): boolean {
  switch (probe.status) {
    case 'smtp-rejected':
      return (probe.error?.phase === 'greeting' || probe.error?.phase === 'ehlo') && TRANSIENT_REPLIES.has(probe.error.reply?.code ?? 0);
    case 'connection-refused':
      return true;
    case 'connection-closed':
      return probe.banner === null;
    default:
      return false;
  }
}

function starttlsFacts(results: Results): ProbeResult | undefined {
  return results[STARTTLS_CHECK_ID]?.facts as ProbeResult | undefined;
}

/** The scheduler that address checks run under: the global, per-address and per-provider limits, the rate, retries and back-off. */
export function addressScheduler(settings: GatherSettings) {
  return createScheduler({
    concurrency: settings.concurrency,
    perHost: settings.perHost,
    perProvider: settings.perProvider,
    rate: settings.rate,
    retries: settings.retries,
    retryDelayMs: settings.retryDelayMs,
    ...(settings.stop ? { stop: settings.stop } : {}),
  });
}

/** One address's checks as a scheduler job: each attempt with its own connections (under the rate), retried while the probe asks for it. */
export function addressJob(probe: PlannedProbe, checks: readonly AddressCheck[], settings: GatherSettings, secondLane?: SecondLane): Job<Results> {
  const rate = settings.rate;
  return {
    key: probe.key,
    address: probe.ip,
    provider: probe.provider,
    run: () => gatherAddress(probe, checks, rate === null ? settings : { ...settings, io: { ...settings.io, connect: rate.connector(settings.io.connect, settings.cut) } }, secondLane),
    retryable: (results) => {
      const facts = starttlsFacts(results);
      return facts !== undefined && worthRetrying(facts);
    },
    ok: (results) => starttlsFacts(results)?.status === 'ok',
    interrupted: () => ({ [STARTTLS_CHECK_ID]: notStarted() }),
  };
}

/** An address's results with the number of attempts on its STARTTLS facts (absent when one). */
export function withAttempts(outcome: Outcome<Results>): Results {
  const facts = starttlsFacts(outcome.value);
  if (outcome.attempts <= 1 || facts === undefined) return outcome.value;
  const starttls = outcome.value[STARTTLS_CHECK_ID] as CheckResult;
  return { ...outcome.value, [STARTTLS_CHECK_ID]: { ...starttls, facts: { ...facts, attempts: outcome.attempts } } };
}

/** Address checks for every planned probe, under the scheduler's limits. Keyed by probe key. */
export async function gatherAddresses(plan: Plan, settings: GatherSettings, scheduler = addressScheduler(settings)): Promise<Map<string, Results>> {
  const checks = addressChecks(settings);
  const byKey = new Map(plan.probes.map((p) => [p.key, p]));
  const out = new Map<string, Results>();
  await scheduler.runAll<Results>(
    plan.probes.map((p) => addressJob(p, checks, settings, scheduler.tryHold)),
    (key, outcome) => {
      const results = withAttempts(outcome);
      out.set(key, results);
      const probe = byKey.get(key);
      if (probe) settings.onAddress?.(probe, probeStatusOf(results));
    },
  );
  return out;
}

/** Runs fn over items with at most `limit` at once, keeping input order in the result. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
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

/** The key of an MX host's results: its name and the port its addresses are probed on. */
export function mxKey(host: string, port: number): string {
  return `${host}|${port}`;
}

/** MX checks once per MX host name and port (of domains and relays alike). Keyed by mxKey. */
export async function gatherMxHosts(targets: readonly PlannedTarget[], settings: GatherSettings): Promise<Map<string, Results>> {
  const checks = mxChecks(settings);
  const out = new Map<string, Results>();
  if (checks.length === 0) return out;
  const hosts = new Map<string, PlannedTarget['mx'][number]>();
  for (const target of targets) for (const mx of target.mx) if (!hosts.has(mxKey(mx.host, mx.port))) hosts.set(mxKey(mx.host, mx.port), mx);
  await mapLimited([...hosts], settings.concurrency, async ([key, mx]) => {
    out.set(key, await gatherMxHost(mx, checks, settings));
  });
  return out;
}

/** Every MX check for one MX host name and port, in registry order. */
export async function gatherMxHost(mx: PlannedTarget['mx'][number], checks: readonly MxCheck[], settings: GatherSettings): Promise<Results> {
  const results: Record<string, CheckResult> = {};
  const context = {
    host: mx.host,
    port: mx.port,
    hostIsIp: mx.hostIsIp,
    ...(mx.dnssec ? { dnssec: mx.dnssec } : {}),
    ...(mx.cname ? { cname: mx.cname } : {}),
    ...shared(settings),
  };
  for (const check of checks) {
    if (settings.stop?.aborted === true) break;
    results[check.id] = await safely(check, () => (check.gather as NonNullable<MxCheck['gather']>)(context));
  }
  return results;
}

/** Domain checks once per target. Keyed by the target's input. */
export async function gatherDomains(targets: readonly PlannedTarget[], settings: GatherSettings): Promise<Map<string, Results>> {
  const checks = settings.checks.filter((c): c is DomainCheck => c.scope === 'domain' && runs(c, settings.depth));
  const out = new Map<string, Results>();
  if (checks.length === 0) return out;
  await mapLimited(targets, settings.concurrency, async (target) => {
    const context = { domain: target.domain, kind: target.kind, mtaStsPort: settings.mtaStsPort, ...shared(settings) };
    // The target's own lookup got no answer in time: its DNS servers are not asked again for the policy records
    // (each lookup would wait out every attempt of --dns-timeout too).
    const silent = target.dnsError?.code === 'dns-timeout';
    // Domain checks do not read each other's results: they run at once, their results in registry order.
    const gathered = await Promise.all(
      checks.map(async (check): Promise<readonly [string, CheckResult] | null> => {
        if (settings.stop?.aborted === true) return null;
        if (silent) return [check.id, { status: 'not-run', reason: `the DNS servers did not answer ${target.domain}'s own lookup in time (dns-timeout); not asked again` }];
        return [check.id, await safely(check, () => (check.gather as NonNullable<DomainCheck['gather']>)(context))];
      }),
    );
    out.set(target.input, Object.fromEntries(gathered.filter((entry) => entry !== null)));
  });
  return out;
}
