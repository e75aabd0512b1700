/** A scan's defaults and limits, and the checks on options a library caller may pass (usage errors, before any traffic). */
import { UsageError } from '../model/errors.js';
import type { SessionTimeouts } from '../smtp/session.js';

export const DEFAULTS = {
  port: 25,
  concurrency: 32,
  perHost: 2,
  timeoutMs: 60_000,
  dnsTimeoutMs: 5_000,
  heloName: 'mxready.invalid',
  connectMs: 10_000,
  commandMs: 30_000,
  tlsMs: 30_000,
  graceMs: 5_000,
  retryDelayMs: 30_000,
} as const;

/** Fleet mode (NDJSON output): one session per address, eight per provider, one retry. */
export const FLEET_DEFAULTS = {
  perHost: 1,
  perProvider: 8,
  retries: 1,
} as const;

/** A whole number of at least 1, or a usage error naming the option. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a positive whole number`);
  return v;
}

/** A whole number of at least 0, or a usage error naming the option. */
export function wholeNumber(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`${name} must be a whole number (0 or more)`);
  return v;
}

/** Phase deadlines: each capped by the probe deadline; the greeting may take all of it (RFC 5321 §4.5.3.2). */
export function phaseTimeouts(probeMs: number): SessionTimeouts {
  return {
    connectMs: Math.min(DEFAULTS.connectMs, probeMs),
    greetingMs: probeMs,
    commandMs: Math.min(DEFAULTS.commandMs, probeMs),
    tlsMs: Math.min(DEFAULTS.tlsMs, probeMs),
    probeMs,
  };
}
