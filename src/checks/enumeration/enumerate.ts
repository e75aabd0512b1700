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
import { prepareSession, type PreparedSession } from './session.js';
import { Transcript } from '../../smtp/transcript.js';
import type { EnumerateOptions, HandshakeHint, HandshakeOffer, HandshakeOutcome, HandshakeRunner } from './types.js';

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
    const lanes = deps.runHandshake === undefined ? new SessionLanes(() => prepareSession(target, options, io), options.secondLane) : null;
    const session: HandshakeRunner = deps.runHandshake ?? ((offer, hint) => (lanes as SessionLanes).run(offer, hint));
    const started = io.now();
    const transcript = options.trace === true ? new Transcript('enumeration', () => io.now() - started) : null;
    const run: HandshakeRunner = transcript === null ? session : async (offer, hint) => {
      const outcome = await session(offer, hint);
      transcript.add('note', describeHandshake(offer, outcome));
      return outcome;
    };
    let result: EnumerationResult;
    try {
      result = await new Enumeration(capabilities, run, options.signal, options.sessionsBefore ?? 1).run(options.known);
    } finally {
      await lanes?.close();
    }
    return transcript === null ? result : { ...result, transcript: transcript.toJSON() };
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

/** One enumeration handshake in one line: what was offered, and what came of it. */
function describeHandshake(offer: HandshakeOffer, outcome: HandshakeOutcome): string {
  const versions = offer.minVersion === offer.maxVersion ? offer.minVersion : `${offer.minVersion}-${offer.maxVersion}`;
  const what = `${offer.purpose}: ${versions}, ${offer.suites.length} suites, ${offer.groups.length} groups`;
  switch (outcome.kind) {
    case 'accepted':
      return `${what} → ${outcome.protocol} ${outcome.suite}${outcome.group ? ` ${outcome.group}` : ''}`;
    case 'refused':
      return `${what} → refused${outcome.selected ? ` after selecting ${outcome.selected.suite}` : ''} (${outcome.reason})`;
    case 'stopped':
      return `${what} → stopped: ${outcome.error.message}`;
  }
}

/**
 * The sessions of one enumeration: each handshake in a fresh session, and, when
 * the engine says another follows and a second lane is held, that next session
 * opened with this one's handshake, so the two sessions' SMTP dialogues overlap
 * (with replies that take time, two lanes make about twice the handshakes).
 * A session is prepared only when it will be used, so the connections stay one
 * per handshake (the budget of ./engine.ts), and only once a session of this
 * enumeration reached its offer (a server refusing sessions is not asked for
 * another); after a stop in the handshake, the one prepared is closed unused.
 */
export class SessionLanes {
  readonly #open: () => PreparedSession;
  readonly #secondLane: (() => (() => void) | null) | undefined;
  #next: PreparedSession | null = null;
  #closed = false;
  /** A session of this enumeration reached its offer: the server takes sessions. */
  #proven = false;
  /** The second lane's release, once held; null when none was free; undefined before it was asked for. */
  #release: (() => void) | null | undefined;

  /** `open` starts a session (./session.ts prepareSession); `secondLane` as in EnumerateOptions. */
  constructor(open: () => PreparedSession, secondLane?: () => (() => void) | null) {
    this.#open = open;
    this.#secondLane = secondLane;
  }

  run(offer: HandshakeOffer, hint?: HandshakeHint): Promise<HandshakeOutcome> {
    const current = this.#next ?? this.#open();
    this.#next = null;
    const more = hint?.more === true;
    // Once a session of this enumeration got as far as its offer, the next one opens with this handshake, so its
    // greeting and EHLO overlap this session's; before that, only once this one does (a server that refuses
    // sessions is not asked for another).
    if (more && this.#proven) this.#prepare();
    void current.ready.then((ready) => {
      if (!ready) return;
      this.#proven = true;
      if (more) this.#prepare();
    });
    return current.handshake(offer);
  }

  #prepare(): void {
    if (this.#next === null && !this.#closed && this.#laneHeld()) this.#next = this.#open();
  }

  #laneHeld(): boolean {
    if (this.#release === undefined) this.#release = this.#secondLane?.() ?? null;
    return this.#release !== null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const next = this.#next;
    this.#next = null;
    try {
      await next?.discard();
    } finally {
      this.#release?.();
      this.#release = null;
    }
  }
}
