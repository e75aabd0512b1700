/** The bounded caches of a streaming scan: the LRU map and the 64-bit key set. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Lru } from '../../src/model/lru.js';
import { SeenKeys } from '../../src/scan/seen.js';

describe('the LRU map', () => {
  it('Given more entries than its limit Then the least recently used go first, and a hit refreshes an entry', () => {
    const lru = new Lru<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    assert.equal(lru.get('a'), 1); // a is now the most recent
    lru.set('d', 4);
    assert.equal(lru.has('b'), false);
    assert.deepEqual(['a', 'c', 'd'].map((k) => lru.has(k)), [true, true, true]);
    assert.equal(lru.size, 3);
    assert.equal(lru.evictions, 1);
  });
  it('Given peek and replace Then the order does not change', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    assert.equal(lru.peek('a'), 1);
    lru.replace('a', 10);
    lru.replace('z', 0);
    lru.set('c', 3);
    assert.equal(lru.has('a'), false, 'a stayed the oldest');
    assert.equal(lru.has('z'), false, 'replace adds nothing');
  });
  it('Given a limit below 1 Then a RangeError', () => {
    assert.throws(() => new Lru(0), RangeError);
  });
});

describe('the set of target keys', () => {
  it('Given 200,000 distinct keys and each again Then every first add is new, every second is not, within 16 bytes and a bit per key', () => {
    const seen = new SeenKeys();
    for (let i = 0; i < 200_000; i += 1) assert.equal(seen.add(`domain:d${i}.example`), true);
    for (let i = 0; i < 200_000; i += 1) assert.equal(seen.add(`domain:d${i}.example`), false);
    assert.equal(seen.size, 200_000);
    assert.ok(seen.bytes / seen.size <= 21, `${(seen.bytes / seen.size).toFixed(1)} bytes per key`);
  });
});
