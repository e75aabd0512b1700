/**
 * The interop tier's MTA-STS and TLS-RPT suite (RFC 8461, RFC 8460): the built CLI
 * resolves through the tier's Unbound and fetches policies from a real nginx on
 * 127.0.44.1:443 (test-CA certificates). Each domain is checked against:
 *
 * - `mta-sts-query DOMAIN` (postfix-mta-sts-resolver, a sender's own MTA-STS client),
 *   reading the same resolver (its own resolv.conf in a mount namespace) and trusting
 *   the test CA: NONE ↔ none, VALID ↔ valid with the same id, mode, mx and max_age,
 *   FETCH_ERROR ↔ fetch-error or invalid;
 * - `dig +short TXT _smtp._tls.DOMAIN` through Unbound, parsed here, for TLS-RPT;
 * - nginx's access log per policy host: a redirect's target is never asked, a policy
 *   host on loopback is not contacted without --allow-private.
 *
 * Then honorMtaSts's exit codes.
 */
import { interopVariable, INTEROP_STATE, scanAll } from './env.js';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { digValidated, limited, mtaStsQuery, runCommand, type CommandResult, type MtaStsQuery } from './witnesses.js';

// The report, as far as this suite reads it (src/model/mta-sts.ts, src/model/report.ts)
interface Target {
  readonly domain: string;
  readonly status: string;
  readonly deliverable: boolean | null;
  readonly mtaSts?: { readonly status: string; readonly id?: string; readonly policy?: { mode: string; mx: string[]; maxAge: number }; readonly error?: { code: string } };
  readonly tlsRpt?: { readonly status: string; readonly rua?: readonly string[]; readonly records?: readonly string[] };
  readonly mx: readonly { readonly host: string; readonly mtaSts?: { matched: string | null; deliverable: boolean | null } }[];
  readonly findings: readonly { readonly id: string; readonly severity: string; readonly resultType?: string }[];
}
interface Report {
  readonly targets: readonly Target[];
}

/** lib.sh INTEROP_STS, and what mxready should make of each. */
const STS: readonly { label: string; status: string; code?: string; mx?: unknown; findings: string[] }[] = [
  { label: 'sts-enforce', status: 'valid', mx: { matched: 'pf-modern.mx.interop.test', deliverable: true }, findings: ['mta-sts.valid:info', 'tls-rpt.valid:info'] },
  { label: 'sts-testing', status: 'valid', mx: { matched: '*.mx.interop.test', deliverable: true }, findings: ['mta-sts.valid:info'] },
  { label: 'sts-mismatch', status: 'valid', mx: { matched: null, deliverable: false }, findings: ['mta-sts.mx-mismatch:warn', 'mta-sts.valid:info'] },
  { label: 'sts-redirect', status: 'fetch-error', code: 'http-status', findings: ['mta-sts.fetch-error:warn'] },
  { label: 'sts-large', status: 'fetch-error', code: 'too-large', findings: ['mta-sts.fetch-error:warn'] },
  { label: 'sts-down', status: 'fetch-error', code: 'connect-failed', findings: ['mta-sts.fetch-error:warn'] },
  { label: 'sts-bogus', status: 'fetch-error', code: 'servfail', findings: ['mta-sts.fetch-error:warn'] },
  { label: 'rpt-bad', status: 'none', findings: ['tls-rpt.invalid:warn'] },
  { label: 'rpt-dup', status: 'none', findings: ['tls-rpt.invalid:warn'] },
  { label: 'pf-modern', status: 'none', findings: [] },
];

const RESULT_TYPES: Readonly<Record<string, string>> = {
  'mta-sts.fetch-error': 'sts-policy-fetch-error',
  'mta-sts.webpki-invalid': 'sts-webpki-invalid',
  'mta-sts.policy-invalid': 'sts-policy-invalid',
  'mta-sts.mx-mismatch': 'validation-failure',
};

const zone = (): string => interopVariable('MXREADY_INTEROP_ZONE');
const domainOf = (label: string): string => `${label}.${zone()}`;
const show = (run: CommandResult): string => `$ ${run.command}  (exit ${run.code})\n${run.stdout}${run.stderr}`.slice(0, 4000);
/** Requests nginx logged for one policy host. */
const requests = (label: string): number => {
  try {
    return readFileSync(`${interopVariable('MXREADY_INTEROP_NGINX')}/log/${label}.log`, 'utf8').split('\n').filter((l) => l.trim() !== '').length;
  } catch {
    return 0;
  }
};

/** A TLS-RPT record as the test reads dig's answer: exactly one v=TLSRPTv1 record with mailto:/https: rua URIs. */
function rptFromDig(strings: readonly string[]): { status: string; rua?: string[] } {
  const records = strings.filter((s) => s.startsWith('v=TLSRPTv1'));
  if (records.length !== 1) return { status: 'none' };
  const rua = /(?:^|;)\s*rua=([^;]*)/.exec(records[0] ?? '')?.[1]?.split(',').map((u) => u.trim());
  if (rua === undefined || rua.some((u) => !/^(mailto:\S+@\S+|https:\/\/\S+)$/.test(u))) return { status: 'invalid' };
  return { status: 'valid', rua };
}

describe('MTA-STS and TLS-RPT through Unbound, against nginx and mta-sts-query', () => {
  let env: { resolverArg: string; caFile: string };
  let report: Report;
  let scanRun: CommandResult;
  const queries = new Map<string, MtaStsQuery>();
  const rptDig = new Map<string, string[]>();
  let enforceBefore = 0;
  let enforceAfter = 0;

  before(async () => {
    const validator = interopVariable('MXREADY_INTEROP_VALIDATOR');
    const caFile = interopVariable('MXREADY_INTEROP_CA_FILE');
    env = { resolverArg: validator, caFile };
    enforceBefore = requests('sts-enforce');
    ({ run: scanRun, report } = await scanAll<Report>(env, STS.filter((c) => c.label !== 'sts-enforce').map((c) => domainOf(c.label))));
    enforceAfter = requests('sts-enforce');
    const folder = mkdtempSync(`${INTEROP_STATE}/mta-sts-query-`);
    await limited(
      3,
      STS.map((c) => async () => {
        queries.set(c.label, await mtaStsQuery(domainOf(c.label), { resolver: validator, folder: `${folder}/${c.label}`, caFile }));
        const answer = await digValidated(validator, `_smtp._tls.${domainOf(c.label)}`, 'TXT');
        rptDig.set(c.label, answer.records.filter((r) => r.type === 'TXT').map((r) => r.data.replace(/^"|"$/g, '').replace(/" "/g, '')));
      }),
    );
    // sts-enforce last, on its own: the redirect's scan above must not have asked it.
    const enforce = await scanAll<Report>(env, [domainOf('sts-enforce')]);
    report = { targets: [...report.targets, ...enforce.report.targets] };
  });

  const target = (label: string): Target => {
    const t = report.targets.find((x) => x.domain === domainOf(label));
    assert.ok(t, `${domainOf(label)} is in the report`);
    return t;
  };

  it('Then the scan passes (MTA-STS findings are warnings under encrypt)', () => {
    assert.equal(scanRun.code, 0, show(scanRun));
  });

  for (const c of STS) {
    describe(`Given ${c.label}.interop.test`, () => {
      it(`Then mtaSts is ${c.status}${c.code ? ` (${c.code})` : ''} with its MX verdict and findings`, () => {
        const t = target(c.label);
        assert.equal(t.mtaSts?.status, c.status);
        assert.equal(t.mtaSts?.error?.code, c.code);
        assert.deepEqual(t.mx[0]?.mtaSts, c.mx);
        const ids = t.findings.filter((f) => /^(mta-sts|tls-rpt)\./.test(f.id));
        assert.deepEqual(ids.map((f) => `${f.id}:${f.severity}`).sort(), [...c.findings].sort());
        for (const f of ids) assert.equal(f.resultType, RESULT_TYPES[f.id]);
      });

      it('Then mta-sts-query agrees', () => {
        const q = queries.get(c.label);
        assert.ok(q);
        const t = target(c.label);
        if (q.kind === 'NONE') assert.equal(t.mtaSts?.status, 'none', show(q.result));
        else if (q.kind === 'VALID') {
          assert.equal(t.mtaSts?.status, 'valid', show(q.result));
          assert.equal(t.mtaSts?.id, q.id);
          assert.deepEqual(t.mtaSts?.policy, q.policy);
        } else {
          assert.equal(q.kind, 'FETCH_ERROR', show(q.result));
          assert.ok(t.mtaSts?.status === 'fetch-error' || t.mtaSts?.status === 'invalid', t.mtaSts?.status);
        }
      });

      it("Then tlsRpt agrees with dig's TXT records", () => {
        const theirs = rptFromDig(rptDig.get(c.label) ?? []);
        const ours = target(c.label).tlsRpt;
        assert.equal(ours?.status, theirs.status, JSON.stringify(rptDig.get(c.label)));
        if (theirs.rua) assert.deepEqual(ours?.rua, theirs.rua);
      });
    });
  }

  it("Then the redirect's target was never asked: sts-enforce's log did not grow during the scan that met the 301", () => {
    assert.ok(requests('sts-redirect') > 0, 'the redirect host was asked');
    assert.equal(enforceAfter, enforceBefore);
  });

  it('Given no --allow-private Then the policy host on loopback is not contacted (refused-private)', async () => {
    const before = requests('sts-testing');
    const bin = fileURLToPath(new URL('../../../bin/mxready.js', import.meta.url));
    const run = await runCommand(process.execPath, [bin, '--format', 'json', '--resolver', env.resolverArg, '--ca-file', env.caFile, '--no-progress', domainOf('sts-testing')], { timeoutMs: 60_000 });
    const t = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(t?.mtaSts?.error?.code, 'refused-private', show(run));
    assert.equal(requests('sts-testing'), before);
  });

  it('Given a policy file with honorMtaSts Then the enforce mismatch exits 1; testing and enforce matching exit 0', async () => {
    const file = `${mkdtempSync(`${INTEROP_STATE}/policy-`)}/honor.json`;
    writeFileSync(file, JSON.stringify({ honorMtaSts: true }));
    const bad = await scanAll<Report>(env, [domainOf('sts-mismatch')], ['--policy', file]);
    assert.equal(bad.run.code, 1, show(bad.run));
    assert.equal(bad.report.targets[0]?.deliverable, false);
    const good = await scanAll<Report>(env, [domainOf('sts-testing'), domainOf('sts-enforce')], ['--policy', file]);
    assert.equal(good.run.code, 0, show(good.run));
  });
});
