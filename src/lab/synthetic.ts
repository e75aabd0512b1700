/**
 * A synthetic zone for fleet scans: answers computed from the name, no zone
 * held, so a DNS server for a million domains costs no memory. Under ZONE:
 *
 *   dN.ZONE    MX 10 mxK.ZONE, K = N mod hosts
 *   mxK.ZONE   A  syntheticAddress(K): 127.10.x.y, one per host
 *   anything else: NXDOMAIN (AAAA of an mx name: no data)
 *
 * With providers, MX host K is mxK.pP-ZONE instead, P = providerOf(K): provider
 * P holds hosts 2^P - 1 … 2^(P+1) - 2, so a few providers hold most hosts (and
 * domains), as on the internet; each pP-ZONE is a registrable domain of its own.
 *
 * Served by the lab's DNS server (./dns-server.ts) through its behaviour hook.
 */
import dnsPacket from 'dns-packet';
import { startDnsServer, type LabDnsQuery, type LabDnsServer } from './dns-server.js';

export const SYNTHETIC_ZONE = 'fleet.test';

/** The provider of synthetic host K when the zone spreads hosts over providers: floor(log2(K + 1)). */
export function syntheticProvider(k: number): number {
  return Math.floor(Math.log2(k + 1));
}

/** The MX name of synthetic host K. */
export function syntheticMxName(k: number, providers: boolean, zone = SYNTHETIC_ZONE): string {
  return providers ? `mx${k}.p${syntheticProvider(k)}-${zone}` : `mx${k}.${zone}`;
}

/** The address of synthetic MX host K: 127.10.(1 + K div 250).(1 + K mod 250). */
export function syntheticAddress(k: number): string {
  return `127.10.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`;
}

/** The answer to one question, encoded. */
export function syntheticAnswer(query: LabDnsQuery, hosts: number, zone = SYNTHETIC_ZONE, providers = false): Buffer {
  const name = query.name;
  const question = [{ type: query.type as dnsPacket.RecordType, name, class: 'IN' as const }];
  const base = { id: query.id, type: 'response' as const, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: question };
  const suffix = `.${zone}`;
  const label = name.endsWith(suffix) ? name.slice(0, -suffix.length) : null;
  const domain = label === null ? null : /^d(\d{1,9})$/.exec(label);
  const host = providers ? providerHost(name, zone) : label === null ? null : /^mx(\d{1,9})$/.exec(label);
  if (domain && query.type === 'MX') {
    const k = Number(domain[1]) % hosts;
    return dnsPacket.encode({ ...base, answers: [{ type: 'MX', name, ttl: 300, data: { preference: 10, exchange: syntheticMxName(k, providers, zone) } }] });
  }
  if (host && Number(host[1]) < hosts) {
    if (query.type === 'A') return dnsPacket.encode({ ...base, answers: [{ type: 'A', name, ttl: 300, data: syntheticAddress(Number(host[1])) }] });
    return dnsPacket.encode({ ...base, answers: [] });
  }
  if (domain) return dnsPacket.encode({ ...base, answers: [] });
  return dnsPacket.encode({ ...base, flags: base.flags | 3, answers: [] }); // NXDOMAIN
}

/** mxK.pP-ZONE with P the provider of K: the match, K in group 1; null otherwise. */
function providerHost(name: string, zone: string): RegExpExecArray | null {
  const match = /^mx(\d{1,9})\.p(\d{1,2})-(.+)$/.exec(name);
  return match && match[3] === zone && Number(match[2]) === syntheticProvider(Number(match[1])) ? match : null;
}

/** A DNS server on loopback for the synthetic zone with `hosts` MX hosts (spread over providers when asked). */
export function startSyntheticDns(hosts: number, options: { readonly host?: string; readonly zone?: string; readonly providers?: boolean } = {}): Promise<LabDnsServer> {
  return startDnsServer({ records: [], ...(options.host ? { host: options.host } : {}), behaviour: (query) => ({ raw: syntheticAnswer(query, hosts, options.zone, options.providers === true) }) });
}
