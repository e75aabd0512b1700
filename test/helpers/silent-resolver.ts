/** A DNS resolver on loopback that receives every query and answers none: lookups against it time out. */
import { createSocket } from 'node:dgram';

export interface SilentResolver {
  readonly port: number;
  /** `127.0.0.1:PORT`, for --resolver. */
  readonly address: string;
  /** The queries it received so far. */
  received(): number;
  close(): void;
}

export async function startSilentResolver(): Promise<SilentResolver> {
  const socket = createSocket('udp4');
  let received = 0;
  socket.on('message', () => (received += 1));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return { port, address: `127.0.0.1:${port}`, received: () => received, close: () => socket.close() };
}
