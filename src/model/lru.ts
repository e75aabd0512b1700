/**
 * A map bounded by entries that forgets the least recently used: a Map keeps
 * insertion order, so a hit moves its entry to the end and the first entry is
 * the oldest. Pure; used by the DNS cache and the streaming scan's caches.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();
  /** Entries dropped to stay within the bound, over the map's life. */
  evictions = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('an LRU needs a limit of at least 1');
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** The value without refreshing its place. */
  peek(key: K): V | undefined {
    return this.#map.get(key);
  }

  /** Replaces a value in place (its recency unchanged); nothing when the key is absent. */
  replace(key: K, value: V): void {
    if (this.#map.has(key)) this.#map.set(key, value);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    while (this.#map.size > this.limit) {
      const oldest = this.#map.keys().next().value as K;
      this.#map.delete(oldest);
      this.evictions += 1;
    }
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }
}
