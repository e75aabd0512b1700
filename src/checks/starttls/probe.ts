/**
 * The STARTTLS check's prober: one SMTP session to one IP:port (src/smtp/session.ts)
 * with the fixed client profile, turned into a ProbeResult. The first session
 * offers TLS 1.2-1.3 at OpenSSL's default security level, as a current MTA does;
 * when it fails for want of a common version, the legacy check makes a second,
 * full session offering TLS 1.0-1.1 at security level 0 and keeps its facts.
 * Nothing here reads the policy.
 *
 * probe() never throws: failures are data (status + error with its phase and
 * code, and everything observed before them), and a bug becomes status
 * "internal-error" for this probe alone. Every socket is destroyed and every
 * timer cleared before the promise settles.
 */
import { describeBug, ScanError } from '../../model/errors.js';
import type { Phase, ProbeError, ProbeResult, ProbeStatus, TranscriptSession } from '../../model/probe.js';
import { tlsVersionRank } from '../../model/tls-versions.js';
import { ProbeDeadline } from '../../net/deadline.js';
import { REAL_IO } from '../../net/io.js';
import { SocketSet } from '../../net/sockets.js';
import { SmtpReplyError } from '../../smtp/failure.js';
import { emptyFacts, runSession, type SessionEnv, type SessionFacts, type SessionPlan } from '../../smtp/session.js';
import { Transcript } from '../../smtp/transcript.js';
import { isVersionFailure } from '../../tls/upgrade.js';
import type { ProbeDeps, ProbeOptions, ProbeTarget } from './types.js';


/** The first session: what a current MTA offers. */
const CURRENT: SessionPlan = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', stopAfterTls: false };
/** The legacy check's session: TLS 1.0-1.1 at security level 0 (OpenSSL 3 refuses them otherwise), in full. */
const LEGACY: SessionPlan = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', stopAfterTls: false };
/** Legacy acceptance: the same offer, handshake only; its protocol is all it tells. */
const LEGACY_HANDSHAKE: SessionPlan = { ...LEGACY, stopAfterTls: true, readCertificate: false };

/**
 * Probes one address. Never rejects. `deps` replaces parts of the IO (tests inject
 * a connect function or clocks).
 */
export async function probe(target: ProbeTarget, options: ProbeOptions, deps: Partial<ProbeDeps> = {}): Promise<ProbeResult> {
  const io: ProbeDeps = { ...REAL_IO, ...deps };
  const sockets = new SocketSet();
  const transcripts: Transcript[] = [];
  let facts = emptyFacts();
  let startedAt = 0;
  let deadline: ProbeDeadline | undefined;
  const elapsed = (): number => io.now() - startedAt;
  try {
    startedAt = io.now();
    deadline = new ProbeDeadline({ totalMs: options.timeouts.probeMs, now: io.now, signal: options.signal });
    const env: SessionEnv = { target, options, deps: io, deadline, elapsed, track: (s) => sockets.add(s) };
    const sessions = options.trace === true ? transcripts : null;
    const outcome = await probeSessions(env, facts, sockets, options.legacyCheck, sessions);
    facts = outcome.facts;
    await sockets.destroyAll();
    const legacyAccepted = options.legacyAcceptance === true ? await legacyAcceptance(() => traced(env, 'legacy-acceptance', sessions), facts, sockets) : undefined;
    const ending = legacyAccepted === undefined ? outcome.ending : { ...outcome.ending, legacyAccepted };
    return withTranscript(buildResult(target, facts, ending, elapsed(), options), sessions);
  } catch (bug) {
    await sockets.destroyAll();
    return withTranscript(buildResult(target, facts, internalError(bug), safeElapsed(elapsed)), options.trace === true ? transcripts : null);
  } finally {
    deadline?.dispose();
  }
}

/** How the probe ended. */
interface Ending {
  readonly status: ProbeStatus;
  readonly error?: ProbeError;
  readonly legacyCheck?: 'negotiated' | 'refused' | 'incomplete';
  readonly legacyAccepted?: string | null;
}

/**
 * Whether a server that speaks a current version still accepts TLS 1.0/1.1 from
 * a client offering only those: one more session, handshake only. Undefined
 * when it cannot tell (no handshake to start from, or the second session failed
 * before its handshake).
 */
async function legacyAcceptance(session: () => SessionEnv, facts: SessionFacts, sockets: SocketSet): Promise<string | null | undefined> {
  if (facts.tls === undefined) return undefined;
  if (tlsVersionRank(facts.tls.protocol) < tlsVersionRank('TLSv1.2')) return facts.tls.protocol;
  const old = emptyFacts();
  const failure = await sessionFailure(session(), LEGACY_HANDSHAKE, old);
  await sockets.destroyAll();
  if (old.tls !== undefined) return old.tls.protocol;
  return failure !== null && failure.code === 'tls-handshake-failed' ? null : undefined;
}

/** The session environment with a transcript of its own, when the probe records them. */
function traced(env: SessionEnv, session: TranscriptSession['session'], sessions: Transcript[] | null): SessionEnv {
  if (sessions === null) return env;
  const transcript = new Transcript(session, env.elapsed);
  sessions.push(transcript);
  return { ...env, transcript };
}

function withTranscript(result: ProbeResult, sessions: readonly Transcript[] | null): ProbeResult {
  return sessions === null ? result : { ...result, transcript: sessions.map((t) => t.toJSON()) };
}

/** The first session and, when it failed for want of a common version, the legacy check. */
async function probeSessions(
  env: SessionEnv,
  facts: SessionFacts,
  sockets: SocketSet,
  legacyCheck: boolean,
  sessions: Transcript[] | null,
): Promise<{ ending: Ending; facts: SessionFacts }> {
  const failure = await sessionFailure(traced(env, 'first', sessions), CURRENT, facts);
  if (failure === null) return { ending: { status: 'ok' }, facts };
  if (!isNoCommonVersion(failure)) return { ending: endingOf(failure), facts };
  if (!legacyCheck) {
    const message = `the server negotiates neither TLSv1.2 nor TLSv1.3 (${failure.message}); older versions were not tried (--no-legacy-check)`;
    return { ending: endingOf(unsupported(message, failure)), facts };
  }
  await sockets.destroyAll(); // one connection at a time
  const older = emptyFacts();
  const olderFailure = await sessionFailure(traced(env, 'legacy-check', sessions), LEGACY, older);
  // A handshake in an older version happened: that session's facts and ending are the probe's.
  if (older.tls !== undefined) {
    const ending = olderFailure === null ? { status: 'ok' as const } : endingOf(olderFailure);
    return { ending: { ...ending, legacyCheck: 'negotiated' }, facts: older };
  }
  if (olderFailure !== null && olderFailure.code === 'tls-handshake-failed') {
    const message =
      `the server negotiates no version from TLSv1 to TLSv1.3 (offering TLSv1.2 to TLSv1.3: ${failure.message};` +
      ` offering TLSv1 to TLSv1.1: ${olderFailure.message})`;
    return { ending: { ...endingOf(unsupported(message, failure)), legacyCheck: 'refused' }, facts };
  }
  const why = olderFailure === null ? 'no handshake' : olderFailure.message;
  const message = `the server negotiates neither TLSv1.2 nor TLSv1.3 (${failure.message}); the session offering TLSv1 to TLSv1.1 did not reach a handshake (${why})`;
  return { ending: { ...endingOf(unsupported(message, failure)), legacyCheck: 'incomplete' }, facts };
}

function unsupported(message: string, cause: ScanError): ScanError {
  return new ScanError('tls-version-unsupported', message, { phase: 'tls', cause });
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

/** The handshake failed because client and server share no protocol version. */
function isNoCommonVersion(failure: ScanError): boolean {
  return failure.code === 'tls-handshake-failed' && failure.phase === 'tls' && isVersionFailure(failure);
}

function endingOf(error: ScanError): Ending {
  const phase = error.phase ?? 'internal';
  const record: ProbeError = {
    phase,
    code: error.code,
    message: error.message,
    ...(error instanceof SmtpReplyError ? { reply: error.reply } : {}),
  };
  return { status: statusFor(error.code, phase), error: record };
}

function internalError(bug: unknown): Ending {
  return { status: 'internal-error', error: { phase: 'internal', code: 'internal-error', message: describeBug(bug) } };
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
    ...(ending.legacyCheck !== undefined ? { legacyCheck: ending.legacyCheck } : {}),
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
