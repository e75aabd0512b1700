/**
 * A target's DNS text within one budget: MX hosts reached through long CNAME
 * chains keep each chain whole while the target's chains fit LIMITS.facts, and
 * past it each keeps its last name, `truncated.cname` saying how long it was;
 * the dns.mx.cname message names a long chain by its ends.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS } from '../../src/model/limits.js';
import { PRESETS } from '../../src/policy/presets.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { reportFrom } from '../helpers/checks.js';
import { okProbe } from '../helpers/factories.js';

const label = (c: string) => c.repeat(60);
const longName = (i: number, j: number) => `${label('a')}.${label('b')}.${label('c')}.h${i}-${j}.example`;

function target(mxCount: number, chain: number): ResolvedTarget {
  return {
    input: 'chains.example', domain: 'chains.example', kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: Array.from({ length: mxCount }, (_, i) => ({ name: `mx${i}.chains.example`, preference: 10, addresses: ['8.8.8.8'], cname: Array.from({ length: chain }, (_, j) => longName(i, j)) })),
  };
}

function report(mxCount: number, chain: number) {
  const plan = planScan([target(mxCount, chain)], { allowPrivate: false });
  return reportFrom(plan, new Map([['8.8.8.8|25', okProbe()]]), PRESETS.encrypt).targets[0];
}

describe('CNAME chains within a target budget', () => {
  it('Given one MX host behind a chain of three Then the chain is kept whole, and the finding names its ends and length', () => {
    const t = report(1, 3);
    assert.deepEqual(t?.mx[0]?.cname, [longName(0, 0), longName(0, 1), longName(0, 2)]);
    assert.equal(t?.mx[0]?.truncated, undefined);
    const finding = t?.findings.find((f) => f.id === 'dns.mx.cname');
    assert.ok(finding?.message.includes(`${longName(0, 0)} → … → ${longName(0, 2)}, 3 names`), finding?.message);
  });

  it('Given ten MX hosts each behind a chain of eight long names Then each chain keeps its last name, truncated.cname its length, and the chains fit the budget', () => {
    const t = report(10, 8);
    assert.equal(t?.mx.length, 10);
    for (const [i, mx] of (t?.mx ?? []).entries()) {
      assert.deepEqual(mx.cname, [longName(i, 7)]);
      assert.equal(mx.truncated?.['cname'], 8);
    }
    const chars = (t?.mx ?? []).reduce((n, m) => n + (m.cname ?? []).join('').length, 0);
    assert.ok(chars <= LIMITS.facts, String(chars));
    for (const f of t?.findings.filter((x) => x.id === 'dns.mx.cname') ?? []) assert.ok(f.message.length < 600, f.message);
  });
});
