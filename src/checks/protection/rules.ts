/**
 * The protection check's rules: over the effective protection derived from the
 * facts (src/policy/protection.ts), what senders that apply the domain's own
 * mechanisms meet (dane.partial, protection.stuck), and the policy's require*
 * knobs, each a gap where it concerns: the host for dane.missing, the whole
 * destination for the others. Domain targets only; relays, null MX and domains
 * whose DNS failed are left alone. A fact the knob needs that was not looked up
 * (--no-dane, --no-mta-sts, --no-tls-rpt) is not measured.
 */
import { NOT_MEASURED, type ProtectionRule, type RuleFinding } from '../../model/check.js';

function notMeasured(domain: string, what: string, flag: string): RuleFinding {
  const message = `${domain}: the policy requires ${what}, but it was not looked up (${flag}, or a report made before it)`;
  return { id: NOT_MEASURED, message, unassessed: { code: 'not-measured', message } };
}

export const protectionRule: ProtectionRule = (target, policy, depth) => {
  if (target.kind !== 'domain' || target.dns.mxSource === 'null' || target.dns.error !== undefined) return [];
  const out: RuleFinding[] = [];
  const level = target.protection;
  const hosts = target.mx.filter((m) => m.protection !== undefined);
  const dane = hosts.filter((m) => m.protection?.mechanism === 'dane');
  if (dane.length > 0 && dane.length < hosts.length) {
    const others = hosts.filter((m) => m.protection?.mechanism !== 'dane').map((m) => `${m.host} (${m.protection?.mechanism ?? '?'})`);
    out.push({ id: 'dane.partial', message: `${target.domain}: ${dane.length} of ${hosts.length} MX hosts are DANE-protected; ${others.join(', ')} are not` });
  }
  if (level !== undefined && (level.level === 'dane' || level.level === 'mta-sts-enforce') && level.deliverable === false) {
    out.push({ id: 'protection.stuck', message: `${target.domain}: protected by ${level.level} and no MX host is deliverable under it: senders that apply it cannot deliver` });
  }
  if (policy.requireDane) {
    if (depth.dane !== true) out.push(notMeasured(target.domain, 'DANE', '--no-dane'));
    else {
      for (const mx of target.mx) {
        const p = mx.protection;
        if (p?.mechanism === 'dane' && p.authenticated) continue;
        const why = p === undefined ? 'nothing reached, no TLSA records' : p.mechanism === 'dane' ? 'its TLSA records are not usable (unauthenticated)' : `it is ${p.mechanism}`;
        out.push({ id: 'dane.missing', message: `${mx.host}: not DANE-protected with authentication (${why})`, host: mx.host });
      }
    }
  }
  if (policy.requireMtaSts) {
    if (depth.mtaSts !== true) out.push(notMeasured(target.domain, 'MTA-STS', '--no-mta-sts'));
    else {
      const sts = target.mtaSts;
      if (sts?.status !== 'valid' || sts.policy?.mode !== 'enforce') {
        const what = sts?.status === 'valid' ? `its policy is in ${sts.policy?.mode ?? '?'} mode` : `its MTA-STS status is ${sts?.status ?? 'none'}`;
        out.push({ id: 'mta-sts.missing', message: `${target.domain}: no valid MTA-STS policy in enforce mode (${what})` });
      } else {
        const rejected = target.mx.filter((m) => m.mtaSts === undefined || m.mtaSts.matched === null || m.mtaSts.deliverable === false).map((m) => m.host);
        if (rejected.length > 0) out.push({ id: 'mta-sts.missing', message: `${target.domain}: its enforce policy does not accept ${rejected.join(', ')}` });
      }
    }
  }
  if (policy.requireDaneOrMtaSts) {
    if (depth.dane !== true || depth.mtaSts !== true) out.push(notMeasured(target.domain, 'DANE or MTA-STS', depth.dane !== true ? '--no-dane' : '--no-mta-sts'));
    else if (level === undefined || (level.level !== 'dane' && level.level !== 'mta-sts-enforce') || !level.authenticated) {
      const what = level === undefined ? 'no MX host has a protection' : `its level is ${level.level}${level.authenticated ? '' : ', unauthenticated'}`;
      out.push({ id: 'protection.missing', message: `${target.domain}: not protected by DANE or MTA-STS enforce with authentication on every MX host (${what})` });
    }
  }
  if (policy.requireTlsRpt) {
    if (depth.tlsRpt !== true) out.push(notMeasured(target.domain, 'TLS-RPT', '--no-tls-rpt'));
    else if (target.tlsRpt?.status !== 'valid') out.push({ id: 'tls-rpt.missing', message: `${target.domain}: no valid TLS-RPT record (${target.tlsRpt?.status ?? 'none'})` });
  }
  return out;
};
