/**
 * Deadlines for one probe: a single probe-wide deadline, and per-phase deadlines
 * each capped by what remains of it. Both are fixed points in time armed once
 * (setTimeout runs on the event loop's monotonic clock), so bytes arriving never
 * extend them. Every wait in the session takes an AbortSignal from here; the
 * abort reason is the ScanError that becomes the probe's error.
 */
import { ScanError } from '../model/errors.js';

export interface ProbeDeadlineOptions {
  /** The whole probe's budget, in milliseconds. */
  readonly totalMs: number;
  /** Monotonic milliseconds (performance.now), for the remaining budget. */
  readonly now: () => number;
  /** The caller's signal (e.g. SIGINT): aborting it ends the probe as "scan interrupted". */
  readonly signal?: AbortSignal;
}

/** One phase's deadline. Call dispose() when the phase is over, whatever its outcome. */
export interface PhaseDeadline {
  readonly signal: AbortSignal;
  dispose(): void;
}

const noop = (): void => undefined;

/** The probe-wide deadline. dispose() clears its timer and its listener on the caller's signal. */
export class ProbeDeadline {
  readonly #controller = new AbortController();
  readonly #now: () => number;
  readonly #endsAt: number;
  readonly #timer: NodeJS.Timeout;
  readonly #external: AbortSignal | undefined;
  #interrupted = false;
  /** The phases under way: aborted with the probe (a Set, not a listener on the probe's signal per phase: EventTarget is slow). */
  readonly #phases = new Set<AbortController>();

  constructor(options: ProbeDeadlineOptions) {
    this.#now = options.now;
    this.#endsAt = options.now() + options.totalMs;
    this.#timer = setTimeout(
      () => this.#abort(new ScanError('probe-timeout', `the probe deadline of ${options.totalMs} ms passed`)),
      options.totalMs,
    );
    this.#external = options.signal;
    if (this.#external?.aborted === true) this.#onInterrupt();
    else this.#external?.addEventListener('abort', this.#onInterrupt, { once: true });
  }

  /** Aborts when the probe deadline passes or the caller's signal aborts; the reason is a probe-timeout ScanError. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** True when the caller's signal ended the probe (not the clock). */
  get interrupted(): boolean {
    return this.#interrupted;
  }

  /** Milliseconds left before the probe deadline (0 once passed). */
  remainingMs(): number {
    return Math.max(0, this.#endsAt - this.#now());
  }

  /**
   * A deadline for one phase: `limitMs` from now or the probe deadline, whichever
   * comes first. When the phase's own limit passes, the signal aborts with `reason()`;
   * when the probe deadline passes first, with the probe's reason.
   */
  phase(limitMs: number, reason: () => ScanError): PhaseDeadline {
    const controller = new AbortController();
    if (this.signal.aborted) {
      controller.abort(this.signal.reason);
      return { signal: controller.signal, dispose: noop };
    }
    this.#phases.add(controller);
    const timer = limitMs < this.remainingMs() ? setTimeout(() => controller.abort(reason()), limitMs) : undefined;
    return {
      signal: controller.signal,
      dispose: () => {
        clearTimeout(timer);
        this.#phases.delete(controller);
      },
    };
  }

  /** Clears the timer and detaches from the caller's signal. Idempotent. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#external?.removeEventListener('abort', this.#onInterrupt);
  }

  readonly #onInterrupt = (): void => {
    this.#interrupted = true;
    this.#abort(new ScanError('interrupted', 'scan interrupted'));
  };

  #abort(reason: ScanError): void {
    if (this.#controller.signal.aborted) return;
    this.#controller.abort(reason);
    for (const phase of this.#phases) phase.abort(reason);
    this.#phases.clear();
  }
}

/**
 * Waits for an event-driven outcome under a signal. `start` wires listeners and
 * returns their cleanup; the promise settles once, with whatever comes first:
 * the outcome, or the signal's reason when it aborts. Cleanup always runs.
 */
export function abortable<T>(
  signal: AbortSignal,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    let cleanup: () => void = noop;
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      cleanup();
      settle();
    };
    const onAbort = (): void => finish(() => reject(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      cleanup = start(
        (value) => finish(() => resolve(value)),
        (error) => finish(() => reject(error)),
      );
    } catch (error) {
      finish(() => reject(error));
    }
    // `start` may have settled synchronously, before its cleanup was known.
    if (settled) cleanup();
  });
}
