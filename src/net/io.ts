/** The real IO of a session: TCP via net.connect, performance.now as the monotonic clock, Date.now for certificate expiry. */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RealIo {
  readonly connect: (ip: string, port: number) => Socket;
  readonly now: () => number;
  readonly wallClock: () => number;
}

export const REAL_IO: RealIo = {
  connect: (ip, port) => netConnect({ host: ip, port }),
  now: () => performance.now(),
  wallClock: () => Date.now(),
};
