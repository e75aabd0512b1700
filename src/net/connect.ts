/**
 * A TCP connection under the probe's deadline: connect within the connect
 * phase's budget, or fail with a ScanError (phase "connect") whose code says
 * how: refused, unreachable, timed out, or another socket error.
 */
import type { Socket } from 'node:net';
import { atPhase, ScanError } from '../model/errors.js';
import { abortable, type ProbeDeadline } from './deadline.js';

/** Opens a TCP connection (net.connect in production; tests inject their own). */
export type ConnectFn = (ip: string, port: number) => Socket;

export interface ConnectRequest {
  readonly ip: string;
  readonly port: number;
  readonly connect: ConnectFn;
  readonly deadline: ProbeDeadline;
  /** The connect phase's own budget, capped by what is left of the probe deadline. */
  readonly connectMs: number;
  /** Receives the socket as soon as it exists, so the caller destroys it on every path. */
  readonly track: (socket: Socket) => void;
}

/** Resolves with the connected socket; rejects with a ScanError of phase "connect". */
export async function connectWithin(request: ConnectRequest): Promise<Socket> {
  const { ip, port, deadline, connectMs } = request;
  if (deadline.signal.aborted) throw atPhase(deadline.signal.reason, 'connect');
  const socket = request.connect(ip, port);
  request.track(socket);
  socket.on('error', () => undefined); // every error is handled where it matters; none may crash the process
  const phase = deadline.phase(connectMs, () => connectTimeout(ip, port, `within ${connectMs} ms`));
  try {
    await abortable<void>(phase.signal, (resolve, reject) => {
      if (!socket.pending) {
        resolve();
        return () => undefined;
      }
      const onConnect = (): void => resolve();
      const onError = (error: NodeJS.ErrnoException): void => reject(connectFailure(error, ip, port));
      socket.once('connect', onConnect);
      socket.once('error', onError);
      return () => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
      };
    });
  } catch (error) {
    // Before the connection is up, running out of probe time is a connect timeout, unless the scan was interrupted.
    if (error instanceof ScanError && error.code === 'probe-timeout') {
      throw connectTimeout(ip, port, 'before the probe deadline');
    }
    throw atPhase(error, 'connect');
  } finally {
    phase.dispose();
  }
  return socket;
}

function connectTimeout(ip: string, port: number, when: string): ScanError {
  return new ScanError('connect-timeout', `no TCP connection to ${ip}:${port} ${when}`, { phase: 'connect', retryable: true });
}

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);

/** A socket error while connecting, by errno. */
export function connectFailure(error: NodeJS.ErrnoException, ip: string, port: number): ScanError {
  const errno = error.code ?? 'unknown';
  const options = { phase: 'connect' as const, retryable: true, cause: error };
  if (errno === 'ECONNREFUSED') return new ScanError('connect-refused', `connection to ${ip}:${port} refused (ECONNREFUSED)`, options);
  if (UNREACHABLE.has(errno)) return new ScanError('connect-unreachable', `${ip}:${port} is unreachable (${errno})`, options);
  if (errno === 'ETIMEDOUT') return connectTimeout(ip, port, '(ETIMEDOUT)');
  return new ScanError('connect-error', `connection to ${ip}:${port} failed: ${error.message}`, options);
}
