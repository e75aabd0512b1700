/**
 * The interop tier's DANE suite (RFC 7672): the built CLI resolves through a real validating
 * resolver (Unbound, trusting the signed zone interop.test that nsd serves) and probes real
 * Postfix hosts with TLSA records. Each domain's DNSSEC states, TLSA lookup and DANE verdict
 * are checked against:
 *
 * - `dig +dnssec` through the same Unbound (status, AD, the TLSA data);
 * - Postfix's own DANE client, `posttls-finger -c -l dane DOMAIN`, reading the same resolver
 *   (its own resolv.conf in a mount namespace): "Matched DANE EE|TA certificate at depth N",
 *   "Verified", "num=65:no matching DANE TLSA records", "Host not found, try again";
 * - `openssl s_client -dane_tlsa_domain HOST -dane_tlsa_rrdata` for every usable record dig
 *   returns with AD.
 *
 * Then the same names straight from nsd (which never sets AD): everything insecure, no DANE,
 * the stderr note, and the other findings unchanged; and the dane preset's exit codes.
 */
import { interopVariable, INTEROP_STATE, scanAll } from './env.js';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { digValidated, limited, posttlsFinger, sClientDane, type CommandResult, type PosttlsFinger, type ValidatedAnswer } from './witnesses.js';

// ---------------------------------------------------------------------------
// The report, as far as this suite reads it (src/model/dane.ts, src/model/report.ts)

interface TlsaRecord {
  readonly usage: number;
  readonly selector: number;
  readonly matchingType: number;
  readonly data: string;
  readonly usable: boolean;
}
interface ChainCert {
  readonly fingerprintSha256: string;
  readonly spkiSha256?: string;
  readonly issuerIndex?: number | null;
}
interface Address {
  readonly ip: string;
  readonly probe: { readonly status: string; readonly certificate: { readonly chain: readonly ChainCert[] } | null };
  readonly dane?: { readonly status: string; readonly matched?: { usage: number; selector: number; matchingType: number; depth: number } };
}
interface Mx {
  readonly host: string;
  readonly dnssec?: string;
  readonly tlsa?: { readonly name: string; readonly status: string; readonly records: readonly TlsaRecord[] };
  readonly addresses: readonly Address[];
}
interface Target {
  readonly domain: string;
  readonly status: string;
  readonly dns: { readonly dnssec?: string; readonly error?: { readonly code: string } };
  readonly mx: readonly Mx[];
  readonly findings: readonly { readonly id: string; readonly severity: string; readonly resultType?: string }[];
}
interface Report {
  readonly targets: readonly Target[];
  readonly dnssec?: { readonly resolvers: readonly string[]; readonly loopbackOnly: boolean; readonly authenticatedAnswers: number };
}

// ---------------------------------------------------------------------------
// The cases (test/interop/lib.sh INTEROP_DANE builds them; README.md describes them)

interface DaneCase {
  /** The domain LABEL.interop.test. */
  readonly label: string;
  readonly dnssec: 'secure' | 'bogus';
  readonly mxDnssec?: 'secure' | 'bogus';
  readonly tlsa?: 'secure' | 'insecure' | 'none' | 'not-looked-up';
  /** The usable flags of the TLSA records, in the order dig gives them. */
  readonly usable?: readonly boolean[];
  readonly dane?: { readonly status: 'valid' | 'mismatch'; readonly matched?: { usage: number; selector: number; matchingType: number; depth: number } };
  /** The target's dane.* and dnssec.* findings, id:severity (encrypt policy). */
  readonly findings: readonly string[];
  readonly status: 'pass' | 'error';
  /** What posttls-finger says of the domain. */
  readonly finger: 'matched' | 'no-match' | 'no-dane' | 'try-again' | null;
}

const CASES: readonly DaneCase[] = [
  {
    label: 'pf-dane-ee', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'secure', usable: [true],
    dane: { status: 'valid', matched: { usage: 3, selector: 1, matchingType: 1, depth: 0 } },
    findings: ['dane.rollover.single-record:warn', 'dane.valid:info'], status: 'pass', finger: 'matched',
  },
  {
    label: 'pf-dane-bad', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'secure', usable: [true], dane: { status: 'mismatch' },
    findings: ['dane.mismatch:warn', 'dane.rollover.single-record:warn'], status: 'pass', finger: 'no-match',
  },
  {
    label: 'pf-dane-ta', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'secure', usable: [true],
    dane: { status: 'valid', matched: { usage: 2, selector: 0, matchingType: 1, depth: 1 } },
    findings: ['dane.valid:info'], status: 'pass', finger: 'matched',
  },
  {
    label: 'pf-dane-pkix', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'secure', usable: [false],
    findings: ['dane.unusable-records:warn'], status: 'pass', finger: 'no-dane',
  },
  {
    label: 'pf-dane-insecure', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'insecure', usable: [true],
    findings: ['dane.insecure-tlsa-ignored:info'], status: 'pass', finger: 'no-dane',
  },
  { label: 'pf-modern', dnssec: 'secure', mxDnssec: 'secure', tlsa: 'none', findings: [], status: 'pass', finger: 'no-dane' },
  { label: 'bogus', dnssec: 'bogus', findings: ['dnssec.bogus:warn'], status: 'error', finger: 'try-again' },
  { label: 'bogus-mx', dnssec: 'secure', mxDnssec: 'bogus', tlsa: 'not-looked-up', findings: ['dnssec.bogus:warn'], status: 'error', finger: null },
];

/** Domains without TLSA anywhere: the same findings whether the resolver validates or not. */
const PLAIN = ['pf-modern', 'pf-tls12', 'multi', 'fallback', 'nullmx', 'implicit', 'cname', 'nx'];

// ---------------------------------------------------------------------------

const zone = (): string => interopVariable('MXREADY_INTEROP_ZONE');
const domainOf = (label: string): string => `${label}.${zone()}`;
const ids = (t: Target, pattern: RegExp): string[] => t.findings.filter((f) => pattern.test(f.id)).map((f) => `${f.id}:${f.severity}`).sort();
const digest = (hex: string): string => hex.replace(/:/g, '').toLowerCase();

function show(run: CommandResult): string {
  return `$ ${run.command}  (exit ${run.code})\n${run.stdout}${run.stderr}`.slice(0, 4000);
}

describe('DANE and DNSSEC through Unbound, against Postfix', () => {
  let env: { resolverArg: string; caFile: string };
  let validator: string;
  let report: Report;
  let scanRun: CommandResult;
  let direct: Report;
  let directRun: CommandResult;
  const fingers = new Map<string, PosttlsFinger>();
  const tlsaDig = new Map<string, ValidatedAnswer>();

  before(async () => {
    validator = interopVariable('MXREADY_INTEROP_VALIDATOR');
    const caFile = interopVariable('MXREADY_INTEROP_CA_FILE');
    env = { resolverArg: validator, caFile };
    const domains = CASES.map((c) => domainOf(c.label));
    const plain = PLAIN.map(domainOf);
    const [viaUnbound, viaNsd] = await Promise.all([
      scanAll<Report>(env, [...new Set([...domains, ...plain])]),
      scanAll<Report>({ resolverArg: interopVariable('MXREADY_INTEROP_RESOLVER'), caFile }, [...new Set([...domains, ...plain])]),
    ]);
    ({ run: scanRun, report } = viaUnbound);
    ({ run: directRun, report: direct } = viaNsd);
    const folder = mkdtempSync(`${INTEROP_STATE}/posttls-finger-`);
    await limited(
      3,
      CASES.filter((c) => c.finger !== null).map((c) => async () => {
        fingers.set(c.label, await posttlsFinger(domainOf(c.label), { resolver: validator, folder: `${folder}/${c.label}` }));
      }),
    );
    for (const c of CASES) {
      if (c.tlsa === undefined || c.tlsa === 'not-looked-up') continue;
      tlsaDig.set(c.label, await digValidated(validator, `_25._tcp.${c.label}.mx.${zone()}`, 'TLSA'));
    }
  });

  const target = (r: Report, label: string): Target => {
    const t = r.targets.find((x) => x.domain === domainOf(label));
    assert.ok(t, `${domainOf(label)} is in the report`);
    return t;
  };

  it('Then the scan names Unbound, on loopback, with authenticated answers, and stderr has no DNSSEC note', () => {
    // 1: fallback's backup MX has no STARTTLS, the one gap among these domains.
    assert.equal(scanRun.code, 1, show(scanRun));
    assert.deepEqual(report.targets.filter((t) => t.status === 'fail').map((t) => t.domain), [domainOf('fallback')]);
    assert.deepEqual(report.dnssec?.resolvers, [`${validator}:53`]);
    assert.equal(report.dnssec?.loopbackOnly, true);
    assert.ok((report.dnssec?.authenticatedAnswers ?? 0) > 0);
    assert.doesNotMatch(scanRun.stderr, /DNSSEC/);
  });

  for (const c of CASES) {
    describe(`Given ${c.label}.interop.test`, () => {
      it(`Then dns.dnssec is ${c.dnssec}, as dig's AD and status say`, async () => {
        const t = target(report, c.label);
        assert.equal(t.dns.dnssec, c.dnssec);
        assert.equal(t.status, c.status);
        const mx = await digValidated(validator, domainOf(c.label), 'MX');
        if (c.dnssec === 'bogus') {
          assert.equal(mx.status, 'SERVFAIL', mx.output);
          assert.equal(t.dns.error?.code, 'servfail');
          assert.equal((await digValidated(validator, domainOf(c.label), 'MX', { cd: true })).status, 'NOERROR', 'with CD the data is there: bogus, not broken');
        } else {
          assert.equal(mx.authenticated, true, mx.output);
        }
      });

      if (c.mxDnssec !== undefined) {
        it(`Then the MX host's dnssec is ${c.mxDnssec} and its TLSA status ${c.tlsa}`, () => {
          const mx = target(report, c.label).mx[0];
          assert.equal(mx?.dnssec, c.mxDnssec);
          assert.equal(mx?.tlsa?.status, c.tlsa);
          if (c.usable) assert.deepEqual(mx?.tlsa?.records.map((r) => r.usable), c.usable);
        });
      }

      if (tlsaDigExpected(c)) {
        it("Then mxready's TLSA records are dig's, with AD exactly when the status is secure (none: dig has none either)", () => {
          const answer = tlsaDig.get(c.label);
          assert.ok(answer);
          const mx = target(report, c.label).mx[0];
          const ours = (mx?.tlsa?.records ?? []).map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`).sort();
          const theirs = answer.records.filter((r) => r.type === 'TLSA').map((r) => r.data).sort();
          assert.deepEqual(ours, theirs, answer.output);
          if (c.tlsa === 'none') assert.deepEqual(theirs, [], answer.output);
          else assert.equal(answer.authenticated, c.tlsa === 'secure', answer.output);
        });
      }

      it(`Then dane is ${c.dane ? JSON.stringify(c.dane) : 'absent'} on every address`, () => {
        for (const mx of target(report, c.label).mx) for (const a of mx.addresses) assert.deepEqual(a.dane, c.dane);
      });

      it(`Then its DANE and DNSSEC findings are ${c.findings.join(', ') || 'none'}, with their result types`, () => {
        const t = target(report, c.label);
        assert.deepEqual(ids(t, /^(dane|dnssec)\./), [...c.findings].sort());
        for (const f of t.findings) {
          if (['dane.mismatch', 'dane.unusable-records'].includes(f.id)) assert.equal(f.resultType, 'tlsa-invalid');
          if (['dnssec.bogus', 'dane.dnssec-bogus'].includes(f.id)) assert.equal(f.resultType, 'dnssec-invalid');
        }
      });

      if (c.finger !== null) {
        it(`Then posttls-finger -l dane agrees (${c.finger})`, () => {
          const f = fingers.get(c.label);
          assert.ok(f);
          const dane = target(report, c.label).mx[0]?.addresses[0]?.dane;
          const record = target(report, c.label).mx[0]?.tlsa?.records[0];
          switch (c.finger) {
            case 'matched':
              assert.ok(f.matched, show(f.result));
              assert.equal(f.matched.kind, dane?.matched?.usage === 3 ? 'EE' : 'TA');
              assert.equal(f.matched.depth, dane?.matched?.depth);
              assert.equal(f.matched.record, `${record?.usage} ${record?.selector} ${record?.matchingType} ${record?.data}`);
              assert.equal(f.connection, 'Verified', show(f.result));
              break;
            case 'no-match':
              assert.equal(f.noMatchingTlsa, true, show(f.result));
              assert.equal(f.matched, null);
              break;
            case 'no-dane':
              assert.equal(f.matched, null, show(f.result));
              assert.equal(f.noMatchingTlsa, false, show(f.result));
              assert.notEqual(f.connection, null, show(f.result));
              break;
            case 'try-again':
              assert.equal(f.hostNotFoundTryAgain, true, show(f.result));
              break;
          }
        });
      }
    });
  }

  it('Then openssl s_client, given each usable record dig returns with AD, agrees with every dane verdict', async () => {
    for (const c of CASES) {
      const answer = tlsaDig.get(c.label);
      if (answer === undefined || !answer.authenticated) continue;
      const mx = target(report, c.label).mx[0];
      assert.ok(mx);
      for (const rr of answer.records.filter((r) => r.type === 'TLSA')) {
        const usable = mx.tlsa?.records.find((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data}` === rr.data)?.usable;
        if (usable !== true) continue;
        const address: Address | undefined = mx.addresses[0];
        assert.ok(address);
        const s = await sClientDane({ ip: address.ip, host: mx.host, record: rr.data });
        if (address.dane?.status === 'valid') {
          assert.ok(s.matched, show(s.result));
          assert.equal(s.matched.depth, address.dane.matched?.depth);
          assert.equal(s.matched.kind, address.dane.matched?.usage === 3 ? 'EE' : 'TA');
          assert.equal(s.verificationOk, true, show(s.result));
        } else {
          assert.equal(address.dane?.status, 'mismatch');
          assert.equal(s.noMatchingTlsa, true, show(s.result));
        }
      }
    }
  });

  it('Then the chain digests are the TLSA data: the leaf SPKI for 3 1 1, the issuing CA sent at depth 1 for 2 0 1', () => {
    const ee = target(report, 'pf-dane-ee').mx[0];
    assert.equal(ee?.addresses[0]?.probe.certificate?.chain[0]?.spkiSha256, ee?.tlsa?.records[0]?.data);
    const ta = target(report, 'pf-dane-ta').mx[0];
    const chain = ta?.addresses[0]?.probe.certificate?.chain ?? [];
    assert.equal(chain[0]?.issuerIndex, 1);
    assert.equal(digest(chain[1]?.fingerprintSha256 ?? ''), ta?.tlsa?.records[0]?.data);
  });

  it('Given nsd asked directly (no AD) Then everything is insecure, no TLSA is used, no dane, and stderr says so', () => {
    assert.match(directRun.stderr, /^mxready: DNSSEC: no answer was authenticated/m, show(directRun));
    assert.equal(direct.dnssec?.authenticatedAnswers, 0);
    for (const t of direct.targets) {
      if (t.dns.dnssec !== undefined) assert.equal(t.dns.dnssec, 'insecure', t.domain);
      for (const mx of t.mx) {
        if (mx.dnssec !== undefined) assert.equal(mx.dnssec, 'insecure', `${t.domain} ${mx.host}`);
        assert.ok(mx.tlsa === undefined || mx.tlsa.status === 'not-looked-up', `${t.domain} ${mx.host}: ${mx.tlsa?.status}`);
        for (const a of mx.addresses) assert.equal(a.dane, undefined);
      }
      assert.deepEqual(ids(t, /^(dane|dnssec)\./), [], t.domain);
    }
  });

  it('Given nsd asked directly Then domains without TLSA have the same findings and status as through Unbound', () => {
    for (const label of PLAIN) {
      assert.deepEqual(ids(target(direct, label), /./), ids(target(report, label), /./), label);
      assert.equal(target(direct, label).status, target(report, label).status, label);
    }
  });

  it('Given --policy dane Then the mismatching host exits 1 (dane.mismatch is a gap) and the matching ones 0; encrypt exits 0 for both', async () => {
    const bad = await scanAll<Report>(env, [domainOf('pf-dane-bad')], ['--policy', 'dane']);
    assert.equal(bad.run.code, 1, show(bad.run));
    assert.equal(bad.report.targets[0]?.findings.find((f) => f.id === 'dane.mismatch')?.severity, 'fail');
    const good = await scanAll<Report>(env, [domainOf('pf-dane-ee'), domainOf('pf-dane-ta')], ['--policy', 'dane']);
    assert.equal(good.run.code, 0, show(good.run));
    const encrypt = await scanAll<Report>(env, [domainOf('pf-dane-bad'), domainOf('pf-dane-ee')], ['--policy', 'encrypt']);
    assert.equal(encrypt.run.code, 0, show(encrypt.run));
  });
});

function tlsaDigExpected(c: DaneCase): boolean {
  return c.tlsa !== undefined && c.tlsa !== 'not-looked-up';
}
