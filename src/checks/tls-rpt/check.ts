/**
 * The TLS-RPT check (RFC 8460), domain scope, domain targets only: the
 * `_smtp._tls` TXT record and where it asks senders to report. Its facts go on
 * the target as `tlsRpt`.
 */
import type { CheckResult } from '../../model/check.js';
import { capText, LIMITS, type Truncated } from '../../model/limits.js';
import type { TlsRptFacts } from '../../model/mta-sts.js';
import { lookupTxt } from '../../dns/txt.js';
import type { DomainCheck, DomainGather } from '../types.js';
import { TLS_RPT_FINDINGS } from './findings.js';
import { rptTxt } from './rules/parse.js';
import { tlsRptDomainRule } from './rules/rules.js';

export const TLS_RPT_CHECK_ID = 'tls-rpt';

/** The record as a sender reads it. */
export async function discoverTlsRpt(context: DomainGather): Promise<TlsRptFacts> {
  const dns = context.io.dns;
  if (dns === undefined) return { status: 'lookup-failed', error: { code: 'dns-error', message: 'no DNS resolver in this scan' } };
  const txt = await lookupTxt(dns, `_smtp._tls.${context.domain}`);
  if (!txt.ok) return txt.nxdomain ? { status: 'none' } : { status: 'lookup-failed', error: txt.error };
  const record = rptTxt(txt.records);
  switch (record.kind) {
    case 'none':
      return { status: 'none' };
    case 'duplicate':
      return { status: 'none', records: record.records, error: { code: 'tls-rpt-invalid', message: `${record.records.length} records start with "v=TLSRPTv1"` } };
    case 'invalid':
      return { status: 'invalid', record: record.record, error: { code: 'tls-rpt-invalid', message: record.reason } };
    case 'valid':
      return { status: 'valid', record: record.record, rua: record.rua };
  }
}

function capped(facts: TlsRptFacts): TlsRptFacts {
  const cuts: Truncated = {};
  return {
    ...facts,
    ...(facts.record !== undefined ? { record: capText(facts.record, LIMITS.text, 'record', cuts) } : {}),
    ...(facts.records !== undefined ? { records: facts.records.slice(0, 10).map((r, i) => capText(r, LIMITS.text, `records[${i}]`, cuts)) } : {}),
    ...(facts.rua !== undefined ? { rua: facts.rua.slice(0, 100).map((u, i) => capText(u, LIMITS.text, `rua[${i}]`, cuts)) } : {}),
    ...(facts.error !== undefined ? { error: { ...facts.error, message: capText(facts.error.message, LIMITS.text, 'error.message', cuts) } } : {}),
  };
}

export const tlsRptCheck: DomainCheck = {
  id: TLS_RPT_CHECK_ID,
  scope: 'domain',
  inTarget: 'tlsRpt',
  description: 'TLS-RPT (RFC 8460): the _smtp._tls TXT record and where senders report TLS failures',
  findings: TLS_RPT_FINDINGS,
  rules: { domain: [tlsRptDomainRule] },
  runsAt: (depth) => depth.tlsRpt !== false,
  gather: async (context): Promise<CheckResult> => {
    if (context.kind !== 'domain') return { status: 'not-run', reason: 'a relay has no TLS-RPT record (domain targets only)' };
    return { status: 'completed', facts: capped(await discoverTlsRpt(context)) };
  },
};
