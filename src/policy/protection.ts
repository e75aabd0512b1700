/**
 * Effective protection per MX host and per destination (src/model/protection.ts),
 * pure, over an assembled and annotated target: the TLSA facts and each
 * address's DANE verdict, the MTA-STS policy and each MX entry's verdict, and
 * what each address's probe reached. The first rule that applies decides:
 *
 *   dane             the TLSA RRset is secure, bogus or its lookup failed (DANE first, RFC 8461 §2)
 *   mta-sts-enforce  a valid policy in enforce mode
 *   mta-sts-testing  a valid policy in testing mode
 *   opportunistic    an address completed a TLS handshake
 *   none             an address was reached without TLS
 *
 * A policy in mode none, one that could not be fetched or that does not parse
 * counts as none (RFC 8461 §3.3: without a cached policy, a sender delivers as
 * though there were none). A host none of whose addresses was reached has no
 * protection unless DANE or MTA-STS applies, and then `deliverable` is null
 * (false for a failed TLSA lookup).
 */
import type { MtaStsFacts } from '../model/mta-sts.js';
import { MECHANISMS, type Mechanism, type MxProtection, type TargetProtection } from '../model/protection.js';
import type { MxReport, TargetReport } from '../model/report.js';

const describe = (r: { readonly usage: number; readonly selector: number; readonly matchingType: number }): string => `${r.usage} ${r.selector} ${r.matchingType}`;

/** What a sender that implements DANE and MTA-STS applies to one MX host, or undefined when nothing applies and nothing was reached. */
export function mxProtection(mx: MxReport, mtaSts: MtaStsFacts | undefined): MxProtection | undefined {
  const reached = mx.addresses.filter((a) => a.probe.banner !== null);
  const handshake = reached.some((a) => a.probe.tls !== undefined);
  const tlsa = mx.tlsa;
  if (tlsa !== undefined && (tlsa.status === 'secure' || tlsa.status === 'bogus' || tlsa.status === 'lookup-failed')) {
    if (tlsa.status !== 'secure') {
      const why = tlsa.status === 'bogus' ? 'failed DNSSEC validation' : 'failed';
      return { mechanism: 'dane', mandatory: true, authenticated: false, deliverable: false, reason: `the TLSA lookup at ${tlsa.name} ${why}: DANE senders defer` };
    }
    const usable = tlsa.records.some((r) => r.usable);
    if (!usable) {
      return {
        mechanism: 'dane',
        mandatory: true,
        authenticated: false,
        deliverable: reached.length === 0 ? null : handshake,
        reason: `the TLSA records at ${tlsa.name} are secure and none is usable: TLS required, unauthenticated`,
      };
    }
    const matched = mx.addresses.find((a) => a.dane?.status === 'valid')?.dane?.matched;
    const deliverable = reached.length === 0 ? null : mx.addresses.some((a) => a.dane?.status === 'valid');
    const reason = matched
      ? `TLSA ${describe(matched)} matched at depth ${matched.depth}`
      : deliverable === null
        ? `secure TLSA records at ${tlsa.name}, no address reached`
        : `no usable TLSA record at ${tlsa.name} matched the chain the server sent`;
    return { mechanism: 'dane', mandatory: true, authenticated: true, deliverable, reason };
  }
  const policy = mtaSts?.status === 'valid' ? mtaSts.policy : undefined;
  if (policy?.mode === 'enforce') {
    const verdict = mx.mtaSts;
    const reason =
      verdict?.matched === null || verdict === undefined
        ? 'no enforce pattern matches'
        : verdict.deliverable === false
          ? `pattern ${verdict.matched} matches, and no address presented a trusted certificate naming the host`
          : `pattern ${verdict.matched} matches`;
    return { mechanism: 'mta-sts-enforce', mandatory: true, authenticated: true, deliverable: verdict?.deliverable ?? null, reason };
  }
  if (policy?.mode === 'testing') {
    return { mechanism: 'mta-sts-testing', mandatory: false, authenticated: false, deliverable: reached.length === 0 ? null : true, reason: 'an MTA-STS policy in testing mode: failures are only reported' };
  }
  if (handshake) return { mechanism: 'opportunistic', mandatory: false, authenticated: false, deliverable: true, reason: 'a TLS handshake completed; no DANE or MTA-STS enforce applies' };
  if (reached.length > 0) return { mechanism: 'none', mandatory: false, authenticated: false, deliverable: true, reason: 'reached without TLS: mail goes in plaintext' };
  return undefined;
}

const rank = (m: Mechanism): number => MECHANISMS.indexOf(m);

/** The destination's protection from its hosts', or undefined when no host has one. */
export function targetProtection(hosts: readonly (MxProtection | undefined)[]): TargetProtection | undefined {
  const present = hosts.filter((h): h is MxProtection => h !== undefined);
  if (present.length === 0) return undefined;
  const level = present.reduce((weakest, h) => (rank(h.mechanism) < rank(weakest) ? h.mechanism : weakest), present[0]?.mechanism ?? 'none');
  const counts = Object.fromEntries(MECHANISMS.map((m) => [m, present.filter((h) => h.mechanism === m).length])) as Record<Mechanism, number>;
  const deliverable = present.some((h) => h.deliverable === true) ? true : present.some((h) => h.deliverable === null) ? null : false;
  return {
    level,
    mandatory: present.every((h) => h.mandatory),
    authenticated: present.every((h) => h.authenticated),
    deliverable,
    hosts: counts,
  };
}

/** Protection for a domain target (relays, null MX and DNS failures have none): each MX entry's, and the destination's. */
export function protect(target: TargetReport): { readonly mx: readonly (MxProtection | undefined)[]; readonly target: TargetProtection | undefined } {
  if (target.kind !== 'domain' || target.dns.mxSource === 'null' || target.dns.error !== undefined) return { mx: target.mx.map(() => undefined), target: undefined };
  const mx = target.mx.map((entry) => mxProtection(entry, target.mtaSts));
  return { mx, target: targetProtection(mx) };
}
