/**
 * The DNS check's rules: what the resolution says about a target (NXDOMAIN,
 * null and implicit MX, aliases, truncation, failed lookups). They read the
 * facts the pipeline's resolution stored in the target and its MX entries.
 */
import type { DomainRule, RuleFinding } from '../../model/check.js';
import { isLookupFailure } from '../../model/errors.js';

const domainErrorRule: DomainRule = (target) => {
  const error = target.dns.error;
  if (!error) return [];
  // Resolver messages usually name the domain already.
  const text = error.message.includes(target.domain) ? error.message : `${target.domain}: ${error.message}`;
  if (error.code === 'nxdomain') return [{ id: 'dns.nxdomain', message: text }];
  if (error.code === 'invalid-name') return [{ id: 'dns.name.invalid', message: `${text}; it is never looked up` }];
  if (error.code === 'no-address' || error.code === 'no-mx-address') return [{ id: 'dns.no-address', message: text }];
  // An MX host's failed lookup is reported per host; the domain-level error only repeats it.
  if (target.mx.some((mx) => mx.error && isLookupFailure(mx.error))) return [];
  return [{ id: 'dns.lookup-failed', message: `${text} (${error.code})` }];
};

const mxSourceRule: DomainRule = (target) => {
  const out: RuleFinding[] = [];
  if (target.dns.mxSource === 'null') out.push({ id: 'dns.null-mx', message: `${target.domain} publishes a null MX: it accepts no mail` });
  if (target.dns.mxSource === 'implicit') out.push({ id: 'dns.implicit-mx', message: `${target.domain} has no MX record; its own address is used` });
  if (target.dns.nullMxMixed === true) {
    out.push({ id: 'dns.null-mx.mixed', message: `${target.domain} publishes a null MX (RFC 7505) beside other MX records; the null entry is ignored` });
  }
  const skipped = target.dns.mxSkipped ?? 0;
  if (skipped > 0) {
    out.push({
      id: 'dns.mx.truncated',
      message: `${target.domain} has ${target.mx.length + skipped} MX hosts; only the ${target.mx.length} most preferred are resolved`,
    });
  }
  return out;
};

/** DNSSEC: the MX RRset, or an MX host's address records, failed validation (the resolver said SERVFAIL, and answered with CD). */
const dnssecBogusRule: DomainRule = (target) => {
  const out: RuleFinding[] = [];
  if (target.dns.dnssec === 'bogus') {
    out.push({ id: 'dnssec.bogus', message: `${target.domain}: the MX lookup failed DNSSEC validation (bogus): validating senders cannot deliver` });
  }
  for (const mx of target.mx) {
    if (mx.dnssec === 'bogus') {
      out.push({ id: 'dnssec.bogus', message: `${mx.host}: its address lookup failed DNSSEC validation (bogus): validating senders cannot reach it`, host: mx.host });
    }
  }
  return out;
};

/** Per MX host, in MX order: the name itself, its aliases, its addresses. */
const mxHostRule: DomainRule = (target) => {
  const out: RuleFinding[] = [];
  for (const mx of target.mx) {
    const host = mx.host;
    if (target.kind === 'domain') {
      if (mx.ipLiteral === true) {
        out.push({ id: 'dns.mx.ip-literal', message: `MX host ${host} looks like an IP address; an MX names a host (RFC 5321 §5.1), so it was looked up as a name`, host });
      }
      if (mx.cname !== undefined) {
        // A long chain is named by its ends (mx[].cname holds it whole): the message stays short however long the chain.
        const chain = mx.cname.length <= 2 ? mx.cname.join(' → ') : `${mx.cname[0]} → … → ${mx.cname.at(-1)}, ${mx.cname.length} names`;
        out.push({ id: 'dns.mx.cname', message: `MX host ${host} is an alias (CNAME → ${chain}); an MX must name a host directly (RFC 2181 §10.3)`, host });
      }
      if (mx.error?.code === 'invalid-name') {
        out.push({ id: 'dns.name.invalid', message: `MX host ${host}: ${mx.error.message}; it is never looked up, dialled or used as SNI`, host });
      } else if (mx.addresses.length === 0 && (mx.addressesOmitted ?? 0) === 0) {
        const why = mx.error?.message ?? ((mx.addressesExcluded?.length ?? 0) > 0 ? 'every address is excluded by the opt-out list' : 'no A or AAAA record');
        out.push({ id: 'dns.mx.no-address', message: `MX host ${host} has no usable address: ${why}`, host });
      }
    } else if (mx.error) {
      const id = mx.error.code === 'invalid-name' ? 'dns.name.invalid' : 'dns.mx.no-address';
      out.push({ id, message: `${host}: ${mx.error.message}`, host });
    }
  }
  for (const mx of target.mx) {
    if (mx.error && isLookupFailure(mx.error)) {
      const reason = { code: mx.error.code, message: `${mx.host}: ${mx.error.message}` };
      out.push({ id: 'dns.lookup-failed', message: `${mx.host}: ${mx.error.message} (${mx.error.code}); its addresses are not assessed`, host: mx.host, unassessed: reason });
    }
    if (mx.partialError) {
      out.push({ id: 'dns.lookup-failed', message: `${mx.host}: ${mx.partialError.message}; only the other family's addresses were probed`, host: mx.host });
    }
    for (const excluded of mx.addressesExcluded ?? []) {
      const where = excluded.ip.includes(':') ? `[${excluded.ip}]:${excluded.port}` : `${excluded.ip}:${excluded.port}`;
      const why = excluded.by === 'name' ? `the opt-out list names ${mx.host}` : 'the opt-out list holds this address';
      out.push({ id: 'address.excluded', message: `${mx.host} ${where}: not connected to: ${why}`, host: mx.host });
    }
    if ((mx.addressesSkipped ?? 0) > 0) {
      out.push({ id: 'dns.addresses.truncated', message: `${mx.host}: ${mx.addressesSkipped} more addresses not probed`, host: mx.host });
    }
  }
  return out;
};

export const dnsRules: readonly DomainRule[] = [domainErrorRule, mxSourceRule, mxHostRule, dnssecBogusRule];
