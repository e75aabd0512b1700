/**
 * The set of targets a streaming scan has read: 64-bit hashes of their keys in
 * an open-addressing table (two Uint32Arrays, linear probing), growing ×2 at 80 %
 * load: 10 to 20 bytes per target (16.8 at 10⁶). The only state of a stream that grows with its
 * input. Two keys with the same 64-bit hash count as one (at 10⁶ targets the
 * odds of any such pair are about 3×10⁻⁸).
 */

/** A 32-bit FNV-1a over UTF-16 code units with a seed, finished with murmur3's fmix32. */
function hash32(text: string, seed: number, prime: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, prime);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A key's 64-bit hash as two 32-bit halves; never (0, 0), which marks an empty slot. */
function hash64(key: string): [number, number] {
  const hi = hash32(key, 0x811c9dc5, 0x01000193);
  const lo = hash32(key, 0x9747b28c, 0x5bd1e995);
  return [hi, hi === 0 && lo === 0 ? 1 : lo];
}

export class SeenKeys {
  #hi: Uint32Array;
  #lo: Uint32Array;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.#hi = new Uint32Array(capacity);
    this.#lo = new Uint32Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes the table holds. */
  get bytes(): number {
    return this.#hi.byteLength + this.#lo.byteLength;
  }

  /** Whether the key (its 64-bit hash) is in the set. */
  has(key: string): boolean {
    const [hi, lo] = hash64(key);
    const slot = this.#slot(hi, lo);
    return this.#hi[slot] !== 0 || this.#lo[slot] !== 0;
  }

  /** Adds the key; true when it was not there yet. */
  add(key: string): boolean {
    const [hi, lo] = hash64(key);
    if (!this.#insert(hi, lo)) return false;
    this.#size += 1;
    if (this.#size * 5 > this.#hi.length * 4) this.#grow();
    return true;
  }

  /** The slot holding (hi, lo), or the empty slot where it would go (linear probing). */
  #slot(hi: number, lo: number): number {
    const mask = this.#hi.length - 1;
    let slot = (lo ^ hi) & mask;
    for (;;) {
      const h = this.#hi[slot] as number;
      const l = this.#lo[slot] as number;
      if ((h === 0 && l === 0) || (h === hi && l === lo)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #insert(hi: number, lo: number): boolean {
    const slot = this.#slot(hi, lo);
    if (this.#hi[slot] !== 0 || this.#lo[slot] !== 0) return false;
    this.#hi[slot] = hi;
    this.#lo[slot] = lo;
    return true;
  }

  #grow(): void {
    const oldHi = this.#hi;
    const oldLo = this.#lo;
    this.#hi = new Uint32Array(oldHi.length * 2);
    this.#lo = new Uint32Array(oldLo.length * 2);
    for (let i = 0; i < oldHi.length; i += 1) {
      const h = oldHi[i] as number;
      const l = oldLo[i] as number;
      if (h !== 0 || l !== 0) this.#insert(h, l);
    }
  }
}
