/** Helpers for probe tests: options with small timeouts, lab certificates, scripted raw TCP servers. */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createCa, createSelfSigned, type LabCa, type LabCertificate } from '../../../src/lab/certs.js';
import { startSmtpServer, type LabSmtpOptions, type LabSmtpServer } from '../../../src/lab/smtp-server.js';
import type { ProbeOptions, ProbeTimeouts } from '../../../src/checks/starttls/types.js';

/** The MX name used as SNI: the A-label of mx.bücher.test. */
export const MX_ASCII = 'mx.xn--bcher-kva.test';

export const SMALL_TIMEOUTS: ProbeTimeouts = { connectMs: 1000, greetingMs: 1000, commandMs: 1000, tlsMs: 1000, probeMs: 4000 };

export function probeOptions(overrides: Partial<Omit<ProbeOptions, 'timeouts'>> & { timeouts?: Partial<ProbeTimeouts> } = {}): ProbeOptions {
  const { timeouts, ...rest } = overrides;
  return {
    heloName: 'scanner.mxready.test',
    trustAnchors: [],
    legacyCheck: false,
    ...rest,
    timeouts: { ...SMALL_TIMEOUTS, ...timeouts },
  };
}

/** Certificates made at test time: a CA and what it issues, a self-signed and an expired one. */
export interface TestPki {
  readonly ca: LabCa;
  readonly leaf: LabCertificate;
  readonly selfSigned: LabCertificate;
  readonly expired: LabCertificate;
}

const DAY = 86_400_000;

export async function makePki(): Promise<TestPki> {
  const ca = await createCa({ commonName: 'mxready Test CA — Prüfung' });
  const [leaf, selfSigned, expired] = await Promise.all([
    ca.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII] }),
    createSelfSigned({ commonName: MX_ASCII, dnsNames: [MX_ASCII] }),
    ca.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII], notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 10 * DAY) }),
  ]);
  return { ca, leaf, selfSigned, expired };
}

/** Runs `fn` against a lab SMTP server, and closes the server whatever happens. */
export async function withLab<T>(options: LabSmtpOptions, fn: (server: LabSmtpServer) => Promise<T>): Promise<T> {
  const server = await startSmtpServer(options);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

export interface RawServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that runs `script` for each connection. `script` may
 * return a cleanup (e.g. clearing an interval), run when the connection closes.
 */
export async function rawServer(script: (socket: Socket) => (() => void) | void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => socket.destroy());
    const cleanup = script(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      cleanup?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

export async function withRawServer<T>(script: (socket: Socket) => (() => void) | void, fn: (server: RawServer) => Promise<T>): Promise<T> {
  const server = await rawServer(script);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** A loopback port that refuses connections: bound, then closed. */
export async function refusingPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Counts of the active resources that a probe could leak. */
export function leakableResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (['TCPSocketWrap', 'TCPServerWrap', 'Timeout', 'TLSWrap'].includes(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

/** One turn of the event loop, for handles closed in this one to be released. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Lets handles closed by earlier tests be released (a short timer, then one turn). */
export async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  await nextTurn();
}
