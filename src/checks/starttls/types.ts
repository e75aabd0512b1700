/** Contract of the prober: one SMTP session (or two, or three) to one IP:port. probe() never throws. */
import type { SessionIo, SessionOptions, SessionTarget, SessionTimeouts } from '../../smtp/session.js';

export type ProbeTarget = SessionTarget;
export type ProbeTimeouts = SessionTimeouts;
/** Real IO by default (net.connect, performance.now, Date.now); tests inject their own. */
export type ProbeDeps = SessionIo;

/**
 * The fixed client profile and its depth. Nothing here comes from the policy:
 * the first session always offers TLS 1.2-1.3 at OpenSSL's default security
 * level, as a current MTA does.
 */
export interface ProbeOptions extends SessionOptions {
  /**
   * When the first session fails for want of a common version, a second, full
   * session offering TLS 1.0-1.1 at security level 0, whose facts are kept (the
   * legacy check; default on, off with --no-legacy-check).
   */
  readonly legacyCheck: boolean;
  /** After a TLS 1.2+ handshake, one more session offering only TLS 1.0/1.1 (--legacy-acceptance). */
  readonly legacyAcceptance?: boolean;
  /** Record every session's dialogue (--trace) in `transcript`. */
  readonly trace?: boolean;
  /** Abort the probe (e.g. on SIGINT): it ends as status timeout, code interrupted. */
  readonly signal?: AbortSignal;
}
