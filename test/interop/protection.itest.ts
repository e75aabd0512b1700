/**
 * The interop tier's effective-protection suite: for each domain, the expected
 * protection of every MX host, the destination's level and whether mail is delivered
 * under it are computed here from the witnesses alone, with the rules README.md gives
 * (DANE first, then MTA-STS enforce, testing, opportunistic, none; the weakest host
 * decides), and compared with mxready's:
 *
 * - the MX hosts and their addresses: `dig +dnssec` through Unbound;
 * - DANE per host: `posttls-finger -c -l dane '[HOST]'` (Matched DANE → a usable record
 *   matched; num=65 → usable records, none matched; "unsupported TLSA certificate usage"
 *   alone → unusable records only; "Host not found" → the lookup failed);
 * - MTA-STS: `mta-sts-query DOMAIN` (the policy, its mode and mx patterns);
 * - reached: a raw SMTP greeting; the handshake, trust and name: `openssl s_client`
 *   (and `openssl x509 -checkhost`).
 *
 * The witnesses decide the facts; the rules are only applied on top.
 */
import { interopVariable, INTEROP_STATE, scanAll } from './env.js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { digValidated, limited, mtaStsQuery, opensslNamesHost, posttlsFinger, sClient, smtpTranscript, type MtaStsQuery, type PosttlsFinger } from './witnesses.js';

type Mechanism = 'none' | 'opportunistic' | 'mta-sts-testing' | 'mta-sts-enforce' | 'dane';
const RANK: readonly Mechanism[] = ['none', 'opportunistic', 'mta-sts-testing', 'mta-sts-enforce', 'dane'];

interface HostProtection {
  readonly mechanism: Mechanism;
  readonly authenticated: boolean;
  readonly deliverable: boolean | null;
}
interface Target {
  readonly domain: string;
  readonly protection?: { readonly level: Mechanism; readonly authenticated: boolean; readonly deliverable: boolean | null };
  readonly mx: readonly { readonly host: string; readonly protection?: HostProtection & { reason: string } }[];
}
interface Report {
  readonly targets: readonly Target[];
}

/** Domains of the tier with DANE, MTA-STS, both, one of two MX with DANE, and neither. */
const DOMAINS = [
  'pf-dane-ee', 'pf-dane-bad', 'pf-dane-ta', 'pf-dane-pkix', 'pf-dane-insecure', 'bogus-mx',
  'sts-enforce', 'sts-testing', 'sts-mismatch', 'sts-down', 'sts-redirect', 'sts-dane', 'dane-partial',
  'pf-modern', 'pf-plain', 'fallback', 'pf-expired',
];

/** What the witnesses say of one address. */
interface AddressWitness {
  readonly reached: boolean;
  readonly handshake: boolean;
  /** s_client verified the chain (test CA) and x509 -checkhost names the host. */
  readonly trustedAndNamed: boolean;
}

/** RFC 8461 §4.1, as the test reads it: exact, or "*." and exactly one more label. */
function matches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase().replace(/\.$/, '');
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === h;
  return h.endsWith(p.slice(1)) && !h.slice(0, h.length - p.length + 1).includes('.') && h.length > p.length - 1;
}

/** README's table, applied to one host's witnessed facts. */
function expectedHost(finger: PosttlsFinger, addresses: readonly AddressWitness[], sts: MtaStsQuery, host: string): HostProtection | undefined {
  const out = finger.result.stdout + finger.result.stderr;
  const reached = addresses.some((a) => a.reached);
  const handshake = addresses.some((a) => a.handshake);
  if (finger.matched) return { mechanism: 'dane', authenticated: true, deliverable: true };
  if (finger.noMatchingTlsa) return { mechanism: 'dane', authenticated: true, deliverable: false };
  if (/unsupported TLSA certificate usage/.test(out)) return { mechanism: 'dane', authenticated: false, deliverable: reached ? handshake : null };
  if (sts.kind === 'VALID' && sts.policy?.mode === 'enforce') {
    const matched = sts.policy.mx.some((p) => matches(p, host));
    return { mechanism: 'mta-sts-enforce', authenticated: true, deliverable: reached ? matched && addresses.some((a) => a.handshake && a.trustedAndNamed) : null };
  }
  if (sts.kind === 'VALID' && sts.policy?.mode === 'testing') return { mechanism: 'mta-sts-testing', authenticated: false, deliverable: reached ? true : null };
  if (handshake) return { mechanism: 'opportunistic', authenticated: false, deliverable: true };
  if (reached) return { mechanism: 'none', authenticated: false, deliverable: true };
  return undefined;
}

function expectedLevel(hosts: readonly (HostProtection | undefined)[]): Target['protection'] | undefined {
  const present = hosts.filter((h): h is HostProtection => h !== undefined);
  if (present.length === 0) return undefined;
  const level = present.map((h) => h.mechanism).reduce((a, b) => (RANK.indexOf(b) < RANK.indexOf(a) ? b : a));
  const deliverable = present.some((h) => h.deliverable === true) ? true : present.some((h) => h.deliverable === null) ? null : false;
  return { level, authenticated: present.every((h) => h.authenticated), deliverable };
}

describe('effective protection, from the witnesses', () => {
  let report: Report;
  const expected = new Map<string, { hosts: Map<string, HostProtection | undefined>; level: Target['protection'] | undefined }>();

  before(async () => {
    const validator = interopVariable('MXREADY_INTEROP_VALIDATOR');
    const caFile = interopVariable('MXREADY_INTEROP_CA_FILE');
    const zone = interopVariable('MXREADY_INTEROP_ZONE');
    ({ report } = await scanAll<Report>({ resolverArg: validator, caFile }, DOMAINS.map((d) => `${d}.${zone}`)));
    const folder = mkdtempSync(`${INTEROP_STATE}/protection-`);
    const witnessHost = async (host: string): Promise<{ finger: PosttlsFinger; addresses: AddressWitness[] }> => {
      const finger = await posttlsFinger(`[${host}]`, { resolver: validator, folder: `${folder}/host-${host}` });
      const a = await digValidated(validator, host, 'A');
      const ips = a.records.filter((r) => r.type === 'A').map((r) => r.data);
      const addresses = await Promise.all(
        ips.map(async (ip): Promise<AddressWitness> => {
          const greeting = await smtpTranscript(ip, 25).catch(() => null);
          if (greeting === null || greeting.greetingCode !== 220) return { reached: greeting !== null, handshake: false, trustedAndNamed: false };
          const session = await sClient({ ip, port: 25, sni: host, caFile, offer: 'policy' });
          const leaf = session.chainPem[0];
          const named = leaf !== undefined && (await opensslNamesHost(leaf, host));
          return { reached: true, handshake: session.handshake, trustedAndNamed: session.verifyCode === 0 && named };
        }),
      );
      return { finger, addresses };
    };
    await limited(
      3,
      DOMAINS.map((label) => async () => {
        const domain = `${label}.${zone}`;
        const sts = await mtaStsQuery(domain, { resolver: validator, folder: `${folder}/sts-${label}`, caFile });
        const mx = await digValidated(validator, domain, 'MX');
        const hosts = new Map<string, HostProtection | undefined>();
        for (const record of mx.records.filter((r) => r.type === 'MX')) {
          const host = record.data.split(' ')[1] ?? '';
          const { finger, addresses } = await witnessHost(host);
          hosts.set(host, expectedHost(finger, addresses, sts, host));
        }
        expected.set(domain, { hosts, level: expectedLevel([...hosts.values()]) });
      }),
    );
  });

  for (const label of DOMAINS) {
    it(`Given ${label}.interop.test Then each MX host's protection and the destination's level and deliverable are what the witnesses and the rules say`, () => {
      const zone = interopVariable('MXREADY_INTEROP_ZONE');
      const domain = `${label}.${zone}`;
      const want = expected.get(domain);
      const t = report.targets.find((x) => x.domain === domain);
      assert.ok(want && t, domain);
      for (const [host, protection] of want.hosts) {
        const got: (HostProtection & { reason: string }) | undefined = t.mx.find((m) => m.host === host)?.protection;
        const view: HostProtection | undefined = got === undefined ? undefined : { mechanism: got.mechanism, authenticated: got.authenticated, deliverable: got.deliverable };
        assert.deepEqual(view, protection, `${domain} ${host}: ${got?.reason ?? 'no protection'}`);
      }
      const level = t.protection === undefined ? undefined : { level: t.protection.level, authenticated: t.protection.authenticated, deliverable: t.protection.deliverable };
      assert.deepEqual(level, want.level, domain);
    });
  }

  it('Then the set covers every mechanism, a DANE host beside an opportunistic one, DANE over MTA-STS, and a level nobody can deliver under', () => {
    const levels = new Set([...expected.values()].map((e) => e.level?.level));
    for (const m of RANK) assert.ok(levels.has(m), `no domain at level ${m}`);
    const zone = interopVariable('MXREADY_INTEROP_ZONE');
    assert.deepEqual([...(expected.get(`dane-partial.${zone}`)?.hosts.values() ?? [])].map((h) => h?.mechanism).sort(), ['dane', 'opportunistic']);
    assert.equal(expected.get(`sts-dane.${zone}`)?.level?.level, 'dane');
    assert.equal(expected.get(`sts-mismatch.${zone}`)?.level?.deliverable, false);
  });
});
