/**
 * The limits of a check's own facts (capFacts), the TLSA, MTA-STS and TLS-RPT
 * cappers built on it, and DNS names split at unescaped dots only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cappedTlsa } from '../../src/checks/dane/check.js';
import { daneVerdict } from '../../src/checks/dane/rules/verify.js';
import { cappedMtaSts } from '../../src/checks/mta-sts/check.js';
import { cappedTlsRpt } from '../../src/checks/tls-rpt/check.js';
import { nameProblem, presentedLabels } from '../../src/dns/client.js';
import type { TlsaRecord } from '../../src/model/dane.js';
import { capFacts, LIMITS, textSize } from '../../src/model/limits.js';
import type { ProbeResult } from '../../src/model/probe.js';

describe('capFacts', () => {
  it('Given facts within every limit Then they come back as they were, with no truncated', () => {
    const facts = { status: 'valid', record: 'v=TLSRPTv1; rua=mailto:a@b.test', rua: ['mailto:a@b.test'] };
    assert.deepEqual(capFacts(facts, { rua: 100 }), facts);
  });

  it('Given a long text, a long list and control bytes Then each is cut or escaped, and truncated holds the original lengths', () => {
    const out = capFacts({ record: `x\x1b${'r'.repeat(5000)}`, rua: Array.from({ length: 150 }, (_, i) => `mailto:${i}@b.test`) }, { rua: 100 });
    assert.equal(out.record.length, LIMITS.text);
    assert.ok(out.record.startsWith('x\\x1B'));
    // The length of the text as it enters the model, escaped (ESC is the four characters \x1B).
    assert.equal(out.truncated?.['record'], 5005);
    assert.equal(out.truncated?.['rua'], 150);
    assert.ok(out.rua.length <= 100);
  });

  it('Given more text than the budget Then the list with the most text is halved first, and cuts inside dropped items are forgotten', () => {
    const out = capFacts({ error: 'e'.repeat(100), items: Array.from({ length: 40 }, (_, i) => `${i}${'i'.repeat(2000)}`) }, { items: 40 });
    assert.ok(textSize(out) <= LIMITS.facts + LIMITS.text, `${textSize(out)}`);
    assert.equal(out.truncated?.['items'], 40);
    assert.ok(out.items.length >= 1);
    const paths = Object.keys(out.truncated ?? {}).filter((k) => k.startsWith('items['));
    assert.deepEqual(paths, out.items.map((_, i) => `items[${i}]`));
    assert.equal(out.error, 'e'.repeat(100));
  });
});

describe('the TLSA cap', () => {
  const unusable = (i: number): TlsaRecord => ({ usage: 1, selector: 1, matchingType: 1, data: 'ab'.repeat(500 + i), usable: false, reason: 'usage 1 (PKIX-EE)' });
  const der = Buffer.alloc(800, 7).toString('hex');
  const whole: TlsaRecord = { usage: 3, selector: 0, matchingType: 0, data: der, usable: true };

  it('Given 40 unusable records before a usable whole certificate Then the usable one is kept first, its data cut, its SHA-256 kept, and it still matches', () => {
    const facts = cappedTlsa({ name: '_25._tcp.mx.test', status: 'secure', records: [...Array.from({ length: 40 }, (_, i) => unusable(i)), whole] });
    assert.ok(facts.records.length <= LIMITS.tlsaRecords);
    assert.deepEqual([facts.records[0]?.usage, facts.records[0]?.usable], [3, true]);
    assert.ok(facts.records.every((r) => r.data.length <= LIMITS.tlsaData));
    assert.equal(facts.truncated?.['records'], 41);
    assert.equal(facts.truncated?.['records[0].data'], der.length);
    const sha = createHash('sha256').update(Buffer.from(der, 'hex')).digest('hex');
    assert.equal(facts.records[0]?.dataSha256, sha);
    // A chain whose leaf has that digest: the verdict on the cut record is the whole record's.
    const leaf = { fingerprintSha256: sha.toUpperCase().match(/../g)?.join(':') ?? '' };
    const probe = { tls: { protocol: 'TLSv1.3' }, certificate: { chain: [leaf] } } as unknown as ProbeResult;
    assert.equal(daneVerdict(facts, probe, 'mx.test', undefined)?.status, 'valid');
  });

  it('Given a usual set Then it is kept as it is', () => {
    const sha: TlsaRecord = { usage: 3, selector: 1, matchingType: 1, data: 'cd'.repeat(32), usable: true };
    assert.deepEqual(cappedTlsa({ name: '_25._tcp.mx.test', status: 'secure', records: [sha, sha] }), { name: '_25._tcp.mx.test', status: 'secure', records: [sha, sha] });
  });
});

describe('the MTA-STS and TLS-RPT caps', () => {
  it('Given 1,200 long patterns Then the first ones are kept within the budget, and truncated says how many there were', () => {
    const mx = ['mx.a.test', ...Array.from({ length: 1199 }, (_, i) => `*.${i}${'p'.repeat(300)}.test`)];
    const out = cappedMtaSts({ status: 'valid', record: 'v=STSv1; id=1', id: '1', policy: { mode: 'enforce', mx, maxAge: 86400 } });
    assert.equal(out.policy?.mx[0], 'mx.a.test');
    assert.equal(out.truncated?.['policy.mx'], 1200);
    assert.ok((out.policy?.mx ?? []).every((p) => p.length <= 255));
    assert.ok(textSize(out) <= LIMITS.facts + LIMITS.text);
  });

  it('Given twelve TLS-RPT records Then at most ten are kept, and truncated counts twelve', () => {
    const out = cappedTlsRpt({ status: 'none', records: Array.from({ length: 12 }, (_, i) => `v=TLSRPTv1; rua=mailto:${i}@a.test`) });
    assert.ok((out.records ?? []).length <= 10);
    assert.equal(out.truncated?.['records'], 12);
  });
});

describe('DNS names in presentation form', () => {
  const cases: [string, string[]][] = [
    ['mx.example.test', ['mx', 'example', 'test']],
    ['x\\.y.test', ['x\\.y', 'test']],
    ['a\\032b.c', ['a\\032b', 'c']],
    ['a\\\\.b', ['a\\\\', 'b']],
  ];
  for (const [name, labels] of cases) {
    it(`Given ${name} Then its labels are ${labels.join(' | ')}`, () => assert.deepEqual(presentedLabels(name), labels));
  }

  it('Given a label with an escaped dot Then the problem names the whole label', () => {
    assert.equal(nameProblem('x\\.y.test'), `label "x\\.y" is not letters, digits, '-' or '_'`);
    assert.equal(nameProblem('mx.example.test'), undefined);
  });
});
