/**
 * The sockets of one probe or session (TCP, the handshake tap, TLS), destroyed
 * together on every exit path, so no handle outlives the work that opened it.
 */
import type { Duplex } from 'node:stream';

/** How long teardown waits for destroyed sockets to report 'close' (it is normally one event-loop turn). */
const CLOSE_WAIT_MS = 1000;

export class SocketSet {
  readonly #sockets = new Map<Duplex, Promise<void>>();

  /** Tracks a socket; its 'close' is listened for from now on, so it cannot be missed. */
  add(socket: Duplex): void {
    if (this.#sockets.has(socket)) return;
    const closed = socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
    this.#sockets.set(socket, closed);
  }

  /**
   * Destroys every socket, newest first, and waits (bounded) for each one's
   * 'close'. Newest first matters: a TLS socket must go before the TCP socket
   * under it (the other order can crash Node 20 when a write is still pending
   * in the TLS layer). The set is empty afterwards and can be used again.
   */
  async destroyAll(): Promise<void> {
    const open = [...this.#sockets].reverse();
    this.#sockets.clear();
    for (const [socket] of open) socket.destroy();
    let timer: NodeJS.Timeout | undefined;
    const cap = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_WAIT_MS);
    });
    try {
      await Promise.race([Promise.all(open.map(([, closed]) => closed)), cap]);
    } finally {
      clearTimeout(timer);
    }
  }
}
