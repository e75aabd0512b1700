/**
 * The connection rate (--rate N): at most N new SMTP connections in any one
 * second of the scan, bursts of up to N included (a sliding window: a token
 * bucket of N whose tokens come back one second after they were spent). Takers
 * are served in order. DNS queries and MTA-STS fetches do not take tokens.
 */
import { Socket } from 'node:net';
import type { ConnectFn } from '../net/connect.js';

const WINDOW_MS = 1000;

export class ConnectionRate {
  /** When each of the last N tokens was (or will be) spent, oldest first, as a ring. */
  readonly #spent: number[];
  #next = 0;

  constructor(readonly perSecond: number, private readonly now: () => number = () => performance.now()) {
    if (!Number.isInteger(perSecond) || perSecond < 1) throw new RangeError('rate must be a positive whole number');
    this.#spent = new Array<number>(perSecond).fill(-Infinity);
  }

  /** Reserves the next token: how long to wait before using it. */
  reserve(): number {
    const now = this.now();
    const at = Math.max(now, (this.#spent[this.#next] as number) + WINDOW_MS);
    this.#spent[this.#next] = at;
    this.#next = (this.#next + 1) % this.perSecond;
    return at - now;
  }

  /** Resolves when a token is this caller's. */
  take(): Promise<void> {
    const wait = this.reserve();
    return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, Math.ceil(wait)));
  }

  /**
   * The connect function for one attempt: its first connection uses the token
   * the scheduler took before the attempt; each later one (the legacy check's or
   * the enumeration's sessions) waits for a token of its own, inside its connect
   * deadline, on a socket that exists at once, so the session can track and
   * destroy it meanwhile.
   */
  connector(connect: ConnectFn): ConnectFn {
    let prepaid = true;
    return (ip, port) => {
      if (prepaid) {
        prepaid = false;
        return connect(ip, port);
      }
      const socket = new Socket();
      void this.take().then(() => {
        if (!socket.destroyed) socket.connect({ host: ip, port });
      });
      return socket;
    };
  }
}
