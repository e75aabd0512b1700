/**
 * The DANE check (RFC 7672), MX scope: the TLSA records of each MX host (and
 * relay named by the user) at the port probed, looked up when the host's
 * address records are DNSSEC-secure (§2.2). A secure CNAME chain is asked at
 * its expanded name first, then at the original name (§2.2.2-2.2.3). Its facts
 * go on the MX entry as `tlsa`; its rules judge each address's chain against
 * them (./rules/).
 */
import { createHash } from 'node:crypto';
import type { CheckResult } from '../../model/check.js';
import type { TlsaFacts, TlsaRecord } from '../../model/dane.js';
import { capFacts, LIMITS, textSize } from '../../model/limits.js';
import type { DnsClient, DnsRecord } from '../../dns/types.js';
import type { MxCheck, MxGather } from '../types.js';
import { DANE_FINDINGS } from './findings.js';
import { daneAddressRule, daneAnnotations, daneMxRule } from './rules/rules.js';
import { usability } from './rules/verify.js';

export const DANE_CHECK_ID = 'dane';

function notLookedUp(name: string, message: string): TlsaFacts {
  return { name, status: 'not-looked-up', records: [], error: { code: 'not-looked-up', message } };
}

/** TLSA records of an answer, as the report keeps them. */
function tlsaRecords(answers: readonly DnsRecord[]): TlsaRecord[] {
  return answers
    .filter((r) => r.type === 'TLSA')
    .flatMap((r) => {
      const data = r.data as { usage?: unknown; selector?: unknown; matchingType?: unknown; certificate?: unknown } | null;
      if (data === null || typeof data !== 'object' || !Buffer.isBuffer(data.certificate)) return [];
      const record = { usage: Number(data.usage), selector: Number(data.selector), matchingType: Number(data.matchingType), data: data.certificate.toString('hex') };
      const { usable, reason } = usability(record);
      return [{ ...record, usable, ...(reason !== undefined ? { reason } : {}) }];
    });
}

/** One owner name: records (secure or not), none, or why the lookup failed. */
async function lookup(dns: DnsClient, name: string): Promise<TlsaFacts> {
  const result = await dns.query(name, 'TLSA');
  if (!result.ok) {
    if (result.error.code === 'nxdomain') return { name, status: 'none', records: [] };
    return { name, status: result.bogus === true ? 'bogus' : 'lookup-failed', records: [], error: result.error };
  }
  const records = tlsaRecords(result.answers);
  if (records.length === 0) return { name, status: 'none', records: [] };
  return { name, status: result.authenticated ? 'secure' : 'insecure', records };
}

/** The TLSA RRset a DANE sender would use for this host, or why there is none to use. */
const DATA_PATH = /^records\[\d+\]\.data$/;

/**
 * The TLSA facts within the report's limits (README "Hard limits"), so that one
 * zone shared by many domains cannot multiply itself into the report: at most
 * LIMITS.tlsaRecords records, the usable ones first when some must go (what a
 * DANE sender matches); each record's data at most LIMITS.tlsaData hex
 * characters, a longer one keeping the SHA-256 of the whole data (`dataSha256`,
 * which a record of matching type 0 is compared through); names and messages at
 * most LIMITS.text; all of it at most LIMITS.facts; `truncated` says what was cut.
 * Usability was judged on the whole record before.
 */
export function cappedTlsa(facts: TlsaFacts): TlsaFacts {
  const cut = facts.records.length > LIMITS.tlsaRecords || textSize(facts.records) > LIMITS.facts;
  const ordered = cut ? [...facts.records.filter((r) => r.usable), ...facts.records.filter((r) => !r.usable)] : facts.records;
  const records = ordered.map((r) =>
    r.data.length > LIMITS.tlsaData && r.dataSha256 === undefined ? { ...r, dataSha256: createHash('sha256').update(Buffer.from(r.data, 'hex')).digest('hex') } : r,
  );
  return capFacts({ ...facts, records }, { records: LIMITS.tlsaRecords }, (path) => (DATA_PATH.test(path) ? LIMITS.tlsaData : LIMITS.text));
}

export async function lookupTlsa(context: Pick<MxGather, 'host' | 'port' | 'hostIsIp' | 'dnssec' | 'cname'>, dns: DnsClient | undefined): Promise<TlsaFacts> {
  const owner = (host: string): string => `_${context.port}._tcp.${host}`;
  if (context.hostIsIp) return notLookedUp(owner(context.host), 'an IP-literal relay has no name to look TLSA records up at');
  if (dns === undefined) return notLookedUp(owner(context.host), 'no DNS resolver in this scan');
  if (context.dnssec !== 'secure') {
    const state = context.dnssec ?? 'unknown (the address lookup failed)';
    return notLookedUp(owner(context.host), `the host's address records are not DNSSEC-secure (${state}): senders do not look up TLSA (RFC 7672 §2.2)`);
  }
  const expanded = context.cname?.at(-1);
  if (expanded !== undefined) {
    // RFC 7672 §2.2.2: a secure CNAME chain is asked at the expanded name first, then at the original name.
    const first = await lookup(dns, owner(expanded));
    if (first.status !== 'none') return first;
  }
  return lookup(dns, owner(context.host));
}

export const daneCheck: MxCheck = {
  id: DANE_CHECK_ID,
  scope: 'mx',
  inMx: 'tlsa',
  description: 'DANE (RFC 7672): the TLSA records of each MX host with DNSSEC-secure addresses, matched against the chain each address sent',
  findings: DANE_FINDINGS,
  rules: { address: [daneAddressRule], mx: [daneMxRule], annotate: daneAnnotations },
  runsAt: (depth) => depth.dane !== false,
  gather: async (context): Promise<CheckResult> => ({ status: 'completed', facts: cappedTlsa(await lookupTlsa(context, context.io.dns)) }),
};
