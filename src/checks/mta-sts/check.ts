/**
 * The MTA-STS check (RFC 8461), domain scope, domain targets only: the
 * `_mta-sts` TXT record (§3.1) and, when it is valid, the policy fetched from
 * https://mta-sts.DOMAIN/.well-known/mta-sts.txt (§3.3) to addresses from the
 * scan's resolver that the address guard allows, verified against Node's roots
 * and --ca-file, no redirect followed, at most 64 KiB, one deadline of
 * min(--timeout, 30 s). Its facts go on the target as `mtaSts`; its rules judge
 * the policy and, per address, what an MTA-STS sender decides (./rules/).
 */
import type { CheckResult } from '../../model/check.js';
import { capFacts, LIMITS } from '../../model/limits.js';
import type { MtaStsFacts } from '../../model/mta-sts.js';
import { TOOL } from '../../model/version.js';
import { createResolver } from '../../dns/resolver.js';
import { lookupTxt } from '../../dns/txt.js';
import { httpsGet } from '../../http/get.js';
import { verifyingContext } from '../../tls/upgrade.js';
import type { DomainCheck, DomainGather } from '../types.js';
import { MTA_STS_FINDINGS } from './findings.js';
import { parsePolicy, stsTxt } from './rules/parse.js';
import { mtaStsAddressRule, mtaStsDomainRule, mtaStsMxAnnotations } from './rules/rules.js';

export const MTA_STS_CHECK_ID = 'mta-sts';

/** RFC 8461 §3.3: senders may refuse larger policies; 64 KiB is the limit it suggests. */
export const MAX_POLICY_BYTES = 65_536;
/** The fetch's own deadline, under the probe deadline (--timeout). */
export const MAX_FETCH_MS = 30_000;
/** Patterns kept from one policy (a 64 KiB body could hold thousands). */
const MAX_PATTERNS = 1000;

/** Records kept when there is more than one. */
const MAX_RECORDS = 10;
/** A pattern, in characters: a DNS name is at most 253, "*." and one 255. */
const MAX_PATTERN = 255;

/**
 * The facts within the report's limits (README "Hard limits"): the records and
 * messages at most LIMITS.text, each pattern at most MAX_PATTERN, at most
 * MAX_PATTERNS patterns and MAX_RECORDS records, all of it at most
 * LIMITS.facts (the longest list halved first); `truncated` says what was cut.
 */
export function cappedMtaSts(facts: MtaStsFacts): MtaStsFacts {
  return capFacts(facts, { 'policy.mx': MAX_PATTERNS, records: MAX_RECORDS }, (path) => (path.startsWith('policy.mx[') ? MAX_PATTERN : LIMITS.text));
}

/** The policy host's addresses from the scan's resolver, those the guard allows, or why there are none. */
async function policyAddresses(context: DomainGather, host: string): Promise<{ readonly addresses: readonly string[] } | { readonly error: { code: string; message: string } }> {
  const dns = context.io.dns;
  if (dns === undefined) return { error: { code: 'dns-error', message: 'no DNS resolver in this scan' } };
  const resolved = await createResolver(dns).resolveHost(host);
  if (resolved.addresses.length === 0) return { error: resolved.error ?? { code: 'no-address', message: `${host} has no A or AAAA record` } };
  const refusals = resolved.addresses.map((ip) => ({ ip, why: context.io.refuse?.(ip) ?? null }));
  const allowed = refusals.filter((r) => r.why === null).map((r) => r.ip);
  if (allowed.length === 0) {
    const first = refusals[0];
    return { error: { code: 'refused-private', message: `${host} resolves to ${first?.ip ?? '?'} (${first?.why ?? 'guarded'}): not contacted without --allow-private` } };
  }
  return { addresses: allowed };
}

/** What a sender finds for the domain: the TXT record, then the policy. */
export async function discoverMtaSts(context: DomainGather): Promise<MtaStsFacts> {
  const dns = context.io.dns;
  if (dns === undefined) return { status: 'fetch-error', error: { code: 'dns-error', message: 'no DNS resolver in this scan' } };
  const txt = await lookupTxt(dns, `_mta-sts.${context.domain}`);
  if (!txt.ok) return txt.nxdomain ? { status: 'none' } : { status: 'fetch-error', error: txt.error };
  const record = stsTxt(txt.records);
  if (record.kind === 'none') return { status: 'none' };
  if (record.kind === 'invalid') return { status: 'none', records: record.records, error: { code: 'txt-invalid', message: `the _mta-sts TXT record is not usable: ${record.reason}` } };
  const used = { record: record.record, id: record.id };
  const host = `mta-sts.${context.domain}`;
  const where = await policyAddresses(context, host);
  if ('error' in where) return { status: 'fetch-error', ...used, error: where.error };
  const fetched = await httpsGet({
    host,
    addresses: where.addresses,
    port: context.mtaStsPort,
    path: '/.well-known/mta-sts.txt',
    secureContext: verifyingContext(context.options.trustAnchors),
    timeoutMs: Math.min(context.options.timeouts.probeMs, MAX_FETCH_MS),
    maxBytes: MAX_POLICY_BYTES,
    mediaType: 'text/plain',
    userAgent: `${TOOL.name}/${TOOL.version}`,
    signal: context.signal,
  });
  if (!fetched.ok) return { status: 'fetch-error', ...used, error: fetched.error };
  const parsed = parsePolicy(fetched.body);
  if (!parsed.ok) return { status: 'invalid', ...used, error: { code: 'policy-invalid', message: parsed.reason } };
  return { status: 'valid', ...used, policy: parsed.policy };
}

export const mtaStsCheck: DomainCheck = {
  id: MTA_STS_CHECK_ID,
  scope: 'domain',
  inTarget: 'mtaSts',
  description: 'MTA-STS (RFC 8461): the _mta-sts TXT record and the policy served over validated HTTPS; which MX hosts it admits',
  findings: MTA_STS_FINDINGS,
  rules: { domain: [mtaStsDomainRule], address: [mtaStsAddressRule], annotateMx: mtaStsMxAnnotations },
  runsAt: (depth) => depth.mtaSts !== false,
  gather: async (context): Promise<CheckResult> => {
    if (context.kind !== 'domain') return { status: 'not-run', reason: 'a relay has no MTA-STS policy (domain targets only)' };
    return { status: 'completed', facts: cappedMtaSts(await discoverMtaSts(context)) };
  },
};
