/**
 * One enumeration handshake = one full SMTP session (greeting, EHLO, STARTTLS,
 * handshake, QUIT; implicit TLS when the target says so) offering exactly one
 * HandshakeOffer, under its own probe deadline. Never throws for anything the
 * server does: the session's ScanError becomes an outcome. Every socket is
 * destroyed (newest first) and every timer cleared before it resolves.
 */
import { ScanError } from '../../model/errors.js';
import type { ProbeError } from '../../model/probe.js';
import { ProbeDeadline } from '../../net/deadline.js';
import { SocketSet } from '../../net/sockets.js';
import { SmtpReplyError } from '../../smtp/failure.js';
import { emptyFacts, finishSession, openSession, type OpenedSession, type SessionEnv, type SessionFacts, type SessionIo, type SessionPlan, type SessionTarget } from '../../smtp/session.js';
import { groupByCode, groupOfHandshake } from '../../tls/groups.js';
import { cipherString } from './runtime.js';
import { isVersionFailure } from '../../tls/upgrade.js';
import { codeHex, suiteByCode } from './suites.js';
import type { EnumerateOptions, HandshakeOffer, HandshakeOutcome } from './types.js';

/**
 * Enumeration handshakes judge no certificate: an empty anchor list keeps their
 * secure contexts cheap (no root store parsed) and in one memo of their own.
 */
const NO_ANCHORS: readonly string[] = Object.freeze([]);

/** The plan for an offer: versions, the exact cipher string and groups, handshake only. */
export function planFor(offer: HandshakeOffer): SessionPlan {
  return {
    minVersion: offer.minVersion,
    maxVersion: offer.maxVersion,
    stopAfterTls: true,
    readCertificate: false,
    ciphers: cipherString(offer.suites, offer.minVersion, offer.maxVersion),
    ...(offer.groups.length > 0 ? { ecdhCurve: offer.groups.map((g) => g.openssl).join(':') } : {}),
  };
}

/**
 * One enumeration session, opened before its offer is known: the SMTP dialogue
 * up to STARTTLS's 220 starts at once, and `handshake` then makes the offer (so
 * an enumeration can prepare its next session while a handshake runs). A
 * session is used once: `handshake` or `discard`, which both destroy its
 * sockets and clear its timers before they resolve. Neither throws for
 * anything the server does.
 */
export interface PreparedSession {
  /** Resolves true once the session is ready for its offer (STARTTLS accepted), false when it failed before. */
  readonly ready: Promise<boolean>;
  handshake(offer: HandshakeOffer): Promise<HandshakeOutcome>;
  /** Closes a session that will make no offer (the enumeration ended, or stopped). */
  discard(): Promise<void>;
}

export function prepareSession(target: SessionTarget, options: EnumerateOptions, deps: SessionIo): PreparedSession {
  const sockets = new SocketSet();
  const startedAt = deps.now();
  const deadline = new ProbeDeadline({ totalMs: options.timeouts.probeMs, now: deps.now, signal: options.signal });
  const facts = emptyFacts();
  const env: SessionEnv = {
    target,
    options: { ...options, trustAnchors: NO_ANCHORS },
    deps,
    deadline,
    elapsed: () => deps.now() - startedAt,
    track: (socket) => sockets.add(socket),
  };
  const close = async (): Promise<void> => {
    deadline.dispose();
    await sockets.destroyAll();
  };
  // Settled either way before anyone awaits it: a prelude that fails while unused is no unhandled rejection.
  const opened: Promise<OpenedSession | { readonly failed: unknown }> = openSession(env, facts).catch((failed: unknown) => ({ failed }));
  return {
    ready: opened.then((result) => !('failed' in result)),
    async handshake(offer) {
      try {
        const ready = await opened;
        if ('failed' in ready) throw ready.failed;
        await finishSession(env, planFor(offer), facts, ready);
        return acceptedOutcome(facts);
      } catch (error) {
        return outcomeOfFailure(error, facts);
      } finally {
        await close();
      }
    },
    async discard() {
      await opened;
      await close();
    },
  };
}

function acceptedOutcome(facts: SessionFacts): HandshakeOutcome {
  const tls = facts.tls;
  if (tls === undefined) return stopped('internal', 'internal-error', 'the session ended without TLS facts');
  return {
    kind: 'accepted',
    protocol: tls.protocol,
    suite: tls.cipher.standardName,
    name: tls.cipher.name,
    group: groupOf(tls.protocol, tls.keyExchange, facts.serverHello?.group ?? null),
    dhBits: tls.keyExchange.type === 'DH' && tls.protocol !== 'TLSv1.3' ? tls.keyExchange.bits : null,
  };
}

/** A ScanError becomes the outcome: refused in the handshake (with what the ServerHello selected), else stopped. Anything else is a bug and is rethrown. */
function outcomeOfFailure(error: unknown, facts: SessionFacts): HandshakeOutcome {
  if (!(error instanceof ScanError)) throw error;
  const timeout = error.code === 'tls-timeout' || (error.code === 'probe-timeout' && error.phase === 'tls');
  if (error.phase === 'tls' && (error.code === 'tls-handshake-failed' || timeout)) {
    const hello = facts.serverHello;
    const selected = hello === undefined ? null : { protocol: hello.version, suite: suiteByCode(hello.cipherSuite)?.iana ?? codeHex(hello.cipherSuite) };
    return { kind: 'refused', selected, versionRefused: !timeout && isVersionFailure(error), timeout, reason: error.message };
  }
  const record: ProbeError = {
    phase: error.phase ?? 'internal',
    code: error.code,
    message: error.message,
    ...(error instanceof SmtpReplyError ? { reply: error.reply } : {}),
  };
  return { kind: 'stopped', error: record };
}

/**
 * The group of a completed handshake: in TLS 1.3 the one its ServerHello's key
 * share names (getEphemeralKeyInfo() cannot name every group: Node 22 returns
 * nothing for X25519MLKEM768), else as the key-exchange facts name it.
 */
function groupOf(protocol: string, keyExchange: Parameters<typeof groupOfHandshake>[1], wireGroup: number | null): string | null {
  if (protocol === 'TLSv1.3' && wireGroup !== null) return groupByCode(wireGroup)?.name ?? codeHex(wireGroup);
  return groupOfHandshake(protocol, keyExchange);
}

function stopped(phase: ProbeError['phase'], code: string, message: string): HandshakeOutcome {
  return { kind: 'stopped', error: { phase, code, message } };
}
