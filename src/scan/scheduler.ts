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
  const perAddress = new Map<string, ReturnType<typeof pLimit>>();

  function limiterFor(address: string) {
    let limiter = perAddress.get(address);
    if (!limiter) {
      limiter = pLimit(options.perHost);
      perAddress.set(address, limiter);
    }
    return limiter;
  }

  /**
   * Runs every job; a job's slot in the per-address queue is taken before its
   * global slot, so a busy address never holds global slots idle.
   */
  async function runAll<T>(jobs: readonly Job<T>[], onDone?: (key: string, value: T) => void): Promise<Map<string, T>> {
    const results = new Map<string, T>();
    await Promise.all(
      jobs.map((job) =>
        limiterFor(job.address)(() =>
          global(async () => {
            const value = await job.run();
            results.set(job.key, value);
            onDone?.(job.key, value);
          }),
        ),
      ),
    );
    return results;
  }

  return { runAll };
}
