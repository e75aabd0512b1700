/**
 * The MTA-STS check's rules (RFC 8461): per domain, the policy's own state (a
 * fetch that failed, a body that does not parse, a malformed TXT record); per
 * address, what an MTA-STS sender decides (§4: the MX host must match a
 * pattern, and in enforce mode present a certificate that is trusted and names
 * it). DANE first (§2): an MX host with usable DNSSEC-secure TLSA records gets
 * no MTA-STS finding. With the policy's honorMtaSts, enforce-mode failures and a
 * policy that cannot be had are gaps; without it, warnings (testing: info).
 */
import { NOT_MEASURED, type AddressRule, type DomainRule, type MxAnnotator, type RuleFinding } from '../../../model/check.js';
import type { ProbeResult } from '../../../model/probe.js';
import type { TlsRptResultType } from '../../../model/report.js';
import { matchingPattern } from './parse.js';

/** Per domain: the policy, or why senders have none. */
export const mtaStsDomainRule: DomainRule = (target, policy, depth) => {
  if (target.kind !== 'domain') return [];
  const facts = target.mtaSts;
  if (facts === undefined) {
    // Looked up and absent (a relay, a lookup that did not run) says nothing; not looked up (--no-mta-sts, a report from before MTA-STS) is not measured.
    if (!policy.honorMtaSts || depth.mtaSts === true || target.dns.error !== undefined) return [];
    const message = `${target.domain}: the policy honors MTA-STS, but its policy was not looked up (--no-mta-sts, or a report made before MTA-STS)`;
    return [{ id: NOT_MEASURED, message, unassessed: { code: 'not-measured', message } }];
  }
  // The domain's own DNS failed (NXDOMAIN, SERVFAIL, bogus): it is not assessed, and that finding says why.
  if (target.dns.error !== undefined) return [];
  const gap = policy.honorMtaSts ? { severity: 'fail' as const } : {};
  switch (facts.status) {
    case 'none':
      return facts.error?.code === 'txt-invalid' ? [{ id: 'mta-sts.txt-invalid', message: `${target.domain}: ${facts.error.message}: senders apply no MTA-STS policy` }] : [];
    case 'valid': {
      const p = facts.policy;
      if (p === undefined) return [];
      const out: RuleFinding[] = [
        { id: 'mta-sts.valid', message: `${target.domain}: MTA-STS policy id ${facts.id ?? '?'}, mode ${p.mode}, max_age ${p.maxAge}, mx ${p.mx.join(', ') || '(none)'}` },
      ];
      if (p.mode === 'none') out.push({ id: 'mta-sts.mode-none', message: `${target.domain}: the MTA-STS policy's mode is none: senders apply no policy` });
      return out;
    }
    case 'fetch-error': {
      // The TXT lookup led to a name that is no host name (a CNAME target with a dot inside a label): reported as for an MX host.
      if (facts.error?.code === 'invalid-name') {
        return [{ id: 'dns.name.invalid', message: `${target.domain}: the MTA-STS lookup of _mta-sts.${target.domain}: ${facts.error.message}; it is never looked up, and senders get no policy`, resultType: 'sts-policy-fetch-error', ...gap }];
      }
      const id = facts.error?.code === 'webpki-invalid' ? 'mta-sts.webpki-invalid' : 'mta-sts.fetch-error';
      return [{ id, message: `${target.domain}: the MTA-STS policy could not be fetched: ${facts.error?.message ?? 'no policy'}`, ...gap }];
    }
    case 'invalid':
      return [{ id: 'mta-sts.policy-invalid', message: `${target.domain}: the MTA-STS policy does not parse: ${facts.error?.message ?? 'invalid'}`, ...gap }];
  }
};

/** Why a matching MX host's certificate fails an MTA-STS sender's check, with the TLS-RPT result type; null when it passes. */
function certificateProblem(probe: ProbeResult): { readonly why: string; readonly resultType: TlsRptResultType } | null {
  const cert = probe.certificate;
  if (probe.tls === undefined || cert === undefined) return null;
  if (cert.validationError === 'CERT_HAS_EXPIRED' || (!cert.trusted && cert.daysRemaining < 0)) return { why: 'its certificate has expired', resultType: 'certificate-expired' };
  if (!cert.trusted) return { why: `its certificate is not trusted (${cert.validationError ?? 'unknown issuer'})`, resultType: 'certificate-not-trusted' };
  if (!cert.hostnameMatch) return { why: 'its certificate does not name it', resultType: 'certificate-host-mismatch' };
  return null;
}

/** Per address: the MX host matches no pattern, or its certificate fails; nothing where DANE applies. */
export const mtaStsAddressRule: AddressRule = (address, policy) => {
  const facts = address.mtaSts;
  const sts = facts?.status === 'valid' ? facts.policy : undefined;
  if (sts === undefined || sts.mode === 'none') return [];
  // DANE first (RFC 8461 §2): usable, secure TLSA records decide for this host.
  if (address.tlsa?.status === 'secure' && address.tlsa.records.some((r) => r.usable)) return [];
  const at = { host: address.host, ip: address.ip, port: address.port };
  const severity = sts.mode === 'testing' ? ('info' as const) : policy.honorMtaSts ? ('fail' as const) : undefined;
  const consequence = sts.mode === 'enforce' ? 'an MTA-STS sender does not deliver here' : 'testing mode: senders only report it';
  const pattern = matchingPattern(sts.mx, address.host);
  if (pattern === null) {
    return [{ id: 'mta-sts.mx-mismatch', message: `${address.host}: matches no mx pattern of the MTA-STS policy (${sts.mx.join(', ')}): ${consequence}`, ...at, ...(severity ? { severity } : {}) }];
  }
  const problem = certificateProblem(address.probe);
  if (problem === null) return [];
  return [
    {
      id: 'mta-sts.certificate-rejected',
      message: `${address.host} [${address.ip}]:${address.port}: matches ${pattern}, but ${problem.why}: ${consequence}`,
      ...at,
      resultType: problem.resultType,
      ...(severity ? { severity } : {}),
    },
  ];
};

/** Per MX entry, under a valid policy in enforce or testing mode: the pattern it matched, and whether a sender delivers there. */
export const mtaStsMxAnnotations: MxAnnotator = (mx, addresses, target) => {
  const facts = target.mtaSts;
  const sts = facts?.status === 'valid' ? facts.policy : undefined;
  if (sts === undefined || sts.mode === 'none' || target.kind !== 'domain') return {};
  const matched = matchingPattern(sts.mx, mx.host);
  const reached = addresses.filter((a) => a.probe.banner !== null);
  if (reached.length === 0) return { mtaSts: { matched, deliverable: null } };
  if (sts.mode === 'testing') return { mtaSts: { matched, deliverable: true } };
  const passes = reached.some((a) => a.probe.tls !== undefined && certificateProblem(a.probe) === null && a.probe.certificate !== undefined);
  return { mtaSts: { matched, deliverable: matched !== null && passes } };
};
