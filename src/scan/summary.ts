/** The zERT-style inventory: records aggregated by their significant attributes. Pure. */
import type { ProbeResult } from '../model/probe.js';
import type { InventoryRow, Mark, PolitenessSummary, Summary, TargetReport } from '../model/report.js';
import { meetsMinimum } from '../model/tls-versions.js';
import { recordProtocolMark, rowProtocolMark } from '../policy/marks.js';

function count(into: Record<string, number>, key: string): void {
  into[key] = (into[key] ?? 0) + 1;
}

function keyExchangeKey(probe: ProbeResult): string {
  const kx = probe.tls?.keyExchange;
  if (!kx) return 'none';
  if (kx.group) return `${kx.type ?? 'unknown'} ${kx.group}`;
  if (kx.bits) return `${kx.type ?? 'unknown'} ${kx.bits}`;
  return kx.type ?? 'unknown';
}

function certificateKeyKey(probe: ProbeResult): string {
  const cert = probe.certificate;
  if (!cert) return 'none';
  return cert.keyBits === null ? cert.keyType : `${cert.keyType} ${cert.keyBits}`;
}

/** A connection record: a probe that received an SMTP greeting (refused-private addresses are no connection at all). */
function isRecord(probe: ProbeResult): boolean {
  return probe.banner !== null && probe.status !== 'refused-private';
}

/** A record's four inventory keys, as the `by…` maps key it. */
function inventoryKeys(probe: ProbeResult): Pick<InventoryRow, 'protocol' | 'cipher' | 'keyExchange' | 'certificateKey'> {
  return { protocol: probe.tls?.protocol ?? 'none', cipher: probe.tls?.cipher.standardName ?? 'none', keyExchange: keyExchangeKey(probe), certificateKey: certificateKeyKey(probe) };
}

function rowKey(keys: Pick<InventoryRow, 'protocol' | 'cipher' | 'keyExchange' | 'certificateKey'>): string {
  return `${keys.protocol}\u0000${keys.cipher}\u0000${keys.keyExchange}\u0000${keys.certificateKey}`;
}

/** Rows by addresses, most first, then by their keys. */
function byAddressesThenKeys(a: InventoryRow, b: InventoryRow): number {
  if (a.addresses !== b.addresses) return b.addresses - a.addresses;
  for (const key of ['protocol', 'cipher', 'keyExchange', 'certificateKey'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}

/**
 * The summary built one target at a time (a streaming scan's end line; `summarize`
 * for a whole report). Unique connection records are counted once per IP:port, the
 * first time a target holds one (addresses refused by the guard are no connection and
 * are counted in byStatus only); the only state that grows is the set of those keys.
 */
export class SummaryBuilder {
  readonly #seen = new Set<string>();
  readonly #omittedByHost = new Map<string, number>();
  #targets = 0;
  #pass = 0;
  #fail = 0;
  #error = 0;
  #stuck = 0;
  #probes = 0;
  #tlsProbes = 0;
  #tls12 = 0;
  readonly #byStatus: Record<string, number> = {};
  readonly #byProtocol: Record<string, number> = {};
  readonly #byCipher: Record<string, number> = {};
  readonly #byKeyExchange: Record<string, number> = {};
  readonly #byCertificateKey: Record<string, number> = {};
  readonly #protection: Record<string, number> = { dane: 0, 'mta-sts-enforce': 0, 'mta-sts-testing': 0, opportunistic: 0, none: 0, unknown: 0 };
  /** Inventory rows by their four keys joined with "\u0000". */
  readonly #rows = new Map<string, { protocol: string; cipher: string; keyExchange: string; certificateKey: string; protocolMark?: Mark; addresses: number; domains: number }>();
  #unreached = 0;
  #destinations = 0;
  #encrypted = 0;
  #tls12Destinations = 0;

  add(target: TargetReport): void {
    this.#targets += 1;
    if (target.status === 'pass') this.#pass += 1;
    else if (target.status === 'fail') this.#fail += 1;
    else this.#error += 1;
    if (target.deliverable === false) this.#stuck += 1;
    if (target.kind === 'domain') this.#protection[target.protection?.level ?? 'unknown'] = (this.#protection[target.protection?.level ?? 'unknown'] ?? 0) + 1;
    /** The inventory rows this target has a record in, and whether every record is encrypted / TLS 1.2+. */
    const rows = new Set<string>();
    let encrypted = true;
    let tls12 = true;
    for (const mx of target.mx) {
      if (mx.addressesOmitted) this.#omittedByHost.set(mx.host, mx.addressesOmitted);
      for (const address of mx.addresses) {
        const key = `${address.ip}|${address.port}`;
        if (!this.#seen.has(key)) {
          this.#seen.add(key);
          this.#record(address.probe, address.assessment?.protocol);
        }
        if (!isRecord(address.probe)) continue;
        const protocol = address.probe.tls?.protocol ?? 'none';
        rows.add(rowKey(inventoryKeys(address.probe)));
        if (protocol === 'none') encrypted = false;
        if (protocol === 'none' || !meetsMinimum(protocol, 'TLSv1.2')) tls12 = false;
      }
    }
    if (target.kind !== 'domain' || rows.size === 0) return;
    this.#destinations += 1;
    if (encrypted) this.#encrypted += 1;
    if (tls12) this.#tls12Destinations += 1;
    for (const key of rows) {
      const row = this.#rows.get(key);
      if (row) row.domains += 1;
    }
  }

  #record(probe: ProbeResult, assessed: Mark | null | undefined): void {
    count(this.#byStatus, probe.status);
    if (probe.status === 'refused-private') return;
    this.#probes += 1;
    const protocol = probe.tls?.protocol ?? 'none';
    count(this.#byProtocol, protocol);
    count(this.#byCipher, probe.tls?.cipher.standardName ?? 'none');
    count(this.#byKeyExchange, keyExchangeKey(probe));
    count(this.#byCertificateKey, certificateKeyKey(probe));
    if (protocol !== 'none') {
      this.#tlsProbes += 1;
      if (meetsMinimum(protocol, 'TLSv1.2')) this.#tls12 += 1;
    }
    if (!isRecord(probe)) {
      this.#unreached += 1;
      return;
    }
    const keys = inventoryKeys(probe);
    const key = rowKey(keys);
    const mark = recordProtocolMark(keys.protocol, assessed);
    const row = this.#rows.get(key);
    if (row) {
      row.addresses += 1;
      const protocolMark = rowProtocolMark(row.protocolMark, mark);
      if (protocolMark !== undefined) row.protocolMark = protocolMark;
    } else this.#rows.set(key, { ...keys, ...(mark !== undefined ? { protocolMark: mark } : {}), addresses: 1, domains: 0 });
  }

  result(): Summary {
    return {
      targets: this.#targets,
      pass: this.#pass,
      fail: this.#fail,
      error: this.#error,
      stuck: this.#stuck,
      probes: this.#probes,
      addressesOmitted: [...this.#omittedByHost.values()].reduce((n, v) => n + v, 0),
      tlsProbes: this.#tlsProbes,
      tls12OrBetterProbes: this.#tls12,
      byStatus: { ...this.#byStatus },
      byProtocol: { ...this.#byProtocol },
      byCipher: { ...this.#byCipher },
      byKeyExchange: { ...this.#byKeyExchange },
      byCertificateKey: { ...this.#byCertificateKey },
      protection: { ...this.#protection } as Summary['protection'] & object,
      inventory: [...this.#rows.values()].map((row) => ({ ...row })).sort(byAddressesThenKeys),
      unreached: this.#unreached,
      transparency: {
        destinations: this.#destinations,
        encrypted: this.#encrypted,
        tls12OrBetter: this.#tls12Destinations,
        encryptedShare: this.#destinations === 0 ? 0 : this.#encrypted / this.#destinations,
        tls12OrBetterShare: this.#destinations === 0 ? 0 : this.#tls12Destinations / this.#destinations,
      },
    };
  }
}

/** Summarises a whole report's targets (see SummaryBuilder). */
export function summarize(targets: readonly TargetReport[]): Summary {
  const builder = new SummaryBuilder();
  for (const target of targets) builder.add(target);
  return builder.result();
}

/** The summary's opt-out and politeness fields: targets kept out, and what the scheduler counted. */
export function politenessSummary(
  counters: { readonly retries: number; readonly retriedOk: number; readonly waitedMs: number },
  excludedTargets: number,
  excludedAddresses: number,
): { excluded: number; politeness: PolitenessSummary } {
  return {
    excluded: excludedTargets,
    politeness: { retries: counters.retries, retriedOk: counters.retriedOk, waitedMs: counters.waitedMs, excludedTargets, excludedAddresses },
  };
}

/** Distinct addresses (IP:port) the opt-out list kept planned targets from. */
export function excludedAddresses(targets: readonly { readonly mx: readonly { readonly addressesExcluded: readonly { readonly ip: string; readonly port: number }[] }[] }[]): number {
  const keys = new Set<string>();
  for (const target of targets) for (const mx of target.mx) for (const a of mx.addressesExcluded) keys.add(`${a.ip}|${a.port}`);
  return keys.size;
}

/** Adds up the opt-out and politeness fields of several summaries (merged runs); absent when none has them. */
export function sumPoliteness(summaries: readonly (Pick<Summary, 'excluded' | 'politeness'> | undefined)[]): Pick<Summary, 'excluded' | 'politeness'> {
  const present = summaries.filter((s): s is Pick<Summary, 'excluded' | 'politeness'> => s?.politeness !== undefined || s?.excluded !== undefined);
  if (present.length === 0) return {};
  const total = { retries: 0, retriedOk: 0, waitedMs: 0, excludedTargets: 0, excludedAddresses: 0 };
  let excluded = 0;
  for (const s of present) {
    excluded += s.excluded ?? 0;
    for (const key of Object.keys(total) as (keyof PolitenessSummary)[]) total[key] += s.politeness?.[key] ?? 0;
  }
  return { excluded, politeness: total };
}
