/**
 * The connection rate (--rate N): at most N new SMTP connections in any one
 * second of the scan, bursts of up to N included. A sliding window: each of N
 * tokens comes back one second after it was spent, counted from when its taker
 * was let go (not when it asked), plus a 5 % margin, so that a server whose
 * clock sees the connections a little late or bunched still counts no more than
 * N in any second. Takers are served in order. DNS queries and MTA-STS fetches
 * do not take tokens.
 */
import { Socket } from 'node:net';
import type { ConnectFn } from '../net/connect.js';

/** How long a spent token stays spent: one second and a 5 % margin. */
export const TOKEN_RETURN_MS = 1050;

interface Waiter {
  readonly resolve: () => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class ConnectionRate {
  /** When each of the last N tokens was spent, as a ring; the oldest is at #next. */
  readonly #spent: number[];
  #next = 0;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | null = null;
  readonly #now: () => number;
  readonly #returnMs: number;

  constructor(
    readonly perSecond: number,
    options: { readonly now?: () => number; readonly returnMs?: number } = {},
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new RangeError('rate must be a positive whole number');
    this.#spent = new Array<number>(perSecond).fill(-Infinity);
    this.#now = options.now ?? (() => performance.now());
    this.#returnMs = options.returnMs ?? TOKEN_RETURN_MS;
  }

  /** Resolves when a token is this caller's, or at once when `signal` aborts (the caller then must not connect). */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        signal,
        onAbort: () => {
          const at = this.#queue.indexOf(waiter);
          if (at >= 0) this.#queue.splice(at, 1);
          if (this.#queue.length === 0 && this.#timer !== null) {
            clearTimeout(this.#timer);
            this.#timer = null;
          }
          resolve();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#queue.push(waiter);
      this.#pump();
    });
  }

  /** Lets takers go while tokens are free; otherwise waits for the oldest to come back. */
  #pump(): void {
    if (this.#timer !== null) return;
    while (this.#queue.length > 0) {
      const now = this.#now();
      const free = (this.#spent[this.#next] as number) + this.#returnMs;
      if (free > now) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#pump();
        }, Math.ceil(free - now));
        return;
      }
      this.#spent[this.#next] = now;
      this.#next = (this.#next + 1) % this.perSecond;
      const waiter = this.#queue.shift() as Waiter;
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
  }

  /**
   * The connect function for one attempt: its first connection uses the token
   * the scheduler took before the attempt; each later one (the legacy check's or
   * the enumeration's sessions) waits for a token of its own, inside its connect
   * deadline, on a socket that exists at once, so the session can track and
   * destroy it meanwhile.
   */
  connector(connect: ConnectFn, signal?: AbortSignal): ConnectFn {
    let prepaid = true;
    return (ip, port) => {
      if (prepaid) {
        prepaid = false;
        return connect(ip, port);
      }
      const socket = new Socket();
      void this.take(signal).then(() => {
        if (!socket.destroyed && signal?.aborted !== true) socket.connect({ host: ip, port });
      });
      return socket;
    };
  }
}
