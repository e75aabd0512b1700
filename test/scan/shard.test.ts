/** Shards: the partition of target keys (u32 of SHA-256's first 4 bytes, big-endian, mod N) and --shard's grammar. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { UsageError } from '../../src/model/errors.js';
import { parseShard, shardOf } from '../../src/scan/shard.js';

describe('the shard of a key', () => {
  it('Given a key Then the first four bytes of its SHA-256, big-endian, mod N (as another tool would compute it)', () => {
    const key = 'domain:example.com';
    const digest = createHash('sha256').update(key).digest();
    const u32 = ((digest[0] ?? 0) * 2 ** 24) + ((digest[1] ?? 0) << 16) + ((digest[2] ?? 0) << 8) + (digest[3] ?? 0);
    for (const n of [1, 2, 3, 4, 7, 10_000]) assert.equal(shardOf(key, n), u32 % n);
  });
  it('Given 20,000 domain keys and N = 4 Then every shard holds 25 % ± 2 % of them, and each key exactly one shard', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20_000; i += 1) counts[shardOf(`domain:d${i}.fleet.test`, 4)] = (counts[shardOf(`domain:d${i}.fleet.test`, 4)] ?? 0) + 1;
    assert.equal(counts.reduce((a, b) => a + b, 0), 20_000);
    for (const c of counts) assert.ok(Math.abs(c / 20_000 - 0.25) <= 0.02, String(counts));
  });
});

describe('--shard', () => {
  const cases: [string, NodeJS.ProcessEnv, { index: number; count: number } | RegExp][] = [
    ['0/4', {}, { index: 0, count: 4 }],
    ['3/4', {}, { index: 3, count: 4 }],
    ['0/1', {}, { index: 0, count: 1 }],
    ['9999/10000', {}, { index: 9999, count: 10_000 }],
    ['auto/3', { JOB_COMPLETION_INDEX: '2' }, { index: 2, count: 3 }],
    ['4/4', {}, /below 4/],
    ['1/0', {}, /N must be 1 to 10000/],
    ['0/10001', {}, /N must be 1 to 10000/],
    ['-1/4', {}, /expected I\/N/],
    ['a/4', {}, /expected I\/N/],
    ['auto/3', {}, /JOB_COMPLETION_INDEX is unset/],
    ['auto/3', { JOB_COMPLETION_INDEX: 'x' }, /not a whole number/],
    ['auto/3', { JOB_COMPLETION_INDEX: '3' }, /below 3/],
  ];
  for (const [text, env, expected] of cases) {
    it(`Given --shard ${text}${env['JOB_COMPLETION_INDEX'] !== undefined ? ` and JOB_COMPLETION_INDEX=${env['JOB_COMPLETION_INDEX']}` : ''} Then ${expected instanceof RegExp ? `a usage error (${expected.source})` : JSON.stringify(expected)}`, () => {
      if (expected instanceof RegExp) assert.throws(() => parseShard(text, env), (e: unknown) => e instanceof UsageError && expected.test(e.message));
      else assert.deepEqual(parseShard(text, env), expected);
    });
  }
});
