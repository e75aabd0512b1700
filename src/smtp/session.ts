/**
 * One SMTP session to one IP:port, as a sequence of "send this, expect that
 * reply next" steps, each under its own deadline (src/smtp/deadline.ts):
 *
 *   STARTTLS:  connect → greeting → EHLO (HELO if refused) → STARTTLS → 220
 *              → discard buffered plaintext → TLS → EHLO inside TLS → QUIT
 *   implicit:  connect → TLS → greeting → EHLO → QUIT
 *
 * The session records what it observes in a SessionFacts as it goes and throws
 * a ScanError naming the phase when it cannot go on, so whatever was seen before
 * the failure is kept. It judges nothing and closes nothing: the caller owns the
 * sockets (`track`) and destroys them on every path.
 */
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { atPhase, ScanError, type ErrorCode } from '../model/errors.js';
import type { CertificateFacts, Phase, TlsFacts } from '../model/probe.js';
import { upgradeTls, type ServerHelloFacts, type TlsOffer } from '../tls/upgrade.js';
import { connectWithin, type ConnectFn } from '../net/connect.js';
import type { ProbeDeadline } from '../net/deadline.js';
import { extensionLines, hasStartTls, parseEhlo } from './ehlo.js';
import { describeReply, SmtpReplyError } from './failure.js';
import type { SmtpReply } from './reply-parser.js';
import { ReplyReader } from './reply-reader.js';
import type { Transcript } from './transcript.js';

/** The address a session talks to. */
export interface SessionTarget {
  readonly ip: string;
  readonly port: number;
  /** SNI and the name for hostnameMatch; null for an IP-literal relay (no SNI is sent). */
  readonly sni: string | null;
  /** TLS from the first byte (port 465 or --implicit-tls) instead of STARTTLS. */
  readonly implicitTls?: boolean;
}

/** Each phase's deadline, all capped by `probeMs`. */
export interface SessionTimeouts {
  readonly connectMs: number;
  readonly greetingMs: number;
  readonly commandMs: number;
  readonly tlsMs: number;
  /** The whole probe, connect to QUIT; caps every phase. */
  readonly probeMs: number;
}

/** How a session behaves: what it says and how long it waits. */
export interface SessionOptions {
  /** The name sent with EHLO/HELO. */
  readonly heloName: string;
  readonly timeouts: SessionTimeouts;
  /** Trust anchors (PEM) for the certificate's `trusted` verdict. */
  readonly trustAnchors: readonly string[];
  /** A client certificate to present in every handshake. */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
}

/** The session's IO: TCP, a monotonic clock, and the wall clock for certificate expiry. */
export interface SessionIo {
  readonly connect: ConnectFn;
  /** Monotonic milliseconds (performance.now). */
  readonly now: () => number;
  /** Wall-clock milliseconds (Date.now), for certificate expiry. */
  readonly wallClock: () => number;
}

/** What a session needs from the probe around it. */
export interface SessionEnv {
  readonly target: SessionTarget;
  readonly options: SessionOptions;
  readonly deps: SessionIo;
  readonly deadline: ProbeDeadline;
  /** Monotonic milliseconds since the probe started. */
  readonly elapsed: () => number;
  /** Sockets and streams (TCP, the handshake tap, TLS) destroyed newest first when the probe ends. */
  readonly track: (socket: Duplex) => void;
  /** With --trace: where the session records its dialogue. */
  readonly transcript?: Transcript;
}

/**
 * Which TLS versions to offer, and how far to go. The optional TlsOffer fields
 * (ciphers, ecdhCurve, sigalgs) replace Node's defaults for this session's
 * handshake (a check that tests what the server accepts); absent, the offer is the plain probe's.
 */
export interface SessionPlan extends TlsOffer {
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** Send QUIT right after the handshake (the legacy-version check needs nothing more). */
  readonly stopAfterTls: boolean;
  /** False: the certificate is not read (a session that only tests what the server accepts). Default true. */
  readonly readCertificate?: boolean;
}

/** What the session observed, filled in as it goes; kept whatever the outcome. */
export interface SessionFacts {
  connectMs: number | null;
  greetingMs: number | null;
  tlsMs: number | null;
  banner: string | null;
  extensions: readonly string[];
  starttls: boolean;
  extensionsAfterTls?: readonly string[];
  tlsMode?: 'starttls' | 'implicit';
  tls?: TlsFacts;
  certificate?: CertificateFacts;
  plaintextDiscardedBytes?: number;
  /** The server's ServerHello as read from the wire (set whether the handshake then completed or failed). */
  serverHello?: ServerHelloFacts;
}

export function emptyFacts(): SessionFacts {
  return { connectMs: null, greetingMs: null, tlsMs: null, banner: null, extensions: [], starttls: false };
}

/** Runs the whole session. Rejects with a ScanError (with its phase) when the session cannot complete. */
export async function runSession(env: SessionEnv, plan: SessionPlan, facts: SessionFacts): Promise<void> {
  const offer = `offering ${plan.minVersion}${plan.maxVersion === plan.minVersion ? '' : ` to ${plan.maxVersion}`}`;
  const opened = await openSession(env, facts, offer);
  await finishSession(env, plan, facts, opened);
}

/**
 * A session up to the point where its TLS offer is needed: connected, and for
 * STARTTLS greeted, EHLO answered and STARTTLS accepted (the plaintext after it
 * discarded); for implicit TLS only connected. The offer can then be chosen
 * later (an enumeration prepares its next session while a handshake runs).
 */
export interface OpenedSession {
  readonly socket: Socket;
}

/** The first half of runSession: everything before the handshake. `offer` only words the transcript's first line. */
export async function openSession(env: SessionEnv, facts: SessionFacts, offer?: string): Promise<OpenedSession> {
  assertHeloName(env.options.heloName);
  env.transcript?.add('note', `connecting to ${env.target.ip}:${env.target.port} (${env.target.implicitTls === true ? 'implicit TLS' : 'STARTTLS'}${offer === undefined ? '' : `, ${offer}`})`);
  let socket: Socket;
  try {
    socket = await connectTcp(env);
  } catch (error) {
    env.transcript?.add('note', `not connected: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
  facts.connectMs = env.elapsed();
  env.transcript?.add('note', 'connected');
  if (env.target.implicitTls === true) facts.tlsMode = 'implicit';
  else await startTlsPrelude(env, facts, socket);
  return { socket };
}

/** The second half of runSession: the handshake with this plan, and what follows it. */
export async function finishSession(env: SessionEnv, plan: SessionPlan, facts: SessionFacts, opened: OpenedSession): Promise<void> {
  if (env.target.implicitTls === true) await implicitTlsSession(env, plan, facts, opened.socket);
  else await startTlsSession(env, plan, facts, opened.socket);
}

/** Greeting, EHLO (HELO if refused), STARTTLS and its 220; rejects when the server does not get that far. */
async function startTlsPrelude(env: SessionEnv, facts: SessionFacts, socket: Socket): Promise<void> {
  const plain = new ReplyReader(socket, env.transcript);
  await readGreeting(env, plain, facts);
  const hello = await plaintextHello(env, plain);
  facts.extensions = hello.extensions;
  facts.starttls = hello.starttls;
  if (hello.ehloRefusal !== null) {
    plain.send('QUIT');
    throw new SmtpReplyError(
      'starttls-not-offered',
      `EHLO was refused (${describeReply(hello.ehloRefusal)}); the session went on with HELO, which cannot offer STARTTLS`,
      'ehlo',
      hello.ehloRefusal,
    );
  }
  if (!hello.starttls) {
    plain.send('QUIT');
    throw new ScanError('starttls-not-offered', 'the EHLO reply does not advertise STARTTLS', { phase: 'ehlo' });
  }
  facts.tlsMode = 'starttls';
  const answer = await command(env, plain, 'STARTTLS', 'starttls');
  if (answer.code !== 220) {
    plain.send('QUIT');
    throw new SmtpReplyError('starttls-rejected', `STARTTLS was answered ${describeReply(answer)}`, 'starttls', answer);
  }
  // RFC 3207 §6: nothing received before the handshake may be taken as a reply after it.
  facts.plaintextDiscardedBytes = plain.release();
}

async function startTlsSession(env: SessionEnv, plan: SessionPlan, facts: SessionFacts, socket: Socket): Promise<void> {
  const secure = await handshake(env, plan, facts, socket);
  if (plan.stopAfterTls) return quitOver(secure, env.transcript);
  const reader = new ReplyReader(secure, env.transcript);
  const ehlo = await helloInsideTls(env, reader);
  facts.extensionsAfterTls = extensionLines(ehlo);
  reader.detach();
  return quitOver(secure, env.transcript);
}

async function implicitTlsSession(env: SessionEnv, plan: SessionPlan, facts: SessionFacts, socket: Socket): Promise<void> {
  const secure = await handshake(env, plan, facts, socket);
  if (plan.stopAfterTls) return quitOver(secure, env.transcript);
  const reader = new ReplyReader(secure, env.transcript);
  await readGreeting(env, reader, facts);
  const ehlo = await helloInsideTls(env, reader);
  // The only EHLO is inside TLS: it is both the first EHLO and the EHLO after TLS.
  facts.extensions = extensionLines(ehlo);
  facts.extensionsAfterTls = facts.extensions;
  facts.starttls = hasStartTls(parseEhlo(ehlo));
  reader.detach();
  return quitOver(secure, env.transcript);
}

/** How long QUIT may take to leave this machine; the reply is never waited for. */
const QUIT_FLUSH_MS = 250;

/**
 * QUIT is best effort: written and the connection closed politely (TLS
 * close_notify, then FIN), waiting only until those bytes have left this
 * process (bounded), never for the server's 221.
 */
async function quitOver(socket: Socket, transcript?: Transcript): Promise<void> {
  if (!socket.writable) return;
  transcript?.add('sent', 'QUIT (the reply is not waited for)');
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, QUIT_FLUSH_MS);
    socket.write('QUIT\r\n', () => resolve());
    socket.end();
  });
  clearTimeout(timer);
}

/** The name goes into a command line: printable ASCII without spaces, or it is a bug upstream. */
function assertHeloName(name: string): void {
  if (!/^[\x21-\x7e]{1,255}$/.test(name)) throw new TypeError(`invalid EHLO name: ${JSON.stringify(name)}`);
}

// ── connect ──

function connectTcp(env: SessionEnv): Promise<Socket> {
  return connectWithin({
    ip: env.target.ip,
    port: env.target.port,
    connect: env.deps.connect,
    deadline: env.deadline,
    connectMs: env.options.timeouts.connectMs,
    track: env.track,
  });
}

// ── replies ──

async function readGreeting(env: SessionEnv, reader: ReplyReader, facts: SessionFacts): Promise<void> {
  const ms = env.options.timeouts.greetingMs;
  const onTimeout = (): ScanError => new ScanError('greeting-timeout', `no complete greeting within ${ms} ms`, { phase: 'greeting' });
  const reply = await expectReply(env, reader, 'greeting', ms, onTimeout);
  facts.greetingMs = env.elapsed();
  facts.banner = reply.lines.join('\n');
  if (reply.code === 220) return;
  if (isRejection(reply)) reader.send('QUIT');
  throw refusal(reply, 'greeting-rejected', 'greeting', 'the greeting');
}

/** Sends a command and expects its reply within the command deadline. */
async function command(env: SessionEnv, reader: ReplyReader, line: string, phase: Phase): Promise<SmtpReply> {
  const ms = env.options.timeouts.commandMs;
  const verb = line.split(' ')[0] ?? line;
  reader.send(line);
  return expectReply(env, reader, phase, ms, () => new ScanError('command-timeout', `no complete reply to ${verb} within ${ms} ms`, { phase }));
}

async function expectReply(env: SessionEnv, reader: ReplyReader, phase: Phase, ms: number, onTimeout: () => ScanError): Promise<SmtpReply> {
  const deadline = env.deadline.phase(ms, onTimeout);
  try {
    return await reader.read(phase, deadline.signal);
  } finally {
    deadline.dispose();
  }
}

interface PlaintextHello {
  readonly extensions: readonly string[];
  readonly starttls: boolean;
  /** The EHLO refusal when the session went on with HELO. */
  readonly ehloRefusal: SmtpReply | null;
}

/** EHLO, and HELO when EHLO gets a 5xx (RFC 5321 §4.1.4); a HELO session has no extensions. */
async function plaintextHello(env: SessionEnv, reader: ReplyReader): Promise<PlaintextHello> {
  const ehlo = await command(env, reader, `EHLO ${env.options.heloName}`, 'ehlo');
  if (ehlo.code === 250) return { extensions: extensionLines(ehlo), starttls: hasStartTls(parseEhlo(ehlo)), ehloRefusal: null };
  if (ehlo.code < 500 || ehlo.code > 599) throw refusalAndQuit(reader, ehlo, 'ehlo-rejected', 'ehlo', 'EHLO');
  const helo = await command(env, reader, `HELO ${env.options.heloName}`, 'ehlo');
  if (helo.code === 250) return { extensions: [], starttls: false, ehloRefusal: ehlo };
  throw refusalAndQuit(reader, helo, 'ehlo-rejected', 'ehlo', 'HELO, after EHLO was refused,');
}

/** EHLO inside TLS: a 4xx/5xx here is the server refusing the session after the handshake. */
async function helloInsideTls(env: SessionEnv, reader: ReplyReader): Promise<SmtpReply> {
  const ehlo = await command(env, reader, `EHLO ${env.options.heloName}`, 'ehlo-after-tls');
  if (ehlo.code === 250) return ehlo;
  throw refusalAndQuit(reader, ehlo, 'ehlo-after-tls-rejected', 'ehlo-after-tls', 'EHLO inside TLS');
}

function isRejection(reply: SmtpReply): boolean {
  return reply.code >= 400 && reply.code <= 599;
}

/** A 4xx/5xx is a refusal with `code`; any other unexpected code breaks the protocol. */
function refusal(reply: SmtpReply, code: ErrorCode, phase: Phase, what: string): SmtpReplyError {
  if (isRejection(reply)) return new SmtpReplyError(code, `${what} was refused: ${describeReply(reply)}`, phase, reply);
  return new SmtpReplyError('reply-malformed', `${what} got an unexpected reply: ${describeReply(reply)}`, phase, reply);
}

function refusalAndQuit(reader: ReplyReader, reply: SmtpReply, code: ErrorCode, phase: Phase, what: string): SmtpReplyError {
  reader.send('QUIT');
  return refusal(reply, code, phase, what);
}

// ── TLS ──

async function handshake(env: SessionEnv, plan: SessionPlan, facts: SessionFacts, socket: Socket): Promise<TLSSocket> {
  const ms = env.options.timeouts.tlsMs;
  const deadline = env.deadline.phase(ms, () => new ScanError('tls-timeout', `no TLS handshake within ${ms} ms`, { phase: 'tls' }));
  try {
    const upgrade = await upgradeTls(socket, {
      sni: env.target.sni,
      minVersion: plan.minVersion,
      maxVersion: plan.maxVersion,
      trustAnchors: env.options.trustAnchors,
      clientCertificate: env.options.clientCertificate,
      signal: deadline.signal,
      wallClock: env.deps.wallClock,
      ...(plan.readCertificate === false ? { readCertificate: false } : {}),
      onSocket: env.track,
      onServerHello: (hello) => {
        facts.serverHello = hello;
      },
      ...(plan.ciphers !== undefined ? { ciphers: plan.ciphers } : {}),
      ...(plan.ecdhCurve !== undefined ? { ecdhCurve: plan.ecdhCurve } : {}),
      ...(plan.sigalgs !== undefined ? { sigalgs: plan.sigalgs } : {}),
    });
    facts.tlsMs = env.elapsed();
    facts.tls = upgrade.tls;
    if (upgrade.certificate !== undefined) facts.certificate = upgrade.certificate;
    const kx = upgrade.tls.keyExchange;
    env.transcript?.add(
      'tls',
      `handshake: ${upgrade.tls.protocol} ${upgrade.tls.cipher.standardName}${kx.group ? ` ${kx.group}` : ''}; certificate ${upgrade.certificate?.subject ?? 'unreadable'}`,
    );
    return upgrade.socket;
  } catch (error) {
    env.transcript?.add('tls', `handshake failed: ${error instanceof Error ? error.message : String(error)}`);
    throw atPhase(error, 'tls');
  } finally {
    deadline.dispose();
  }
}
