/**
 * Bounded, polite concurrency. A job connects to one address; it takes, in this
 * order:
 *
 *   1. its per-address slot (--per-host), and waits out the address's back-off;
 *   2. its provider's slot (--per-provider; the MX name's registrable domain);
 *   3. a global slot (--concurrency);
 *   4. a connection token (--rate), then runs.
 *
 * so a busy address or provider never holds global slots idle. A job whose
 * result is worth another try (a 421 greeting, a refused connection) gives its
 * provider and global slots back, waits --retry-delay (doubled for each next
 * try, ±20 % jitter) while no new connection to its address starts, and goes
 * again, up to --retries times. Results come back keyed, so their order never
 * depends on which probe finished first.
 */
import pLimit from 'p-limit';
import { ConnectionRate } from './rate.js';

export interface SchedulerOptions {
  /** Jobs at once, overall. */
  readonly concurrency: number;
  /** Jobs at once against one IP address (any port). */
  readonly perHost: number;
  /** Jobs at once against one provider; 0: no cap. */
  readonly perProvider?: number;
  /** New connections per second over the whole scan; null or absent: no limit. */
  readonly rate?: ConnectionRate | null;
  /** Attempts after a job's first, when its result is worth another try. */
  readonly retries?: number;
  /** Before the first retry (doubled for each next one), ±20 % jitter. */
  readonly retryDelayMs?: number;
  /** No retry waits on once it aborts: the job ends with its `interrupted` value. */
  readonly stop?: AbortSignal;
  /** [0, 1) for the jitter (Math.random). */
  readonly random?: () => number;
}

export interface Job<T> {
  readonly key: string;
  /** The address the job connects to, for the per-address limit and back-off. */
  readonly address: string;
  /** Whose servers the address belongs to, for the per-provider limit. */
  readonly provider?: string;
  /** One attempt. */
  readonly run: () => Promise<T>;
  /** Whether this result is worth another attempt. */
  readonly retryable?: (result: T) => boolean;
  /** Whether this result is a success (counted in retriedOk when it came after a retry). */
  readonly ok?: (result: T) => boolean;
  /** The result when a waiting retry is cancelled (the scan was stopped). */
  readonly interrupted?: () => T;
}

/** What a job came to: its last attempt's value and how many attempts it took. */
export interface Outcome<T> {
  readonly value: T;
  readonly attempts: number;
}

export interface PolitenessCounters {
  /** Attempts made after a job's first. */
  retries: number;
  /** Jobs whose last attempt, after a retry, was a success. */
  retriedOk: number;
  /** Milliseconds spent in back-off, added up over jobs. */
  waitedMs: number;
}

interface Limited {
  readonly limit: ReturnType<typeof pLimit>;
}

/** Limiters by key, made on first use and dropped when idle, so a fleet scan holds none for addresses it is done with. */
class Limiters {
  readonly #map = new Map<string, Limited>();
  constructor(readonly size: number) {}

  /**
   * A slot for `key` taken now if one is free (nobody running or waiting fills
   * them all), held until the returned release is called; else null.
   */
  tryHold(key: string): (() => void) | null {
    const entry = this.#map.get(key);
    if (entry !== undefined && entry.limit.activeCount + entry.limit.pendingCount >= this.size) return null;
    let release = (): void => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    void this.run(key, () => held);
    return release;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let entry = this.#map.get(key);
    if (!entry) {
      entry = { limit: pLimit(this.size) };
      this.#map.set(key, entry);
    }
    const { limit } = entry;
    try {
      return await limit(fn);
    } finally {
      if (limit.activeCount === 0 && limit.pendingCount === 0 && this.#map.get(key) === entry) this.#map.delete(key);
    }
  }
}

/** Resolves after `ms`, or at once (false) when the signal aborts first. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (finished: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(finished);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createScheduler(options: SchedulerOptions) {
  const global = pLimit(options.concurrency);
  const perAddress = new Limiters(options.perHost);
  const perProvider = options.perProvider !== undefined && options.perProvider > 0 ? new Limiters(options.perProvider) : null;
  const retries = options.retries ?? 0;
  const baseDelay = options.retryDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  /** The back-off an address is in: the wait for it to end (false when the scan stopped first). */
  const backoff = new Map<string, Promise<boolean>>();
  const counters: PolitenessCounters = { retries: 0, retriedOk: 0, waitedMs: 0 };
  let waiting = 0;

  /** Waits out the address's back-off, if any (each ends by removing itself); false when the scan stopped meanwhile. */
  async function clearOf(address: string): Promise<boolean> {
    for (let wait = backoff.get(address); wait !== undefined; wait = backoff.get(address)) {
      if (!(await wait)) return false;
    }
    return true;
  }

  /** One attempt in its provider and global slots, after a connection token. */
  function attempt<T>(job: Job<T>): Promise<T> {
    const inGlobal = (): Promise<T> =>
      global(async () => {
        await options.rate?.take(options.stop);
        return job.run();
      });
    return perProvider && job.provider !== undefined ? perProvider.run(job.provider, inGlobal) : inGlobal();
  }

  /** Puts the address in back-off for the nth retry's delay and waits it out; false when the scan stopped meanwhile. */
  async function backOff(address: string, retry: number): Promise<boolean> {
    const delay = Math.round(baseDelay * 2 ** (retry - 1) * (0.8 + 0.4 * random()));
    const wait = pause(delay, options.stop);
    backoff.set(address, wait);
    waiting += 1;
    const started = Date.now();
    try {
      return await wait;
    } finally {
      waiting -= 1;
      counters.waitedMs += Date.now() - started;
      if (backoff.get(address) === wait) backoff.delete(address);
    }
  }

  /** One job under every limit, retried while its result asks for it and retries are left. */
  async function runJob<T>(job: Job<T>): Promise<Outcome<T>> {
    return perAddress.run(job.address, async () => {
      let attempts = 0;
      for (;;) {
        if (!(await clearOf(job.address)) && job.interrupted) return { value: job.interrupted(), attempts: Math.max(attempts, 1) };
        const value = await attempt(job);
        attempts += 1;
        const again = attempts <= retries && job.retryable?.(value) === true && options.stop?.aborted !== true;
        if (!again) {
          if (attempts > 1 && job.ok?.(value) === true) counters.retriedOk += 1;
          return { value, attempts };
        }
        counters.retries += 1;
        if (!(await backOff(job.address, attempts)) && job.interrupted) return { value: job.interrupted(), attempts };
      }
    });
  }

  /** Runs every job; outcomes keyed by job key, whatever order they finish in. */
  async function runAll<T>(jobs: readonly Job<T>[], onDone?: (key: string, outcome: Outcome<T>) => void): Promise<Map<string, Outcome<T>>> {
    const results = new Map<string, Outcome<T>>();
    await Promise.all(
      jobs.map(async (job) => {
        const outcome = await runJob(job);
        results.set(job.key, outcome);
        onDone?.(job.key, outcome);
      }),
    );
    return results;
  }

  return {
    runJob,
    runAll,
    /** Another connection to an address while one of its jobs runs: a per-address slot if one is free now (its release), else null. */
    tryHold: (address: string): (() => void) | null => perAddress.tryHold(address),
    /** Jobs waiting in back-off now. */
    get waiting(): number {
      return waiting;
    },
    /** Retries, back-off waits, and jobs that ended well after a retry, so far. */
    get counters(): Readonly<PolitenessCounters> {
      return { ...counters };
    },
  };
}
