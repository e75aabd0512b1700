/**
 * Bounded, polite concurrency: a global limit and a per-address limit, one
 * connection per job. Results come back keyed, so their order never depends on
 * which probe finished first.
 */
import pLimit from 'p-limit';

export interface SchedulerOptions {
  /** Jobs at once, overall. */
  readonly concurrency: number;
  /** Jobs at once against one IP address (any port). */
  readonly perHost: number;
}

export interface Job<T> {
  readonly key: string;
  /** The address the job connects to, for the per-address limit. */
  readonly address: string;
  readonly run: () => Promise<T>;
}

export function createScheduler(options: SchedulerOptions) {
  const global = pLimit(options.concurrency);
  // One limiter per address while it has work; dropped when idle, so a fleet scan holds none for addresses it is done with.
  const perAddress = new Map<string, ReturnType<typeof pLimit>>();

  function limiterFor(address: string) {
    let limiter = perAddress.get(address);
    if (!limiter) {
      limiter = pLimit(options.perHost);
      perAddress.set(address, limiter);
    }
    return limiter;
  }

  /** One job: its per-address slot first, then a global one, so a busy address never holds global slots idle. */
  async function run<T>(address: string, job: () => Promise<T>): Promise<T> {
    const limiter = limiterFor(address);
    try {
      return await limiter(() => global(job));
    } finally {
      if (limiter.activeCount === 0 && limiter.pendingCount === 0 && perAddress.get(address) === limiter) perAddress.delete(address);
    }
  }

  /** Runs every job; results keyed by job key, whatever order they finish in. */
  async function runAll<T>(jobs: readonly Job<T>[], onDone?: (key: string, value: T) => void): Promise<Map<string, T>> {
    const results = new Map<string, T>();
    await Promise.all(
      jobs.map(async (job) => {
        const value = await run(job.address, job.run);
        results.set(job.key, value);
        onDone?.(job.key, value);
      }),
    );
    return results;
  }

  return {
    run,
    runAll,
    /** Addresses with a limiter now (those with work queued or running). */
    get addresses(): number {
      return perAddress.size;
    },
  };
}
