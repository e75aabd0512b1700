/**
 * The planner: resolved targets → unique probes. Pure.
 *
 * Every IP:port is probed once per scan and its result shared by every target
 * that reaches it; the SNI is the first host name (in input order, then MX order)
 * that reached the address (an IP-literal relay has none to give). The guard (./guard.ts) decides which addresses
 * are dialled: from DNS, none in a guarded range but private ones with allowPrivate; typed relays, all but the
 * "never" ranges. Addresses arrive canonical (src/net/address.ts), so one IP:port is one probe.
 */
import type { DnssecState, ResolvedMx } from '../dns/types.js';
import type { ErrorInfo, MxSource } from '../model/report.js';
import { isIP } from 'node:net';
import type { ExcludedAddress } from '../model/report.js';
import type { Exclusions } from './exclude.js';
import { refusal } from './guard.js';
import { providerOfMxHost, providerOfRelay } from './provider.js';

export const DEFAULT_MAX_ADDRESSES_PER_MX = 5;

/** One MX entry (or the relay itself) with its addresses, as the planner sees it. */
export interface PlannedMx {
  readonly host: string;
  readonly preference: number;
  /** The port its addresses are probed on (the scan's, or the relay's own). */
  readonly port: number;
  /** The host is an IP literal the user typed (a relay): no name to look anything up by. */
  readonly hostIsIp: boolean;
  /** The DNSSEC state of the host's A/AAAA answers and CNAME hops. */
  readonly dnssec?: DnssecState;
  readonly cname?: readonly string[];
  readonly ipLiteral?: boolean;
  readonly error?: ErrorInfo;
  /** One address family's lookup failed though the other gave addresses. */
  readonly partialError?: ErrorInfo;
  readonly addressesSkipped: number;
  /** Addresses of the other family, left out by -4 or -6. */
  readonly addressesOmitted: number;
  /** Addresses the opt-out list keeps the scan from: never connected to. */
  readonly addressesExcluded: readonly ExcludedAddress[];
  readonly addresses: readonly PlannedAddress[];
}

export interface PlannedAddress {
  readonly ip: string;
  readonly port: number;
  /** The probe key (ip|port) when the address is probed; null when the guard refused it. */
  readonly probeKey: string | null;
  /** Why the guard refused it, when it did. */
  readonly refusedRange?: string;
}

export interface PlannedTarget {
  readonly input: string;
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  readonly mxSource: MxSource;
  /** The DNSSEC state of the MX RRset (implicit MX: the domain's A/AAAA). */
  readonly dnssec?: DnssecState;
  readonly dnsError?: ErrorInfo;
  readonly nullMxMixed: boolean;
  readonly mxSkipped: number;
  readonly mx: readonly PlannedMx[];
}

export interface PlannedProbe {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  readonly sni: string | null;
  /** Whose servers these are, for the per-provider cap: the registrable domain of the MX name that gave the SNI (./provider.ts). */
  readonly provider: string;
}

export interface Plan {
  readonly targets: readonly PlannedTarget[];
  /** Unique probes, in the order they were first needed. */
  readonly probes: readonly PlannedProbe[];
}

/** A resolved target before planning: the resolver's answer in one shape for domains and relays. */
export interface ResolvedTarget {
  readonly input: string;
  readonly domain: string;
  readonly kind: 'domain' | 'host';
  readonly mxSource: MxSource;
  /** The DNSSEC state of the MX RRset, for a domain whose MX lookup answered (or was bogus). */
  readonly dnssec?: DnssecState;
  readonly error?: ErrorInfo;
  readonly nullMxMixed: boolean;
  readonly mxSkipped: number;
  readonly port: number;
  /** Whether the addresses came from DNS (guarded) or were typed by the user (trusted). */
  readonly fromDns: boolean;
  /** True for an IP-literal relay: no SNI, and the name to match is the IP. */
  readonly ipLiteral: boolean;
  readonly hosts: readonly ResolvedMx[];
}

export interface PlanOptions {
  readonly allowPrivate: boolean;
  /** Probe only this address family (-4, -6); the others are counted, not probed. */
  readonly family?: 4 | 6;
  readonly maxAddressesPerMx?: number;
  /** The opt-out list (--exclude): listed MX names and address ranges are never connected to. */
  readonly exclude?: Exclusions;
}

export function probeKey(ip: string, port: number): string {
  return `${ip}|${port}`;
}

export function planScan(resolved: readonly ResolvedTarget[], options: PlanOptions): Plan {
  const limit = options.maxAddressesPerMx ?? DEFAULT_MAX_ADDRESSES_PER_MX;
  const probes = new Map<string, PlannedProbe>();

  const targets = resolved.map((target): PlannedTarget => {
    const mx = target.hosts.map((host): PlannedMx => {
      const inFamily = options.family === undefined ? host.addresses : host.addresses.filter((ip) => isIP(ip) === options.family);
      const kept = inFamily.slice(0, limit);
      const excludedName = !target.ipLiteral && options.exclude?.excludesName(host.name) === true;
      const excluded: ExcludedAddress[] = [];
      const allowed = kept.filter((ip) => {
        const by = excludedName ? 'name' : options.exclude?.excludesAddress(ip) === true ? 'address' : null;
        if (by !== null) excluded.push({ ip, port: target.port, by });
        return by === null;
      });
      const addresses = allowed.map((ip): PlannedAddress => {
        const range = refusal(ip, { fromDns: target.fromDns, allowPrivate: options.allowPrivate });
        if (range !== null) return { ip, port: target.port, probeKey: null, refusedRange: range };
        const key = probeKey(ip, target.port);
        const sni = target.ipLiteral ? null : host.name;
        const existing = probes.get(key);
        if (!existing || (existing.sni === null && sni !== null)) {
          const provider = target.kind === 'host' || target.ipLiteral || host.ipLiteral === true ? providerOfRelay(host.name) : providerOfMxHost(host.name);
          probes.set(key, { key, ip, port: target.port, sni, provider });
        }
        return { ip, port: target.port, probeKey: key };
      });
      return {
        host: host.name,
        preference: host.preference,
        port: target.port,
        hostIsIp: target.ipLiteral,
        ...(host.dnssec ? { dnssec: host.dnssec } : {}),
        ...(host.cname && host.cname.length > 0 ? { cname: host.cname } : {}),
        ...(host.ipLiteral === true ? { ipLiteral: true } : {}),
        ...(host.error ? { error: host.error } : {}),
        ...(host.partialError ? { partialError: host.partialError } : {}),
        addressesSkipped: inFamily.length - kept.length,
        addressesOmitted: host.addresses.length - inFamily.length,
        addressesExcluded: excluded,
        addresses,
      };
    });
    return {
      input: target.input,
      domain: target.domain,
      kind: target.kind,
      mxSource: target.mxSource,
      ...(target.dnssec ? { dnssec: target.dnssec } : {}),
      ...(target.error ? { dnsError: target.error } : {}),
      nullMxMixed: target.nullMxMixed,
      mxSkipped: target.mxSkipped,
      mx,
    };
  });

  return { targets, probes: [...probes.values()] };
}
