import type { ProbeResult } from '../model/probe.js';

/**
 * The session ended after a completed handshake (the EHLO inside TLS, or an
 * implicit-TLS greeting): a refusal there is a gap, not "could not be assessed".
 */
export function refusedAfterTls(probe: ProbeResult): boolean {
  return probe.error?.phase === 'ehlo-after-tls' || (probe.tls !== undefined && probe.error?.phase !== 'tls');
}
