/** The zERT-style inventory: records aggregated by their significant attributes. Pure. */
import { protectionSummary } from '../policy/protection.js';
import type { ProbeResult } from '../model/probe.js';
import type { Summary, TargetReport } from '../model/report.js';
import { meetsMinimum } from '../model/tls-versions.js';

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

/**
 * Summarises the targets and the unique connection records (one per IP:port;
 * addresses refused by the guard are no connection and are counted in byStatus only).
 */
export function summarize(targets: readonly TargetReport[]): Summary {
  const records = new Map<string, ProbeResult>();
  for (const target of targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const key = `${address.ip}|${address.port}`;
        if (!records.has(key)) records.set(key, address.probe);
      }
    }
  }
  const byStatus: Record<string, number> = {};
  const byProtocol: Record<string, number> = {};
  const byCipher: Record<string, number> = {};
  const byKeyExchange: Record<string, number> = {};
  const byCertificateKey: Record<string, number> = {};
  let probes = 0;
  let tlsProbes = 0;
  let tls12OrBetterProbes = 0;
  for (const probe of records.values()) {
    count(byStatus, probe.status);
    if (probe.status === 'refused-private') continue;
    probes += 1;
    const protocol = probe.tls?.protocol ?? 'none';
    count(byProtocol, protocol);
    count(byCipher, probe.tls?.cipher.standardName ?? 'none');
    count(byKeyExchange, keyExchangeKey(probe));
    count(byCertificateKey, certificateKeyKey(probe));
    if (protocol !== 'none') {
      tlsProbes += 1;
      if (meetsMinimum(protocol, 'TLSv1.2')) tls12OrBetterProbes += 1;
    }
  }
  const omittedByHost = new Map<string, number>();
  for (const target of targets) for (const mx of target.mx) if (mx.addressesOmitted) omittedByHost.set(mx.host, mx.addressesOmitted);
  return {
    targets: targets.length,
    pass: targets.filter((t) => t.status === 'pass').length,
    fail: targets.filter((t) => t.status === 'fail').length,
    error: targets.filter((t) => t.status === 'error').length,
    stuck: targets.filter((t) => t.deliverable === false).length,
    probes,
    addressesOmitted: [...omittedByHost.values()].reduce((n, v) => n + v, 0),
    tlsProbes,
    tls12OrBetterProbes,
    byStatus,
    byProtocol,
    byCipher,
    byKeyExchange,
    byCertificateKey,
    protection: protectionSummary(targets),
  };
}
