/**
 * The hostile lab's SMTP side: scriptable raw TCP servers, each on its own
 * 127.x.y.z address and all on one port (MX probes use one port for every
 * address). A script is a small async program per connection — what to send
 * when, when to go silent, when to close or reset (RST), when to switch to TLS
 * — built from the bounded primitives of `Conn`. Every connection's lifetime is
 * recorded (accept → close, on the monotonic clock) so a test can check from
 * the server's side that the scanner let go within its deadline.
 *
 * Nothing here waits without a bound: every wait has a limit, and close()
 * destroys every socket, which ends every script.
 */
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';

/** A script: runs once per accepted connection. Throwing (e.g. Closed) just ends it. */
export type Script = (c: Conn) => Promise<void>;

export interface ServerSpec {
  /** A loopback address of its own (127.x.y.z), or '::1'. */
  readonly ip: string;
  /** What to do with each connection; undefined makes a trap that counts connections and closes them. */
  readonly script?: Script;
  /** Skip this server when its address cannot be bound (e.g. '::1' where IPv6 is disabled). */
  readonly optional?: boolean;
}

export interface ConnectionRecord {
  readonly openedAt: number;
  closedAt: number | null;
}

export interface ServerHandle {
  readonly ip: string;
  /** False for an optional server whose address could not be bound. */
  readonly listening: boolean;
  readonly connections: readonly ConnectionRecord[];
}

export interface HostileSmtpLab {
  readonly port: number;
  server(ip: string): ServerHandle;
  close(): Promise<void>;
}

/** Ends a script: the client went away. */
export class Closed extends Error {
  override readonly name = 'Closed';
}

const DEFAULT_WAIT_MS = 15_000;
const SETTLE_MS = 2_000;

/**
 * One connection, as a script sees it. Reads are buffered from the moment the
 * connection is accepted, so nothing the client sends is missed; `startTls`
 * switches reading and writing to a server-side TLS socket on the same TCP
 * connection (whatever plaintext was buffered is dropped, as RFC 3207 asks).
 */
export class Conn {
  readonly tcp: net.Socket;
  #socket: net.Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;
  #closed = false;
  #secure = false;
  #tlsError: Error | null = null;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(socket: net.Socket) {
    this.tcp = socket;
    this.#socket = socket;
    socket.on('data', this.#onData);
    socket.once('close', () => {
      this.#closed = true;
      for (const timer of this.#timers) clearTimeout(timer);
      this.#timers.clear();
      this.#poke();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Writes now. Strings are written as latin1, so '\x85' is the byte 0x85. Returns false when the buffer is full. */
  write(data: string | Buffer): boolean {
    if (this.#closed || !this.#socket.writable) return false;
    return this.#socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits until the socket can take more (or closes). */
  async drain(limitMs = DEFAULT_WAIT_MS): Promise<void> {
    if (this.#closed) throw new Closed('closed');
    if (!this.#socket.writableNeedDrain) return;
    await this.#waitFor(limitMs, () => !this.#socket.writableNeedDrain, 'drain');
  }

  /** The next line received (without CR LF), as latin1. */
  async line(limitMs = DEFAULT_WAIT_MS): Promise<string> {
    await this.#waitFor(limitMs, () => this.#buffer.includes(0x0a), 'a line');
    const lf = this.#buffer.indexOf(0x0a);
    const line = this.#buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
    this.#buffer = this.#buffer.subarray(lf + 1);
    return line;
  }

  /** Reads a line and checks it starts with `verb`; returns the rest. */
  async expect(verb: string, limitMs = DEFAULT_WAIT_MS): Promise<string> {
    const line = await this.line(limitMs);
    if (line.slice(0, verb.length).toUpperCase() !== verb.toUpperCase()) throw new Error(`expected ${verb}, got ${JSON.stringify(line)}`);
    return line.slice(verb.length).trim();
  }

  /** Whatever bytes arrive next (at least one), e.g. a ClientHello. */
  async bytes(limitMs = DEFAULT_WAIT_MS): Promise<Buffer> {
    await this.#waitFor(limitMs, () => this.#buffer.length > 0, 'bytes');
    const out = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return out;
  }

  /** Sleeps; ends early (throwing Closed) when the client goes away. */
  async sleep(ms: number): Promise<void> {
    let elapsed = false;
    const timer = setTimeout(() => {
      elapsed = true;
      this.#timers.delete(timer);
      this.#poke();
    }, ms);
    this.#timers.add(timer);
    await this.#waitFor(ms + 1_000, () => elapsed, 'sleep');
  }

  /** Says nothing more and waits for the client to leave (bounded). */
  async hold(limitMs = DEFAULT_WAIT_MS): Promise<void> {
    try {
      await this.#waitFor(limitMs, () => false, 'silence');
    } catch (error) {
      if (!(error instanceof Closed)) throw error;
    }
  }

  /** FIN after whatever was written. */
  end(): void {
    if (!this.#closed) this.#socket.end();
  }

  /** RST: SO_LINGER 0 and close. */
  reset(): void {
    if (!this.#closed) this.tcp.resetAndDestroy();
  }

  /**
   * Server side of STARTTLS: from now on reads and writes go through TLS. Call it
   * in the same turn as the write of the 220, before the ClientHello can arrive.
   */
  startTls(context: tls.SecureContext): void {
    const plain = this.#socket;
    plain.off('data', this.#onData);
    this.#buffer = Buffer.alloc(0);
    const secure = new tls.TLSSocket(plain, { isServer: true, secureContext: context, requestCert: false, rejectUnauthorized: false });
    secure.on('error', (error: Error) => {
      this.#tlsError = error;
      secure.destroy();
      this.#poke();
    });
    secure.once('secure', () => {
      this.#secure = true;
      this.#poke();
    });
    secure.once('close', () => plain.destroy());
    secure.on('data', this.#onData);
    this.#socket = secure;
  }

  /** Waits for the TLS handshake to complete. */
  async secured(limitMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.#waitFor(limitMs, () => {
      if (this.#tlsError !== null) throw this.#tlsError;
      return this.#secure;
    }, 'the TLS handshake');
  }

  destroy(): void {
    this.#socket.destroy();
    this.tcp.destroy();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    this.#poke();
  };

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Resolves when `ready()` holds; throws Closed when the connection closes first, or an Error past the limit. */
  async #waitFor(limitMs: number, ready: () => boolean, what: string): Promise<void> {
    const deadline = performance.now() + limitMs;
    for (;;) {
      if (ready()) return;
      if (this.#closed) throw new Closed(`closed while waiting for ${what}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          resolve();
        }, left);
        this.#timers.add(timer);
        this.#wake = () => {
          clearTimeout(timer);
          this.#timers.delete(timer);
          resolve();
        };
      });
    }
  }
}

/** Starts every server on one port: the first picks a free port, the rest follow; retried when one is taken. */
export async function startHostileSmtp(specs: readonly ServerSpec[]): Promise<HostileSmtpLab> {
  const ips = new Set<string>();
  for (const spec of specs) {
    if (!isLoopback(spec.ip)) throw new Error(`hostile SMTP: ${spec.ip} is not a loopback address`);
    if (ips.has(spec.ip)) throw new Error(`hostile SMTP: ${spec.ip} is used twice`);
    ips.add(spec.ip);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 10; attempt++) {
    const started: Running[] = [];
    try {
      let port = 0;
      for (const spec of specs) {
        const running = await listen(spec, port).catch((error: NodeJS.ErrnoException) => {
          if (spec.optional === true && port !== 0 && UNBINDABLE.has(error.code ?? '')) return notListening(spec.ip, port);
          throw error;
        });
        started.push(running);
        port = running.port;
      }
      const byIp = new Map(started.map((r) => [r.handle.ip, r]));
      return {
        port,
        server: (ip) => {
          const running = byIp.get(ip);
          if (running === undefined) throw new Error(`no hostile server on ${ip}`);
          return running.handle;
        },
        close: async () => {
          await Promise.all(started.map((r) => r.close()));
        },
      };
    } catch (error) {
      lastError = error;
      await Promise.all(started.map((r) => r.close()));
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') break;
    }
  }
  throw new Error(`hostile SMTP: could not start the servers: ${String(lastError)}`);
}

/** Errors that mean "this address does not exist here", not "this port is taken". */
const UNBINDABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

function notListening(ip: string, port: number): Running {
  return { port, handle: { ip, listening: false, connections: [] }, close: async () => undefined };
}

interface Running {
  readonly port: number;
  readonly handle: ServerHandle;
  close(): Promise<void>;
}

async function listen(spec: ServerSpec, port: number): Promise<Running> {
  const connections: ConnectionRecord[] = [];
  const open = new Set<Conn>();
  const script: Script = spec.script ?? (async (c) => c.reset());
  const server = net.createServer((socket) => {
    const record: ConnectionRecord = { openedAt: performance.now(), closedAt: null };
    connections.push(record);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      record.closedAt = performance.now();
    });
    const conn = new Conn(socket);
    open.add(conn);
    void run(script, conn).finally(() => open.delete(conn));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: spec.ip, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    handle: { ip: spec.ip, listening: true, connections },
    close: async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of open) conn.destroy();
      await stopped;
    },
  };
}

/** Runs a script; whatever happens, the connection is ended, given a moment to close, then destroyed. */
async function run(script: Script, conn: Conn): Promise<void> {
  try {
    await script(conn);
  } catch {
    // Closed, a timeout, an unexpected command: the script is over either way
  }
  if (!conn.closed) {
    conn.end();
    await conn.hold(SETTLE_MS);
  }
  conn.destroy();
}

function isLoopback(ip: string): boolean {
  return (net.isIPv4(ip) && ip.startsWith('127.')) || ip === '::1';
}

// ---------------------------------------------------------------- SMTP building blocks

/** "250-a\r\n250-b\r\n250 c\r\n" */
export function reply(code: number, lines: readonly string[]): string {
  const all = lines.length === 0 ? [''] : lines;
  return all.map((line, i) => `${code}${i === all.length - 1 ? ' ' : '-'}${line}\r\n`).join('');
}

/** What the server does after its 220 to STARTTLS, on the plaintext connection. */
export type AfterStarttls =
  /** A real handshake with this context, then EHLO inside TLS (answered with `ehloAfterTls` lines, or the defaults). */
  | { readonly kind: 'tls'; readonly context: tls.SecureContext; readonly inject?: string; readonly ehloAfterTls?: readonly string[] }
  /** Raw handling of the TLS phase (alerts, plaintext, silence, resets). */
  | { readonly kind: 'raw'; readonly then: (c: Conn) => Promise<void> };

export interface SmtpPlan {
  readonly host: string;
  /** The whole greeting, raw (default "220 host ESMTP hostile-lab"). */
  readonly greeting?: string;
  /** Extension lines of the EHLO reply (default PIPELINING, 8BITMIME, plus STARTTLS when `starttls` is set). */
  readonly extensions?: readonly string[];
  /** The whole EHLO reply, raw, instead of the default; or what to do instead of answering. */
  readonly ehlo?: string | 'close' | 'reset';
  /** The whole HELO reply, raw, instead of "250 host". */
  readonly helo?: string;
  /** What to do with QUIT: answer 221 and close (default), or say nothing and keep the connection open. */
  readonly quit?: 'answer' | 'ignore';
  /** The answer to STARTTLS: a raw reply (e.g. "454 …"), or a 220 followed by `AfterStarttls`. */
  readonly starttls?: string | AfterStarttls;
}

const DEFAULT_EXTENSIONS = ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES'];

/**
 * A conventional SMTP server loop with hostile overrides: greeting, EHLO, HELO,
 * STARTTLS, NOOP/RSET, QUIT (221, then close). Anything else is 502; MAIL is never
 * accepted, so nothing can ever be relayed.
 */
export async function smtpSession(c: Conn, plan: SmtpPlan): Promise<void> {
  c.write(plan.greeting ?? `220 ${plan.host} ESMTP hostile-lab\r\n`);
  let inTls = false;
  let ehloAfterTls: readonly string[] | undefined;
  for (;;) {
    const line = await c.line();
    const verb = (line.split(' ')[0] ?? '').toUpperCase();
    switch (verb) {
      case 'EHLO': {
        if (!inTls && plan.ehlo === 'close') return c.end();
        if (!inTls && plan.ehlo === 'reset') return c.reset();
        if (!inTls && plan.ehlo !== undefined) {
          c.write(plan.ehlo);
          break;
        }
        const offerTls = !inTls && plan.starttls !== undefined;
        const lines = inTls && ehloAfterTls !== undefined ? ehloAfterTls : [...(plan.extensions ?? DEFAULT_EXTENSIONS), ...(offerTls ? ['STARTTLS'] : [])];
        c.write(reply(250, [`${plan.host} greets you`, ...lines]));
        break;
      }
      case 'HELO':
        c.write(plan.helo ?? `250 ${plan.host}\r\n`);
        break;
      case 'STARTTLS': {
        const answer = plan.starttls;
        if (inTls || answer === undefined) {
          c.write('502 5.5.2 not implemented\r\n');
          break;
        }
        if (typeof answer === 'string') {
          c.write(answer);
          break;
        }
        if (answer.kind === 'raw') {
          c.write('220 2.0.0 go ahead\r\n');
          return answer.then(c);
        }
        c.write(`220 2.0.0 go ahead\r\n${answer.inject ?? ''}`);
        c.startTls(answer.context);
        await c.secured();
        inTls = true;
        ehloAfterTls = answer.ehloAfterTls;
        break;
      }
      case 'NOOP':
      case 'RSET':
        c.write('250 2.0.0 ok\r\n');
        break;
      case 'QUIT':
        if (plan.quit === 'ignore') return c.hold();
        c.write('221 2.0.0 bye\r\n');
        return c.end();
      default:
        c.write('502 5.5.2 not implemented\r\n');
    }
  }
}

/** A TLS alert record (fatal), as a server sends it instead of a ServerHello. */
export function tlsAlert(description: number): Buffer {
  return Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, description]);
}

export const ALERT = { handshake_failure: 40, protocol_version: 70 } as const;
