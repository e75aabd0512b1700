/**
 * A real, configurable SMTP server on loopback for the demo and the tests. It
 * speaks just enough SMTP to be probed (EHLO, HELO, STARTTLS, NOOP, RSET, QUIT;
 * everything else 502, MAIL included, so it can never relay), and can misbehave
 * on purpose: refuse the greeting, EHLO or STARTTLS, inject plaintext after the
 * 220 to STARTTLS, refuse the session inside TLS, speak only old TLS versions.
 */
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  createSecureContext,
  createServer as createTlsServer,
  TLSSocket,
  type SecureContext,
  type SecureVersion,
} from 'node:tls';

export interface LabTlsOptions {
  readonly key: string;
  /** The certificate chain, leaf first (PEM). */
  readonly cert: string;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  readonly ciphers?: string;
  readonly ecdhCurve?: string;
  readonly requestCert?: boolean;
  /** Refuse a client without a certificate that `ca` verifies (TLS 1.3: an alert after the handshake). */
  readonly requireClientCert?: boolean;
  readonly ca?: string[];
}

export interface LabSmtpOptions {
  /** Default 127.0.0.1 (any 127.x.y.z works on Linux). */
  readonly host?: string;
  /** Default 0 (an ephemeral port). */
  readonly port?: number;
  /** Used in the banner and the EHLO reply. */
  readonly hostname: string;
  /** Lines of the greeting (default [`${hostname} ESMTP mxready-lab`]). */
  readonly greeting?: string[];
  /** Default 220; 421 closes after the greeting, 554 answers 503 to all but QUIT. */
  readonly greetingCode?: number;
  /** Advertise (and accept) STARTTLS; needs `tls`. */
  readonly starttls: boolean;
  readonly tls?: LabTlsOptions;
  /** TLS from the first byte (port 465 style); needs `tls`. */
  readonly implicitTls?: boolean;
  /** Extra EHLO lines (default PIPELINING, SIZE 10240000, 8BITMIME, ENHANCEDSTATUSCODES). */
  readonly extensions?: string[];
  /** Answer STARTTLS with this reply (e.g. '454 4.7.0 TLS not available') instead of 220. */
  readonly starttlsReply?: string;
  /** Plaintext written in the same write as the 220 to STARTTLS (the RFC 3207 §6 test). */
  readonly injectAfterStarttls?: string;
  /** Answer the EHLO inside TLS with this reply; a 421 then closes the connection. */
  readonly ehloAfterTlsReply?: string;
  /** Answer EHLO with this reply (e.g. '502 5.5.2 EHLO not implemented'); HELO is still accepted. */
  readonly ehloReply?: string;
  /** Wait this long before greeting, as a real server across a network does (the benchmark uses it). */
  readonly greetingDelayMs?: number;
  /** Wait this long before every reply, the greeting included unless greetingDelayMs says otherwise (the latency benchmark). */
  readonly replyDelayMs?: number;
  /** Answer the first K connections `421 4.7.0 Too many connections` and close; greet the others (a busy server). */
  readonly busyFirst?: number;
}

export interface LabSmtpServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly sessions: number;
  /** Connections closed so far (the client's session is over). */
  readonly finished: number;
  /** The most sessions open at once so far: from the accept until the client sends QUIT or the connection closes, whichever is first. */
  readonly peak: number;
  /** When each connection was accepted (performance.now(), the first 10,000), in order. */
  readonly accepts: readonly number[];
  /** Calls `listener` each time a connection closes; returns a function that stops it. */
  onSessionEnd(listener: () => void): () => void;
  /** Calls `listener` each time a connection is accepted, with a promise of the client's leaving (QUIT received, or the connection closed); returns a function that stops it. */
  onSessionStart(listener: (left: Promise<void>) => void): () => void;
  /** Every command line received, in order (the first 1,000): what a client really sent. */
  readonly commands: readonly string[];
  /** Stops listening and destroys every open session. */
  close(): Promise<void>;
}

const DEFAULT_EXTENSIONS = ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES'];
/** Longest command line the server buffers; past it the client is told so and disconnected. */
const MAX_COMMAND_BYTES = 4096;
const MAX_RECORDED_COMMANDS = 1000;
const MAX_RECORDED_ACCEPTS = 10_000;
const LEGACY_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1'];

/** Starts a server and resolves once it listens. */
export async function startSmtpServer(options: LabSmtpOptions): Promise<LabSmtpServer> {
  if ((options.starttls || options.implicitTls === true) && options.tls === undefined) {
    throw new TypeError('startSmtpServer: starttls and implicitTls need tls options');
  }
  const context = options.tls === undefined ? null : createSecureContext(secureContextOptions(options.tls));
  const open = new Map<Socket, Promise<void>>();
  let sessions = 0;
  let finished = 0;
  let peak = 0;
  let active = 0;
  let served = 0;
  const accepts: number[] = [];
  const endListeners = new Set<() => void>();
  const startListeners = new Set<(left: Promise<void>) => void>();
  /** Each open connection's "the client has left" (QUIT received): called by its session. */
  const leaving = new WeakMap<Socket, () => void>();
  const left = (socket: Socket): void => leaving.get(socket)?.();
  const commands: string[] = [];
  const record = (line: string): void => {
    if (commands.length < MAX_RECORDED_COMMANDS) commands.push(line);
  };
  const track = (socket: Socket): void => {
    sessions += 1;
    if (accepts.length < MAX_RECORDED_ACCEPTS) accepts.push(performance.now());
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    open.set(socket, closed);
    const gone = new Promise<void>((resolve) => {
      leaving.set(socket, resolve);
      void closed.then(resolve);
    });
    active += 1;
    peak = Math.max(peak, active);
    void gone.then(() => (active -= 1));
    for (const listener of [...startListeners]) listener(gone);
    void closed.then(() => {
      open.delete(socket);
      finished += 1;
      for (const listener of [...endListeners]) listener();
    });
    socket.on('error', () => socket.destroy());
  };
  const tlsOptions = options.tls;
  const server: Server =
    options.implicitTls === true && tlsOptions !== undefined
      ? createTlsServer({ ...secureContextOptions(tlsOptions), ...clientCertOptions(tlsOptions) }, (socket) =>
          serveSession(socket, options, context, true, record, (served += 1) <= (options.busyFirst ?? 0), left),
        )
      : createTcpServer((socket) => serveSession(socket, options, context, false, record, (served += 1) <= (options.busyFirst ?? 0), left));
  server.on('connection', track);
  server.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
  const host = options.host ?? '127.0.0.1';
  await listen(server, host, options.port ?? 0);
  return {
    host,
    port: (server.address() as AddressInfo).port,
    commands,
    get sessions() {
      return sessions;
    },
    get finished() {
      return finished;
    },
    get peak() {
      return peak;
    },
    accepts,
    onSessionEnd(listener) {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },
    onSessionStart(listener) {
      startListeners.add(listener);
      return () => startListeners.delete(listener);
    },
    close: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const sessionsClosed = [...open.values()];
      for (const socket of open.keys()) socket.destroy();
      await Promise.all([stopped, ...sessionsClosed]);
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** TLS 1.0/1.1 need security level 0 with OpenSSL 3; supplied when the caller did not choose ciphers. */
export function secureContextOptions(tls: LabTlsOptions): Parameters<typeof createSecureContext>[0] {
  const legacy = [tls.minVersion, tls.maxVersion].some((v) => v !== undefined && LEGACY_VERSIONS.includes(v));
  const maxLegacy = tls.maxVersion !== undefined && LEGACY_VERSIONS.includes(tls.maxVersion);
  return {
    key: tls.key,
    cert: tls.cert,
    ...(tls.minVersion !== undefined ? { minVersion: tls.minVersion } : maxLegacy ? { minVersion: 'TLSv1' as const } : {}),
    ...(tls.maxVersion !== undefined ? { maxVersion: tls.maxVersion } : {}),
    ...(tls.ciphers !== undefined ? { ciphers: tls.ciphers } : legacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    ...(tls.ecdhCurve !== undefined ? { ecdhCurve: tls.ecdhCurve } : {}),
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
  };
}

function clientCertOptions(tls: LabTlsOptions | undefined): { requestCert: boolean; rejectUnauthorized: boolean } {
  if (tls?.requireClientCert === true) return { requestCert: true, rejectUnauthorized: true };
  return { requestCert: tls?.requestCert === true, rejectUnauthorized: false };
}

/** One connection: a line reader feeding a tiny command loop. */
function serveSession(socket: Socket, options: LabSmtpOptions, context: SecureContext | null, inTls: boolean, record: (line: string) => void, busy: boolean, left: (socket: Socket) => void): void {
  if (busy) {
    socket.on('error', () => socket.destroy());
    socket.end('421 4.7.0 Too many connections, try again later\r\n');
    return;
  }
  const session = new LabSession(socket, options, context, inTls, record, () => left(socket));
  session.start();
}

class LabSession {
  #socket: Socket;
  #buffer = '';
  #inTls: boolean;
  readonly #options: LabSmtpOptions;
  readonly #context: SecureContext | null;

  readonly #record: (line: string) => void;
  #upgrading = false;

  readonly #left: () => void;

  constructor(socket: Socket, options: LabSmtpOptions, context: SecureContext | null, inTls: boolean, record: (line: string) => void, left: () => void) {
    this.#record = record;
    this.#left = left;
    this.#socket = socket;
    this.#options = options;
    this.#context = context;
    this.#inTls = inTls;
  }

  start(): void {
    this.#listen(this.#socket);
    const delay = this.#options.greetingDelayMs ?? this.#options.replyDelayMs ?? 0;
    if (delay <= 0) {
      this.#greet();
      return;
    }
    const timer = setTimeout(() => this.#greet(), delay);
    this.#socket.once('close', () => clearTimeout(timer));
  }

  #greet(): void {
    if (this.#socket.destroyed) return;
    const code = this.#options.greetingCode ?? 220;
    const lines = this.#options.greeting ?? [`${this.#options.hostname} ESMTP mxready-lab`];
    // The greeting's wait is start()'s: written at once here.
    this.#write(multiline(code, lines), code === 421 ? () => this.#socket.end() : undefined, 0);
  }

  #listen(socket: Socket): void {
    socket.on('data', this.#onData);
    socket.on('error', () => socket.destroy());
  }

  readonly #onData = (chunk: Buffer): void => {
    // After STARTTLS, while its 220 waits out the reply delay, what the client sends in plaintext is dropped (RFC 3207 §4.2).
    if (this.#upgrading) return;
    this.#buffer += chunk.toString('latin1');
    for (let lf = this.#buffer.indexOf('\n'); lf >= 0 && !this.#socket.destroyed; lf = this.#buffer.indexOf('\n')) {
      const line = this.#buffer.slice(0, lf).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(lf + 1);
      if (this.#handle(line) === 'stop') return;
    }
    if (this.#buffer.length > MAX_COMMAND_BYTES) {
      this.#buffer = '';
      this.#write('500 5.5.6 Line too long\r\n');
      this.#socket.end();
    }
  };

  /** Answers one command line; 'stop' when the rest of the buffer must not be read (TLS starts, or the session ends). */
  #handle(line: string): 'go' | 'stop' {
    this.#record(line);
    const [verbRaw = '', ...rest] = line.split(' ');
    const verb = verbRaw.toUpperCase();
    const argument = rest.join(' ');
    if ((this.#options.greetingCode ?? 220) !== 220 && verb !== 'QUIT') {
      this.#write('503 5.5.1 No service\r\n');
      return 'go';
    }
    switch (verb) {
      case 'EHLO':
        return this.#ehlo(argument);
      case 'HELO':
        this.#write(`250 ${this.#options.hostname}\r\n`);
        return 'go';
      case 'STARTTLS':
        return this.#starttls();
      case 'NOOP':
      case 'RSET':
        this.#write('250 2.0.0 OK\r\n');
        return 'go';
      case 'QUIT':
        this.#left();
        this.#write('221 2.0.0 Bye\r\n', () => this.#socket.end());
        return 'stop';
      default:
        this.#write('502 5.5.2 Command not implemented\r\n');
        return 'go';
    }
  }

  #ehlo(argument: string): 'go' | 'stop' {
    const override = this.#inTls ? this.#options.ehloAfterTlsReply : this.#options.ehloReply;
    if (override !== undefined) {
      this.#write(withCrlf(override));
      if (override.startsWith('421')) {
        this.#socket.end();
        return 'stop';
      }
      return 'go';
    }
    const offerTls = this.#options.starttls && !this.#inTls;
    const extensions = [...(this.#options.extensions ?? DEFAULT_EXTENSIONS), ...(offerTls ? ['STARTTLS'] : [])];
    this.#write(multiline(250, [`${this.#options.hostname} greets ${argument || 'you'}`, ...extensions]));
    return 'go';
  }

  #starttls(): 'go' | 'stop' {
    if (this.#inTls || !this.#options.starttls || this.#context === null) {
      this.#write(this.#inTls ? '503 5.5.1 TLS already active\r\n' : '502 5.5.2 Command not implemented\r\n');
      return 'go';
    }
    if (this.#options.starttlsReply !== undefined) {
      this.#write(withCrlf(this.#options.starttlsReply));
      return 'go';
    }
    const context = this.#context;
    this.#upgrading = true;
    this.#write(`220 2.0.0 Ready to start TLS\r\n${this.#options.injectAfterStarttls ?? ''}`, () => this.#upgrade(context));
    return 'stop';
  }

  /** Server side of STARTTLS: whatever the client sent after STARTTLS in plaintext is dropped. */
  #upgrade(context: SecureContext): void {
    const plain = this.#socket;
    plain.off('data', this.#onData);
    this.#buffer = '';
    this.#upgrading = false;
    const secure = new TLSSocket(plain, { isServer: true, secureContext: context, ...clientCertOptions(this.#options.tls) });
    this.#socket = secure;
    this.#inTls = true;
    secure.on('close', () => plain.destroy());
    this.#listen(secure);
  }

  /** Writes a reply (after replyDelayMs, if set), then runs `then` in the same turn, so nothing can arrive in between. */
  #write(text: string, then?: () => void, delay = this.#options.replyDelayMs ?? 0): void {
    const send = (): void => {
      if (this.#socket.destroyed) return;
      if (this.#socket.writable) this.#socket.write(text, 'latin1');
      then?.();
    };
    if (delay <= 0) return send();
    const socket = this.#socket;
    const timer = setTimeout(send, delay);
    socket.once('close', () => clearTimeout(timer));
  }
}

/** "250-first\r\n250-second\r\n250 last\r\n". */
function multiline(code: number, lines: readonly string[]): string {
  const all = lines.length === 0 ? [''] : lines;
  return all.map((line, i) => `${code}${i === all.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

function withCrlf(reply: string): string {
  return reply.endsWith('\n') ? reply : `${reply}\r\n`;
}
