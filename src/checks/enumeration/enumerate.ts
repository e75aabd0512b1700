/**
 * --enumerate for one address: which protocol versions, cipher suites (per
 * version), key-exchange groups and DH size the server accepts, and whether it
 * enforces its own cipher order, every value found by real handshakes. Each
 * handshake is its own SMTP session (greeting, EHLO, STARTTLS, handshake, QUIT),
 * one at a time: run the whole enumeration inside one slot of the per-address
 * limit and the server never sees more than that slot's session. The algorithm
 * and its connection budget are in ./engine.ts.
 *
 * enumerate() never throws. What the runtime cannot offer is reported as not
 * testable (`notTestable`, `groupsNotTestable`, SSLv3 null), never as refused.
 * A session that fails before its handshake (no STARTTLS, STARTTLS refused,
 * connection refused, the scan interrupted) stops the enumeration: what was found
 * is kept, versions not yet tested are null, and `error` says why. A server that
 * selects suites but completes no handshake is reported in `broken`.
 */
import { describeBug } from '../../model/errors.js';
import { REAL_IO } from '../../net/io.js';
import type { SessionIo, SessionTarget } from '../../smtp/session.js';
import { Enumeration, type EnumerationResult } from './engine.js';
import { runtimeCapabilities, type RuntimeCapabilities } from './runtime.js';
import { handshakeSession } from './session.js';
import type { EnumerateOptions, HandshakeRunner } from './types.js';

export interface EnumerateDeps extends SessionIo {
  /** Replaces the SMTP session of each handshake (tests drive the engine with a simulated server). */
  readonly runHandshake: HandshakeRunner;
  /** Replaces the measured runtime capabilities (tests pin them). */
  readonly capabilities: RuntimeCapabilities;
}

export type { EnumerationResult } from './engine.js';
export type { EnumerateOptions, HandshakeOffer, HandshakeOutcome, HandshakeRunner } from './types.js';

export async function enumerate(target: SessionTarget, options: EnumerateOptions, deps: Partial<EnumerateDeps> = {}): Promise<EnumerationResult> {
  const io: SessionIo = { ...REAL_IO, ...deps };
  let capabilities: RuntimeCapabilities | undefined = deps.capabilities;
  try {
    capabilities ??= await runtimeCapabilities();
    const run = deps.runHandshake ?? ((offer) => handshakeSession(target, options, io, offer));
    return await new Enumeration(capabilities, run, options.signal, options.sessionsBefore ?? 1).run(options.known);
  } catch (bug) {
    // A bug in mxready: confined to this address's enumeration, as data.
    const message = describeBug(bug);
    return {
      protocols: { SSLv3: null, TLSv1: null, 'TLSv1.1': null, 'TLSv1.2': null, 'TLSv1.3': null },
      ciphers: {},
      serverOrder: {},
      groups: [],
      groupsNotTestable: [...(capabilities?.groupsNotTestable ?? [])],
      dhBits: null,
      notTestable: [...(capabilities?.notTestable ?? [])],
      handshakes: 0,
      error: { phase: 'internal', code: 'internal-error', message },
    };
  }
}
