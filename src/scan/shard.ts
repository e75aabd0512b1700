/**
 * Shards: which part of a split scan a target belongs to, so that N machines
 * (a Kubernetes Indexed Job, a CI matrix) each scan a disjoint part of the same
 * input. A target belongs to shard u32(SHA-256(key)[0..3], big-endian) mod N,
 * key as de-duplication writes it (`domain:example.com`); other tools can
 * reproduce the partition from that.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';

export interface Shard {
  /** 0-based, like Kubernetes' JOB_COMPLETION_INDEX. */
  readonly index: number;
  readonly count: number;
}

/** The most shards a scan may be split into. */
export const MAX_SHARDS = 10_000;

/** The shard a target key belongs to among `count`. */
export function shardOf(key: string, count: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

/**
 * `I/N` (0 ≤ I < N ≤ 10,000) or `auto/N`, which takes I from JOB_COMPLETION_INDEX;
 * anything else is a usage error.
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv): Shard {
  const m = /^(auto|\d{1,5})\/(\d{1,5})$/.exec(text.trim());
  if (!m) throw new UsageError(`--shard ${quoted(text)}: expected I/N (0 ≤ I < N ≤ ${MAX_SHARDS}) or auto/N`);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new UsageError(`--shard: N must be 1 to ${MAX_SHARDS}, not ${count}`);
  let index: number;
  if (m[1] === 'auto') {
    const from = env['JOB_COMPLETION_INDEX'];
    if (from === undefined || !/^\d{1,5}$/.test(from.trim())) throw new UsageError(`--shard auto/${count}: JOB_COMPLETION_INDEX is ${from === undefined ? 'unset' : `"${from.slice(0, 20)}", not a whole number`}`);
    index = Number(from.trim());
  } else index = Number(m[1]);
  if (index >= count) throw new UsageError(`--shard ${index}/${count}: the index must be below ${count} (0-based)`);
  return { index, count };
}
