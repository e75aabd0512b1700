/**
 * The TLS-RPT check (RFC 8460), domain scope, domain targets only: the
 * `_smtp._tls` TXT record and where it asks senders to report. Its facts go on
 * the target as `tlsRpt`.
 */
import type { CheckResult } from '../../model/check.js';
import { capFacts } from '../../model/limits.js';
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

/** Reporting URIs kept (a record could list thousands). */
const MAX_RUA = 100;
/** Records kept when there is more than one. */
const MAX_RECORDS = 10;

/**
 * The facts within the report's limits (README "Hard limits"): the record, each
 * URI and the messages at most LIMITS.text, at most MAX_RUA URIs and
 * MAX_RECORDS records, all of it at most LIMITS.facts; `truncated` says what
 * was cut. The URIs were read from the whole record.
 */
export function cappedTlsRpt(facts: TlsRptFacts): TlsRptFacts {
  return capFacts(facts, { rua: MAX_RUA, records: MAX_RECORDS });
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
    return { status: 'completed', facts: cappedTlsRpt(await discoverTlsRpt(context)) };
  },
};
