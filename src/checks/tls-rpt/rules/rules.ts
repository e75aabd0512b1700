/** The TLS-RPT check's rule (RFC 8460): per domain, the record senders report to, or what is wrong with it. */
import type { DomainRule } from '../../../model/check.js';

export const tlsRptDomainRule: DomainRule = (target) => {
  const facts = target.tlsRpt;
  // Nothing to say beside a domain whose own DNS failed (its finding says why it is not assessed).
  if (target.kind !== 'domain' || facts === undefined || target.dns.error !== undefined) return [];
  switch (facts.status) {
    case 'none':
      // The count before the report's limits cut the list (facts.truncated).
      return facts.records !== undefined ? [{ id: 'tls-rpt.invalid', message: `${target.domain}: ${facts.truncated?.['records'] ?? facts.records.length} TLS-RPT records: senders use none` }] : [];
    case 'valid':
      return [{ id: 'tls-rpt.valid', message: `${target.domain}: TLS reports go to ${(facts.rua ?? []).join(', ')}` }];
    case 'invalid':
      return [{ id: 'tls-rpt.invalid', message: `${target.domain}: the TLS-RPT record is malformed: ${facts.error?.message ?? 'invalid'}` }];
    case 'lookup-failed':
      if (facts.error?.code === 'invalid-name') return [{ id: 'dns.name.invalid', message: `${target.domain}: the TLS-RPT lookup of _smtp._tls.${target.domain}: ${facts.error.message}; it is never looked up` }];
      return [{ id: 'tls-rpt.lookup-failed', message: `${target.domain}: the TLS-RPT lookup failed: ${facts.error?.message ?? 'no answer'}` }];
  }
};
