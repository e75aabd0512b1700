/**
 * One probe: one SMTP session to one IP:port (src/smtp/session.ts), turned into
 * a ProbeResult. probe() never throws: failures are data (status + error with
 * its phase and code, and everything observed before them), and a bug becomes
 * status "internal-error" for this probe alone. Every socket is destroyed and
 * every timer cleared before the promise settles.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { SecureVersion } from 'node:tls';
import { ScanError } from '../errors.js';
import type { Phase, ProbeError, ProbeResult, ProbeStatus } from '../model/probe.js';
import { ProbeDeadline } from '../smtp/deadline.js';
import { SmtpReplyError } from '../smtp/failure.js';
import { emptyFacts, runSession, type SessionEnv, type SessionFacts, type SessionPlan } from '../smtp/session.js';
import { isVersionFailure, versionBelow, versionRank } from '../tls/upgrade.js';
import type { ProbeDeps, ProbeOptions, ProbeTarget } from './types.js';

/** Real IO: TCP via net.connect, performance.now as the monotonic clock, Date.now for certificate expiry. */
export const DEFAULT_PROBE_DEPS: ProbeDeps = {
  connect: (ip, port) => netConnect({ host: ip, port }),
  now: () => performance.now(),
  wallClock: () => Date.now(),
};

/** How long cleanup waits for destroyed sockets to report 'close' (it is normally one event-loop turn). */
const CLOSE_WAIT_MS = 1000;

/**
 * Probes one address. Never rejects. `deps` replaces parts of the IO (tests inject
 * a connect function or clocks).
 */
export async function probe(target: ProbeTarget, options: ProbeOptions, deps: Partial<ProbeDeps> = {}): Promise<ProbeResult> {
  const io: ProbeDeps = { ...DEFAULT_PROBE_DEPS, ...deps };
  const sockets = new SocketSet();
  let facts = emptyFacts();
  let startedAt = 0;
  let deadline: ProbeDeadline | undefined;
  const elapsed = (): number => io.now() - startedAt;
  try {
    startedAt = io.now();
    deadline = new ProbeDeadline({ totalMs: options.timeouts.probeMs, now: io.now, signal: options.signal });
    const env: SessionEnv = { target, options, deps: io, deadline, elapsed, track: (s) => sockets.add(s) };
    const outcome = await probeSession(env, facts, sockets);
    facts = outcome.facts;
    await sockets.destroyAll();
    const legacyAccepted = options.checkLegacyAcceptance === true ? await legacyAcceptance(env, facts, sockets) : undefined;
    const ending = legacyAccepted === undefined ? outcome.ending : { ...outcome.ending, legacyAccepted };
    return buildResult(target, facts, ending, elapsed(), options);
  } catch (bug) {
    await sockets.destroyAll();
    return buildResult(target, facts, internalError(bug), safeElapsed(elapsed));
  } finally {
    deadline?.dispose();
  }
}

/** How the probe ended. */
interface Ending {
  readonly status: ProbeStatus;
  readonly error?: ProbeError;
  readonly legacyProtocol?: string | null;
  readonly legacyAccepted?: string | null;
}

/**
 * Whether a server that speaks a current version still accepts TLS 1.0/1.1 from
 * a client offering only those: one more session, handshake only. Undefined
 * when it cannot tell (the first session got no handshake, or the second failed
 * before its handshake).
 */
async function legacyAcceptance(env: SessionEnv, facts: SessionFacts, sockets: SocketSet): Promise<string | null | undefined> {
  if (facts.tls === undefined) return undefined;
  if (versionRank(facts.tls.protocol) < versionRank('TLSv1.2')) return facts.tls.protocol;
  const old = emptyFacts();
  const failure = await sessionFailure(env, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', stopAfterTls: true }, old);
  await sockets.destroyAll();
  if (old.tls !== undefined) return old.tls.protocol;
  return failure !== null && failure.code === 'tls-handshake-failed' ? null : undefined;
}

/**
 * The session, then, when it failed for want of a common version, one more:
 *
 * - With a policy minimum of TLS 1.2 or more, the legacy check names the older
 *   version the server speaks.
 * - With a minimum below TLS 1.2 (--min-tls 1.0/1.1), the first session still
 *   offers TLS 1.2 and 1.3 only, at OpenSSL's default security level, so that
 *   `trusted` is OpenSSL's verdict at that level for every server that speaks a
 *   current version; only a server that does not gets a second, full session
 *   offering the older versions at security level 0 (OpenSSL 3 refuses TLS
 *   1.0/1.1 otherwise), whose facts become the result.
 */
async function probeSession(env: SessionEnv, facts: SessionFacts, sockets: SocketSet): Promise<{ ending: Ending; facts: SessionFacts }> {
  const minimum: SecureVersion = env.options.minTlsVersion;
  const current = versionRank(minimum) < versionRank('TLSv1.2');
  const firstMin: SecureVersion = current ? 'TLSv1.2' : minimum;
  const failure = await sessionFailure(env, { minVersion: firstMin, maxVersion: 'TLSv1.3', stopAfterTls: false }, facts);
  if (failure === null) return { ending: { status: 'ok' }, facts };
  if (current && needsLegacyCheck(failure)) {
    await sockets.destroyAll(); // one connection at a time
    const older = emptyFacts();
    const olderFailure = await sessionFailure(env, { minVersion: minimum, maxVersion: 'TLSv1.1', stopAfterTls: false }, older);
    if (olderFailure === null) return { ending: { status: 'ok' }, facts: older };
    // A handshake in an older version happened: that session's facts and ending are the probe's.
    if (older.tls !== undefined) return { ending: endingOf(olderFailure), facts: older };
    // No version from the policy's minimum up works: the first session's facts and failure stand.
    return { ending: endingOf(failure, null), facts };
  }
  const below = versionBelow(minimum);
  if (!env.options.legacyCheck || below === null || !needsLegacyCheck(failure)) return { ending: endingOf(failure), facts };
  await sockets.destroyAll(); // one connection at a time
  return { ending: await legacyCheck(env, failure, below), facts };
}

/** Runs a session; its ScanError is returned, anything else (a bug) propagates. */
async function sessionFailure(env: SessionEnv, plan: SessionPlan, facts: SessionFacts): Promise<ScanError | null> {
  try {
    await runSession(env, plan, facts);
    return null;
  } catch (error) {
    if (error instanceof ScanError) return error;
    throw error;
  }
}

function needsLegacyCheck(failure: ScanError): boolean {
  return failure.code === 'tls-handshake-failed' && failure.phase === 'tls' && isVersionFailure(failure);
}

/**
 * A second full session offering only versions below the minimum (TLSv1 up to
 * `below`, at OpenSSL security level 0), under the same probe deadline, to name
 * what the server does speak. The status stays tls-failed; legacyProtocol is the
 * version it negotiated, null when that handshake failed too, and absent when the
 * second session could not get as far as a handshake.
 */
async function legacyCheck(env: SessionEnv, failure: ScanError, below: SecureVersion): Promise<Ending> {
  const legacy = emptyFacts();
  const legacyFailure = await sessionFailure(env, { minVersion: 'TLSv1', maxVersion: below, stopAfterTls: true }, legacy);
  const minimum = env.options.minTlsVersion;
  if (legacy.tls !== undefined) {
    const protocol = legacy.tls.protocol;
    const message = `server only negotiates ${protocol}: offering ${minimum} or better failed (${failure.message})`;
    return endingOf(new ScanError('tls-version-unsupported', message, { phase: 'tls', cause: failure }), protocol);
  }
  if (legacyFailure !== null && legacyFailure.code === 'tls-handshake-failed') {
    const message =
      `server negotiates no version from TLSv1 to TLSv1.3 (offering ${minimum} or better: ${failure.message};` +
      ` offering TLSv1 to ${below}: ${legacyFailure.message})`;
    return endingOf(new ScanError('tls-version-unsupported', message, { phase: 'tls', cause: failure }), null);
  }
  const why = legacyFailure === null ? 'no handshake' : legacyFailure.message;
  const message = `${failure.message} (the check for older versions did not complete: ${why})`;
  return endingOf(new ScanError(failure.code, message, { phase: 'tls', cause: failure.cause }));
}

function endingOf(error: ScanError, legacyProtocol?: string | null): Ending {
  const phase = error.phase ?? 'internal';
  const record: ProbeError = {
    phase,
    code: error.code,
    message: error.message,
    ...(error instanceof SmtpReplyError ? { reply: error.reply } : {}),
  };
  const ending = { status: statusFor(error.code, phase), error: record };
  return legacyProtocol === undefined ? ending : { ...ending, legacyProtocol };
}

function internalError(bug: unknown): Ending {
  const message = bug instanceof Error ? `${bug.name}: ${bug.message}` : String(bug);
  return { status: 'internal-error', error: { phase: 'internal', code: 'internal-error', message } };
}

/** The status for an error code (and, for a few codes, the phase where it happened). */
export function statusFor(code: string, phase: Phase): ProbeStatus {
  switch (code) {
    case 'connect-refused':
    case 'connect-unreachable':
    case 'connect-error':
      return 'connection-refused';
    case 'connect-timeout':
      return 'connection-timeout';
    case 'tls-alert':
      // After the handshake the server refused the session (typically: no client certificate).
      return phase === 'tls' ? 'tls-failed' : 'smtp-rejected';
    case 'connection-closed':
    case 'connection-reset':
      // A server that hangs up on the EHLO inside TLS refuses the session after the handshake.
      return phase === 'ehlo-after-tls' ? 'smtp-rejected' : 'connection-closed';
    case 'greeting-timeout':
    case 'command-timeout':
    case 'probe-timeout':
    case 'tls-timeout':
    case 'interrupted':
      return 'timeout';
    case 'greeting-rejected':
    case 'ehlo-rejected':
    case 'ehlo-after-tls-rejected':
      return 'smtp-rejected';
    case 'starttls-not-offered':
      return 'no-starttls';
    case 'starttls-rejected':
      return 'starttls-rejected';
    case 'reply-malformed':
    case 'reply-too-long':
      return 'protocol-error';
    case 'tls-handshake-failed':
    case 'tls-version-unsupported':
      return 'tls-failed';
    case 'private-address':
      return 'refused-private';
    default:
      return 'internal-error';
  }
}

function buildResult(target: ProbeTarget, facts: SessionFacts, ending: Ending, totalMs: number, options?: ProbeOptions): ProbeResult {
  return {
    status: ending.status,
    banner: facts.banner,
    extensions: [...facts.extensions],
    starttls: facts.starttls,
    ...(facts.extensionsAfterTls !== undefined ? { extensionsAfterTls: [...facts.extensionsAfterTls] } : {}),
    ...(facts.tlsMode !== undefined ? { tlsMode: facts.tlsMode } : {}),
    sni: target.sni,
    ...(facts.tls !== undefined ? { tls: facts.tls } : {}),
    ...(facts.certificate !== undefined ? { certificate: facts.certificate } : {}),
    ...(facts.plaintextDiscardedBytes !== undefined ? { plaintextDiscardedBytes: facts.plaintextDiscardedBytes } : {}),
    ...(ending.legacyProtocol !== undefined ? { legacyProtocol: ending.legacyProtocol } : {}),
    ...(ending.legacyAccepted !== undefined ? { legacyAccepted: ending.legacyAccepted } : {}),
    ...(options?.clientCertificate !== undefined && facts.tlsMode !== undefined ? { clientCertificate: true } : {}),
    ...(ending.error !== undefined ? { error: ending.error } : {}),
    timings: {
      connectMs: roundMs(facts.connectMs),
      greetingMs: roundMs(facts.greetingMs),
      tlsMs: roundMs(facts.tlsMs),
      totalMs: roundMs(totalMs) ?? 0,
    },
  };
}

/** Milliseconds rounded to 0.1. */
function roundMs(ms: number | null): number | null {
  return ms === null || !Number.isFinite(ms) ? null : Math.round(ms * 10) / 10;
}

function safeElapsed(elapsed: () => number): number {
  try {
    return elapsed();
  } catch {
    return 0;
  }
}

/** The probe's sockets (TCP and TLS), destroyed together. */
class SocketSet {
  readonly #sockets = new Map<Duplex, Promise<void>>();

  /** Tracks a socket; its 'close' is listened for from now on, so it cannot be missed. */
  add(socket: Duplex): void {
    if (this.#sockets.has(socket)) return;
    this.#sockets.set(socket, new Promise<void>((resolve) => socket.once('close', () => resolve())));
  }

  /**
   * Destroys every socket, newest first, and waits (bounded) for each one's 'close',
   * so no handle outlives the probe. Newest first matters: a TLS socket must go
   * before the TCP socket under it (the other order can crash Node 20 when a
   * write is still pending in the TLS layer).
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
