/**
 * The streaming scan: targets are read lazily, each goes through the same
 * pipeline as a batch scan (resolve, plan, the checks of the registry at every
 * scope, assemble, judge) and is written as soon as it is done, in completion
 * order, as NDJSON lines (src/model/ndjson.ts). Memory stays bounded however
 * long the input:
 *
 *   - at most WINDOW targets between read and written (max(256, 4 × concurrency));
 *     the consumer's pace is the pipeline's: nothing new is read while a line waits;
 *   - the DNS cache is an LRU of DNS_CACHE_ENTRIES answers;
 *   - probe results are shared between targets through an LRU of
 *     PROBE_CACHE_ENTRIES addresses (MX checks' results too, by host and port); an
 *     address needed again after its result left is probed again (`reprobed`);
 *   - per-address limiters are dropped when idle; the summary is built one target
 *     at a time;
 *   - de-duplication keeps a 64-bit hash per target (./seen.ts): the only state
 *     that grows with the input.
 */
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { Lru } from '../model/lru.js';
import type { NdjsonEnd, NdjsonHeader, NdjsonLine, NdjsonTarget } from '../model/ndjson.js';
import { SCHEMA_VERSION, type TargetReport } from '../model/report.js';
import { TOOL } from '../model/version.js';
import { judgeTarget } from '../policy/evaluate.js';
import { isIP } from 'node:net';
import { assembleTarget, internalErrorTarget, type GatheredResults } from './assemble.js';
import { addressChecks, addressJob, addressScheduler, gatherDomains, gatherMxHost, mxChecks, mxKey, withAttempts, type Results } from './gather.js';
import { planScan, type PlannedProbe } from './plan.js';
import { resolveConfined } from './resolve.js';
import { dnssecSummary, prepareScan, wasInterrupted, type ScanDeps, type ScanOptions } from './scan.js';
import { SeenKeys } from './seen.js';
import { shardOf, type Shard } from './shard.js';
import { politenessSummary, SummaryBuilder } from './summary.js';
import { parseTarget, targetKey, type Target } from './targets.js';

/** The fewest targets a stream keeps between read and written. */
export const MIN_WINDOW = 256;
/** Addresses (IP:port) whose results a stream keeps for the targets that share them; MX hosts likewise. */
export const PROBE_CACHE_ENTRIES = 20_000;

/** How many targets may be between read and written: max(MIN_WINDOW, 4 × concurrency). */
export function windowFor(concurrency: number): number {
  return Math.max(MIN_WINDOW, 4 * concurrency);
}

export interface StreamOptions extends ScanOptions {
  /** How many distinct targets the input holds, when counted first (the header's `targets`). */
  readonly totalTargets?: number | null;
  /** Scan only this shard's targets; `index` stays the position in the whole de-duplicated input. */
  readonly shard?: Shard;
  /** Targets already done elsewhere (a resumed file holds them): not scanned; their index is still counted. */
  readonly skip?: (key: string) => boolean;
  /** Bounds, for tests and the bench (defaults: the constants above and DNS_CACHE_ENTRIES). */
  readonly probeCacheEntries?: number;
  readonly dnsCacheEntries?: number;
}

interface Finished {
  readonly index: number;
  readonly key: string;
  readonly report: TargetReport | null;
}

/**
 * Scans targets as they are read and yields NDJSON lines: the header, one line
 * per distinct target in completion order, the end line. An invalid target is a
 * UsageError (the CLI checks every line before any traffic). After the stop
 * signal nothing new starts; targets not finished within the grace get no line.
 */
/** A target as read: its text, or its text and where in a targets file it was (the report's `source`). */
export type StreamInput = string | { readonly input: string; readonly source?: { readonly file: string; readonly line: number } };

export async function* scanStream(inputs: AsyncIterable<StreamInput> | Iterable<StreamInput>, options: StreamOptions = {}, deps: ScanDeps = {}): AsyncGenerator<NdjsonLine, void, undefined> {
  const prepared = prepareScan(options, deps, options.dnsCacheEntries !== undefined ? { dnsCacheEntries: options.dnsCacheEntries } : {});
  const { policy, port, concurrency, checks, depth, startedAt, emit, stop, cut, resolver, dnsClient, now } = prepared;
  const window = windowFor(concurrency);
  const scheduler = addressScheduler(prepared.settings);
  const probes = new Lru<string, Promise<Results>>(options.probeCacheEntries ?? PROBE_CACHE_ENTRIES);
  const mxHosts = new Lru<string, Promise<Results>>(options.probeCacheEntries ?? PROBE_CACHE_ENTRIES);
  const probedKeys = new Set<string>();
  const seen = new SeenKeys();
  const summary = new SummaryBuilder();
  const settings = prepared.settings;
  const planOptions = { allowPrivate: options.allowPrivate ?? false, ...(options.family ? { family: options.family } : {}), ...(options.exclude ? { exclude: options.exclude } : {}) };
  /** Distinct addresses the opt-out list kept the scan from, and targets it kept out. */
  const excludedAddresses = new SeenKeys();
  let excludedTargets = 0;
  const address = addressChecks(settings);
  const mx = mxChecks(settings);
  let reprobed = 0;

  /** One address's results, shared through the probe cache; probed again when its result has left it. */
  function probeShared(probe: PlannedProbe): Promise<Results> {
    const cached = probes.get(probe.key);
    if (cached !== undefined) return cached;
    if (probedKeys.has(probe.key)) reprobed += 1;
    probedKeys.add(probe.key);
    const result = scheduler.runJob(addressJob(probe, address, settings, scheduler.tryHold)).then(withAttempts);
    probes.set(probe.key, result);
    return result;
  }

  function mxShared(entry: Parameters<typeof gatherMxHost>[0]): Promise<Results> {
    const key = mxKey(entry.host, entry.port);
    const cached = mxHosts.get(key);
    if (cached !== undefined) return cached;
    const result = gatherMxHost(entry, mx, settings);
    mxHosts.set(key, result);
    return result;
  }

  /** One target through the whole pipeline; null when the scan was cut before it finished. */
  async function one(target: Target): Promise<TargetReport | null> {
    const resolved = await resolveConfined(target, resolver, port);
    if (cut.aborted) return null;
    const plan = planScan([resolved], planOptions);
    const planned = plan.targets[0];
    if (planned === undefined) return null;
    for (const entry of planned.mx) for (const a of entry.addressesExcluded) excludedAddresses.add(`${a.ip}|${a.port}`);
    try {
      const [addresses, hosts, domains] = await Promise.all([
        Promise.all(plan.probes.map(async (p) => [p.key, await probeShared(p)] as const)).then((entries) => new Map(entries)),
        mx.length === 0 ? new Map<string, Results>() : Promise.all(planned.mx.map(async (m) => [mxKey(m.host, m.port), await mxShared(m)] as const)).then((entries) => new Map(entries)),
        gatherDomains(plan.targets, settings),
      ]);
      if (cut.aborted) return null;
      const results: GatheredResults = { checks, capped: new Map(), addresses, mxHosts: hosts, domains };
      const facts = assembleTarget(planned, results);
      if (wasInterrupted(facts)) return null;
      return judgeTarget(facts, policy, { checks, depth, at: startedAt });
    } catch (bug) {
      return internalErrorTarget(planned.input, planned.domain, planned.kind, bug);
    }
  }

  const header: NdjsonHeader = {
    type: 'header',
    schemaVersion: SCHEMA_VERSION,
    tool: { name: TOOL.name, version: TOOL.version },
    startedAt,
    policy,
    depth,
    targets: options.totalTargets ?? null,
    shard: options.shard ? { index: options.shard.index, count: options.shard.count } : null,
  };
  const source = (Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : (inputs as Iterable<StreamInput>)[Symbol.iterator]()) as AsyncIterator<StreamInput> | Iterator<StreamInput>;
  const done: Finished[] = [];
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  stop?.addEventListener('abort', notify);
  cut.addEventListener('abort', notify);
  let read = 0;
  /** Distinct targets of the whole input seen so far: the next one's index. */
  let position = 0;
  let written = 0;
  /** Targets cut before they finished (after an interrupt's grace): no line. */
  let dropped = 0;
  let peak = 0;
  let inputEnded = false;
  try {
    yield header;
    emit({ type: 'targets', read: 0, written: 0, total: options.totalTargets ?? null, inFlight: 0, status: null });
    for (;;) {
      // Read while the window has room and nothing stops the scan.
      while (!inputEnded && stop?.aborted !== true && read - written - dropped < window) {
        const next = await source.next();
        if (next.done === true) {
          inputEnded = true;
          break;
        }
        const item = next.value;
        const target = parseTarget(typeof item === 'string' ? item : item.input);
        const from = typeof item === 'string' ? undefined : item.source;
        if (options.family !== undefined && target.kind === 'host' && target.isIp && isIP(target.host) !== options.family) {
          throw new UsageError(`relay ${quoted(target.input)} is an IPv${options.family === 4 ? 6 : 4} address, and -${options.family} probes only IPv${options.family}`);
        }
        const key = targetKey(target);
        if (!seen.add(key)) continue;
        const index = position;
        position += 1;
        if (options.shard !== undefined && shardOf(key, options.shard.count) !== options.shard.index) continue;
        if (options.skip?.(key) === true) continue;
        if (options.exclude?.excludesTarget(target) === true) {
          excludedTargets += 1;
          continue;
        }
        read += 1;
        peak = Math.max(peak, read - written - dropped);
        void one(target)
          .then((report) => (report === null || from === undefined ? report : { ...report, source: from }))
          .catch((bug: unknown) => internalErrorTarget(target.input, target.kind === 'domain' ? target.domain : target.host, target.kind, bug))
          .then((report) => {
            done.push({ index, key, report });
            notify();
          });
      }
      while (done.length > 0) {
        const finished = done.shift() as Finished;
        if (finished.report === null) {
          dropped += 1;
          continue; // cut before it finished: no line
        }
        written += 1;
        summary.add(finished.report);
        emit({ type: 'targets', read, written, total: options.totalTargets ?? null, inFlight: read - written, status: finished.report.status, waiting: scheduler.waiting });
        const line: NdjsonTarget = { type: 'target', index: finished.index, key: finished.key, target: finished.report };
        yield line;
      }
      const settled = written + dropped;
      const reading = !inputEnded && stop?.aborted !== true;
      // Done when nothing more will be read and every target read has settled (written, or cut: no line).
      if (!reading && read === settled) break;
      // Room in the window again (lines were written meanwhile): read on before waiting.
      if (reading && read - settled < window) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (done.length > 0 || read === written + dropped) notify();
      });
    }
    const notScanned = read - written;
    const dnssec = dnsClient === null ? undefined : dnssecSummary(prepared.servers, dnsClient.stats?.().authenticated ?? 0);
    const polite = politenessSummary(scheduler.counters, excludedTargets, excludedAddresses.size);
    const end: NdjsonEnd = {
      type: 'end',
      finishedAt: now().toISOString(),
      interrupted: stop?.aborted === true,
      written,
      notScanned,
      reprobed,
      summary: { ...summary.result(), ...polite },
      politeness: polite.politeness,
      ...(dnssec ? { dnssec } : {}),
      window: { limit: window, peak },
    };
    yield end;
  } finally {
    stop?.removeEventListener('abort', notify);
    cut.removeEventListener('abort', notify);
    await (source as AsyncIterator<StreamInput>).return?.();
    prepared.dispose();
  }
}
