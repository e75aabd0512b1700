/**
 * A synthetic zone for fleet scans: answers computed from the name, no zone
 * held, so a DNS server for a million domains costs no memory. Under ZONE:
 *
 *   dN.ZONE    MX 10 mxK.ZONE, K = N mod hosts
 *   mxK.ZONE   A  syntheticAddress(K): 127.10.x.y, one per host
 *   anything else: NXDOMAIN (AAAA of an mx name: no data)
 *
 * Served by the lab's DNS server (./dns-server.ts) through its behaviour hook.
 */
import dnsPacket from 'dns-packet';
import { startDnsServer, type LabDnsQuery, type LabDnsServer } from './dns-server.js';

export const SYNTHETIC_ZONE = 'fleet.test';

/** The address of synthetic MX host K: 127.10.(1 + K div 250).(1 + K mod 250). */
export function syntheticAddress(k: number): string {
  return `127.10.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`;
}

/** The answer to one question, encoded. */
export function syntheticAnswer(query: LabDnsQuery, hosts: number, zone = SYNTHETIC_ZONE): Buffer {
  const name = query.name;
  const question = [{ type: query.type as dnsPacket.RecordType, name, class: 'IN' as const }];
  const base = { id: query.id, type: 'response' as const, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: question };
  const suffix = `.${zone}`;
  const label = name.endsWith(suffix) ? name.slice(0, -suffix.length) : null;
  const domain = label === null ? null : /^d(\d{1,9})$/.exec(label);
  const host = label === null ? null : /^mx(\d{1,9})$/.exec(label);
  if (domain && query.type === 'MX') {
    const k = Number(domain[1]) % hosts;
    return dnsPacket.encode({ ...base, answers: [{ type: 'MX', name, ttl: 300, data: { preference: 10, exchange: `mx${k}${suffix}` } }] });
  }
  if (host && Number(host[1]) < hosts) {
    if (query.type === 'A') return dnsPacket.encode({ ...base, answers: [{ type: 'A', name, ttl: 300, data: syntheticAddress(Number(host[1])) }] });
    return dnsPacket.encode({ ...base, answers: [] });
  }
  if (domain) return dnsPacket.encode({ ...base, answers: [] });
  return dnsPacket.encode({ ...base, flags: base.flags | 3, answers: [] }); // NXDOMAIN
}

/** A DNS server on loopback for the synthetic zone with `hosts` MX hosts. */
export function startSyntheticDns(hosts: number, options: { readonly host?: string; readonly zone?: string } = {}): Promise<LabDnsServer> {
  return startDnsServer({ records: [], ...(options.host ? { host: options.host } : {}), behaviour: (query) => ({ raw: syntheticAnswer(query, hosts, options.zone) }) });
}
