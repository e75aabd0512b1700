/**
 * A small STARTTLS server for the enumeration tests, on 127.0.0.1: any node:tls
 * server options (honorCipherOrder and dhparam included, which the lab server
 * does not take), a count of sessions and of sessions open at once, and a
 * "broken" mode that answers every ClientHello with a ServerHello selecting the
 * client's first suite and then hangs up.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContextOptions } from 'node:tls';
import { parseClientHello } from '../../../src/checks/enumeration/hello.js';

export interface EnumServerOptions {
  /** Server-side TLS: key, cert, ciphers, honorCipherOrder, dhparam, ecdhCurve, minVersion, maxVersion, … */
  readonly tls: SecureContextOptions;
  /** Advertise STARTTLS (default true). */
  readonly starttls?: boolean;
  /** Select the client's first suite in a ServerHello, then close: no handshake ever completes. */
  readonly broken?: boolean;
}

export interface EnumServer {
  readonly port: number;
  /** Connections accepted. */
  readonly sessions: number;
  /** The most sessions open at the same time. */
  readonly maxConcurrent: number;
  /** TLS handshakes that completed on the server side. */
  readonly handshakes: number;
  close(): Promise<void>;
}

export async function startEnumServer(options: EnumServerOptions): Promise<EnumServer> {
  const context = createSecureContext(options.tls);
  const open = new Set<Socket>();
  let sessions = 0;
  let maxConcurrent = 0;
  let handshakes = 0;
  const server = createServer((socket) => {
    sessions += 1;
    open.add(socket);
    maxConcurrent = Math.max(maxConcurrent, open.size);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => open.delete(socket));
    socket.write('220 enum.test ESMTP\r\n');
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1');
      for (let lf = buffer.indexOf('\n'); lf >= 0; lf = buffer.indexOf('\n')) {
        const line = buffer.slice(0, lf).replace(/\r$/, '').toUpperCase();
        buffer = buffer.slice(lf + 1);
        if (line.startsWith('EHLO')) socket.write(options.starttls === false ? '250-enum.test\r\n250 8BITMIME\r\n' : '250-enum.test\r\n250 STARTTLS\r\n');
        else if (line === 'STARTTLS' && options.starttls !== false) {
          socket.off('data', onData);
          socket.write('220 2.0.0 go ahead\r\n');
          if (options.broken === true) breakHandshake(socket);
          else upgrade(socket);
          return;
        } else if (line === 'QUIT') {
          socket.end('221 bye\r\n');
          return;
        } else socket.write('502 5.5.2 no\r\n');
      }
    };
    socket.on('data', onData);
  });
  const upgrade = (socket: Socket): void => {
    const secure = new TLSSocket(socket, { isServer: true, secureContext: context });
    secure.on('secure', () => {
      handshakes += 1;
    });
    secure.on('error', () => socket.destroy());
    secure.on('data', (chunk: Buffer) => {
      if (/^QUIT/im.test(chunk.toString('latin1'))) secure.end('221 bye\r\n');
    });
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get sessions() {
      return sessions;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get handshakes() {
      return handshakes;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of open) socket.destroy();
      await closed;
    },
  };
}

/** Reads the ClientHello, answers with a ServerHello selecting its first suite, and hangs up. */
function breakHandshake(socket: Socket): void {
  let bytes = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    bytes = Buffer.concat([bytes, chunk]);
    if (bytes.length < 5 || bytes.length < 5 + bytes.readUInt16BE(3)) return;
    const hello = parseClientHello(bytes);
    const suite = hello?.cipherSuites[0];
    if (hello === null || suite === undefined) {
      socket.destroy();
      return;
    }
    socket.end(serverHello(suite, hello.versions.includes(0x0304) ? 0x0304 : Math.min(hello.legacyVersion, 0x0303)));
  });
}

/** A ServerHello record selecting `suite` at `version` (TLS 1.3 through supported_versions). */
export function serverHello(suite: number, version: number): Buffer {
  // TLS 1.3: supported_versions, and a key_share entry for X25519 (the key itself is never used)
  const keyShare = Buffer.concat([Buffer.from([0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20]), Buffer.alloc(32, 0x09)]);
  const extensions = version === 0x0304 ? Buffer.concat([Buffer.from([0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]), keyShare]) : Buffer.alloc(0);
  const body = Buffer.concat([
    Buffer.from([version === 0x0304 ? 0x03 : version >> 8, version === 0x0304 ? 0x03 : version & 0xff]),
    Buffer.alloc(32, 0x42),
    Buffer.from([0x00, suite >> 8, suite & 0xff, 0x00]),
    Buffer.from([extensions.length >> 8, extensions.length & 0xff]),
    extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([0x02, 0x00, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x03, handshake.length >> 8, handshake.length & 0xff]), handshake]);
}
