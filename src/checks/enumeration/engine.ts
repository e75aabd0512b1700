/**
 * The enumeration algorithm, over an abstract "run this handshake" function so
 * it can be tested against simulated servers. One handshake at a time.
 *
 * Versions, TLS 1.3 first. For each, the elimination method: offer every suite
 * this runtime can offer for that version; the server picks one and the
 * handshake completes, so that suite is accepted; offer the rest; repeat until a
 * handshake fails. The first offer is also the version test. TLS 1.0 and 1.1 are
 * first offered together: one refusal settles both. The plain probe's handshake
 * (`known`) is the first elimination step of its version, and every version
 * above it is refused (its offer went up to TLS 1.3).
 *
 * Groups, at the highest accepted version only: the same elimination over the
 * groups this runtime can offer, with the accepted suites as the suite offer
 * (in TLS 1.0-1.2, the accepted ECDHE suites: without a common group they are
 * unusable, so the handshake fails). The group of every elimination handshake at
 * that version counts too. DH size: from the handshakes that accepted a DHE
 * suite (TLS 1.0-1.2), the smallest.
 *
 * Server order, judged from the picks (./order.ts), at no extra cost where the
 * offers allow it:
 * - the group handshakes re-offer the accepted suites in reverse order of
 *   discovery, so a server that keeps its own order picks its favourite again
 *   and one that follows ours picks our first;
 * - elimination offers go weakest first (the reverse of OpenSSL's order): a
 *   server with its own, usual strongest-first order then contradicts ours;
 * - once one version has shown that the server follows the client, the next
 *   versions' offers carry the suites already found at their end (#tail): the
 *   server picks something new while anything is left, then the most recent
 *   find, which shows the order again and ends the elimination in place of the
 *   failing handshake;
 * - once one version has shown the server's own order, the next versions offer
 *   suites against that order.
 * Only when that leaves it open: one handshake with two accepted suites in the
 * order opposite to an earlier pick (two if no pick compared two).
 *
 * Connections, the plain probe included: accepted suites + accepted groups +
 * one failing handshake per version tested (TLS 1.0 and 1.1 share one when both
 * are refused; versions above the plain probe's cost none) + one for the group
 * elimination, + the order handshakes. Over 20,000 simulated servers shaped like
 * real ones (one ordering policy; TLS 1.0/1.1 accepting the TLS 1.2 suites they
 * can) the worst case is + 6 and the usual + 2 to + 4; contrived servers (each
 * version an unrelated suite set) can reach + 8, + 9 when the ordering policy
 * also changes from version to version. test/enumerate/engine.test.ts holds
 * these bounds. Handshakes that fail after the server selected a suite are
 * capped at two per version; two handshakes that time out end the enumeration.
 */
import { describeBug } from '../../model/errors.js';
import { TLS_VERSIONS } from '../../model/tls-versions.js';
import type { EnumeratedCipher, EnumerationFacts, ProbeError, TlsFacts } from '../../model/probe.js';
import { groupOfHandshake, type GroupEntry } from '../../tls/groups.js';
import { judgeOrder, orderTest, serverRanking, type Observation } from './order.js';
import type { RuntimeCapabilities } from './runtime.js';
import { isEcdheSuite, suiteByIana, type SuiteEntry } from './suites.js';
import type { EnumVersion, HandshakeOffer, HandshakeOutcome, HandshakeRunner } from './types.js';

/** What the engine reports: the facts, and what stopped it early when something did. */
export interface EnumerationResult extends EnumerationFacts {
  /**
   * Set when the enumeration stopped before it was complete: a session failed
   * before its handshake (the server stopped accepting connections, refused
   * STARTTLS, …), two handshakes timed out, or the scan was interrupted. What
   * was found until then is kept; versions not yet tested are null.
   */
  readonly error?: ProbeError;
}

/** Connections per address beyond accepted suites + accepted groups (the plain probe included) that issue 4 allows. */
export const CONNECTION_SLACK = 7;

/** Handshakes per version that may fail after the server selected a suite before the version is given up. */
export const MAX_BROKEN_PER_VERSION = 2;
/** Handshake timeouts after which the enumeration stops (a server that hangs on some offers). */
export const MAX_TIMEOUTS = 2;

const DESCENDING: readonly EnumVersion[] = [...TLS_VERSIONS].reverse();
/** The order the enumeration's phases run in (TLS 1.0 and 1.1 first offered together). */
const PHASES: readonly (EnumVersion | 'legacy-versions')[] = ['TLSv1.3', 'TLSv1.2', 'legacy-versions', 'TLSv1.1', 'TLSv1'];
const ASCENDING: readonly EnumVersion[] = TLS_VERSIONS;

interface VersionState {
  /** null: not settled yet. */
  accepted: boolean | null;
  /** IANA names in the order found. */
  readonly found: string[];
  /** OpenSSL names of the found suites. */
  readonly names: Map<string, string>;
  readonly observations: Observation[];
  /** Suites the server selected in handshakes that then failed. */
  readonly failedSelections: string[];
  /** Groups the handshakes at this version used, in order. */
  readonly groups: string[];
  /** The server picked its favourite from a tail: no more tails at this version. */
  tailOff: boolean;
  order: boolean | null;
}

class Stop extends Error {}

export class Enumeration {
  readonly #caps: RuntimeCapabilities;
  readonly #run: HandshakeRunner;
  readonly #signal: AbortSignal | undefined;
  readonly #states: Record<EnumVersion, VersionState>;
  #handshakes = 0;
  #timeouts = 0;
  #error: ProbeError | undefined;
  #highest: EnumVersion | null = null;
  #dhBits: number | null = null;
  /** The version whose handshakes are being made, or both legacy versions at once. */
  #phase: EnumVersion | 'legacy-versions' = 'TLSv1.3';

  /** Connections made to this address before the enumeration (the plain probe: 1, or 2 with the legacy check's session). */
  readonly #sessionsBefore: number;

  constructor(caps: RuntimeCapabilities, run: HandshakeRunner, signal?: AbortSignal, sessionsBefore = 1) {
    this.#caps = caps;
    this.#run = run;
    this.#signal = signal;
    this.#sessionsBefore = sessionsBefore;
    this.#states = Object.fromEntries(DESCENDING.map((v) => [v, newState()])) as Record<EnumVersion, VersionState>;
  }

  /** Runs the whole enumeration; `known` is the plain probe's handshake. Never throws for the server's sake. */
  async run(known?: TlsFacts | null): Promise<EnumerationResult> {
    try {
      this.#applyKnown(known ?? null);
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) await this.#version(version);
      await this.#legacyVersions();
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
    }
    return this.#result();
  }

  // ── versions and suites ──

  #applyKnown(known: TlsFacts | null): void {
    if (known === null) return;
    const version = known.protocol as EnumVersion;
    if (!DESCENDING.includes(version)) return;
    for (const above of DESCENDING.slice(0, DESCENDING.indexOf(version))) this.#states[above].accepted = false;
    const state = this.#states[version];
    state.accepted = true;
    const suite = known.cipher.standardName;
    this.#recordPick(version, suite, known.cipher.name);
    // The plain probe offered Node's defaults: its pick is an order observation too. In TLS 1.0-1.2 only when it
    // picked an ECDHE suite: then it had a group in common with Node's default groups, so every ECDHE suite was usable.
    const defaults = version === 'TLSv1.3' || version === 'TLSv1.2' ? this.#caps.defaultOffer.modern : this.#caps.defaultOffer.legacy;
    const offerable = new Set(this.#caps.suites[version].map((s) => s.iana));
    const offered = defaults.filter((s) => offerable.has(s));
    if (offered.includes(suite) && (version === 'TLSv1.3' || isEcdheSuite(suite))) state.observations.push({ offered, picked: suite });
    const group = groupOfHandshake(known.protocol, known.keyExchange);
    if (group !== null) state.groups.push(group);
    if (known.keyExchange.type === 'DH' && version !== 'TLSv1.3') this.#noteDh(known.keyExchange.bits);
  }

  /** One version: elimination, then (at the highest) groups, then its order. */
  async #version(version: EnumVersion): Promise<void> {
    const state = this.#states[version];
    if (state.accepted === false) return;
    if (this.#caps.suites[version].length === 0) return; // this runtime cannot offer it: stays null
    this.#phase = version;
    await this.#eliminate(version);
    if (state.found.length === 0) return;
    if (this.#highest === null) {
      this.#highest = version;
      await this.#eliminateGroups(version);
    }
    await this.#settleOrder(version);
  }

  /**
   * TLS 1.1 and 1.0 together first: a server that speaks neither says so in one
   * handshake. One that speaks either picks the higher; that handshake is the
   * first elimination step of that version, and a TLS 1.0 answer means 1.1 is
   * refused. Any other failure (no common suite at the version it chose, a
   * closed connection) settles nothing: each version is then tested on its own.
   */
  async #legacyVersions(): Promise<void> {
    const v11 = this.#states['TLSv1.1'];
    const v10 = this.#states['TLSv1'];
    const suites = this.#caps.suites['TLSv1.1'];
    if (v11.accepted === null && v10.accepted === null && suites.length > 0 && this.#caps.suites.TLSv1.length > 0) {
      const offer = this.#offer('TLSv1', 'TLSv1.1', this.#arrange('TLSv1.1', suites), 'legacy-versions');
      this.#phase = 'legacy-versions';
      const outcome = await this.#attempt(offer);
      if (outcome.kind === 'accepted' && this.#isLegacy(outcome.protocol)) {
        const version = outcome.protocol as EnumVersion;
        this.#accept(version, offer, outcome);
        if (version === 'TLSv1') v11.accepted = false;
      } else if (outcome.kind === 'refused' && outcome.selected !== null && this.#isLegacy(outcome.selected.protocol)) {
        const version = outcome.selected.protocol as EnumVersion;
        this.#states[version].failedSelections.push(outcome.selected.suite);
        if (version === 'TLSv1') v11.accepted = false;
      } else if (outcome.kind === 'refused' && outcome.versionRefused) {
        v11.accepted = false;
        v10.accepted = false;
      }
    }
    await this.#version('TLSv1.1');
    await this.#version('TLSv1');
  }

  #isLegacy(protocol: string): boolean {
    return protocol === 'TLSv1' || protocol === 'TLSv1.1';
  }

  /**
   * Offers what is left until a handshake fails (or nothing is left). With a
   * server known to follow the client's order, the suites already found ride
   * along at the end of each offer from the third on (see #tail): the step that
   * picks one of them ends the elimination in place of the failing handshake.
   */
  async #eliminate(version: EnumVersion): Promise<void> {
    const state = this.#states[version];
    for (;;) {
      const excluded = new Set([...state.found, ...state.failedSelections]);
      const remaining = this.#caps.suites[version].filter((s) => !excluded.has(s.iana));
      if (remaining.length === 0 || state.failedSelections.length >= MAX_BROKEN_PER_VERSION) break;
      const tail = this.#tail(version);
      const suites = [...this.#arrange(version, remaining), ...tail.map((s) => entryFor(s, state))];
      const offer = this.#offer(version, version, suites, 'suites');
      const outcome = await this.#attempt(offer);
      if (outcome.kind === 'accepted') {
        const isNew = !state.found.includes(outcome.suite);
        this.#accept(version, offer, outcome);
        if (isNew) continue;
        if (tail.length === 0) break; // it picked a suite we did not offer: nothing more to learn this way
        // A suite from the tail. Following our order, the server would have picked anything left before it: done.
        if (outcome.suite === tail[0] && judgeOrder(new Set(state.found), state.observations) === 'client') break;
        state.tailOff = true; // its own order after all: plain elimination from here
        continue;
      }
      if (outcome.kind === 'refused' && outcome.selected !== null && suites.some((s) => s.iana === outcome.selected?.suite)) {
        state.failedSelections.push(outcome.selected.suite);
        continue;
      }
      break;
    }
    if (state.accepted === null) state.accepted = state.found.length > 0;
  }

  /**
   * The found suites to put at the end of the next offer, most recent first,
   * when another version showed that the server follows the client's order and
   * two suites are known here. A server that follows ours picks something new
   * while anything is left, then the most recent one, which (over the first,
   * which it picked before over this one) shows the order and ends the
   * elimination; one that keeps its own order picks its favourite, the first
   * found, again: one handshake spent, and the elimination goes on without a tail.
   */
  #tail(version: EnumVersion): string[] {
    const state = this.#states[version];
    if (state.tailOff || state.found.length < 2 || !this.#expectsClientOrder(version)) return [];
    return [...state.found].reverse();
  }

  /** Records a completed handshake: the suite, the order observation, the group and DH size. */
  #accept(version: EnumVersion, offer: HandshakeOffer, outcome: Extract<HandshakeOutcome, { kind: 'accepted' }>): void {
    const state = this.#states[version];
    state.accepted = true;
    state.observations.push({ offered: offer.suites.map((s) => s.iana), picked: outcome.suite });
    this.#recordPick(version, outcome.suite, outcome.name);
    if (outcome.group !== null && !state.groups.includes(outcome.group)) state.groups.push(outcome.group);
    this.#noteDh(outcome.dhBits);
  }

  #recordPick(version: EnumVersion, suite: string, name: string): void {
    const state = this.#states[version];
    if (!state.found.includes(suite)) state.found.push(suite);
    if (!state.names.has(suite)) state.names.set(suite, name);
  }

  #noteDh(bits: number | null): void {
    if (bits !== null && (this.#dhBits === null || bits < this.#dhBits)) this.#dhBits = bits;
  }

  /**
   * The order of an elimination offer: weakest first, or, once another version
   * showed the server's own order, against that order (its favourites last).
   */
  #arrange(version: EnumVersion, remaining: readonly SuiteEntry[]): SuiteEntry[] {
    const weakestFirst = [...remaining].reverse();
    const ranking = this.#knownServerRanking(version);
    if (ranking === null) return weakestFirst;
    const rank = new Map(ranking.map((s, i) => [s, i]));
    const unranked = weakestFirst.filter((s) => !rank.has(s.iana));
    const ranked = remaining.filter((s) => rank.has(s.iana)).sort((a, b) => (rank.get(b.iana) ?? 0) - (rank.get(a.iana) ?? 0));
    return [...unranked, ...ranked];
  }

  /** Whether an earlier version showed that the server follows the client's order (and no version showed the opposite). */
  #expectsClientOrder(version: EnumVersion): boolean {
    if (this.#highest === null || this.#highest === version) return false;
    const settled = DESCENDING.filter((v) => v !== version).map((v) => this.#states[v].order);
    return settled.includes(false) && !settled.includes(true);
  }

  /** The server's ranking as an earlier version showed it, when one showed the server's own order. */
  #knownServerRanking(version: EnumVersion): string[] | null {
    for (const v of DESCENDING) {
      const state = this.#states[v];
      if (v !== version && state.order === true) return serverRanking(state.found, state.observations);
    }
    return null;
  }

  // ── groups ──

  async #eliminateGroups(version: EnumVersion): Promise<void> {
    const state = this.#states[version];
    const candidates = this.#caps.groups[version];
    // In TLS 1.0-1.2 only ECDHE suites need a group; without one accepted there is no group to find.
    const carriers = version === 'TLSv1.3' ? state.found : state.found.filter(isEcdheSuite);
    if (carriers.length === 0 || candidates.length === 0) return;
    const suites = [...carriers].reverse().map((s) => entryFor(s, state));
    for (;;) {
      const remaining = candidates.filter((g) => !state.groups.includes(g.name));
      if (remaining.length === 0) break;
      const offer = this.#offer(version, version, suites, 'groups', remaining);
      const outcome = await this.#attempt(offer);
      if (outcome.kind !== 'accepted') break;
      const fresh = outcome.group !== null && !state.groups.includes(outcome.group);
      this.#accept(version, offer, outcome);
      if (!fresh) break; // no new group: the server did not use one we offered, stop rather than loop
    }
  }

  /** The groups of the highest accepted version, in offer order. */
  #acceptedGroups(): string[] {
    const highest = DESCENDING.find((v) => this.#states[v].found.length > 0);
    if (highest === undefined) return [];
    const order = new Map(this.#caps.groups[highest].map((g, i) => [g.name, i]));
    return [...this.#states[highest].groups].sort((a, b) => (order.get(a) ?? order.size) - (order.get(b) ?? order.size));
  }

  // ── server order ──

  async #settleOrder(version: EnumVersion): Promise<void> {
    const state = this.#states[version];
    if (state.found.length < 2) {
      state.order = null;
      return;
    }
    const accepted = new Set(state.found);
    let verdict = judgeOrder(accepted, state.observations);
    for (let tries = 0; verdict === 'both' && tries < 2 && this.#orderFitsBudget(version); tries += 1) {
      const pair = orderTest(state.found, state.observations);
      if (pair === null) break;
      const offer = this.#offer(version, version, pair.map((s) => entryFor(s, state)), 'order');
      const outcome = await this.#attempt(offer);
      if (outcome.kind !== 'accepted') break;
      this.#accept(version, offer, outcome);
      verdict = judgeOrder(accepted, state.observations);
    }
    state.order = verdict === 'server' ? true : verdict === 'client' ? false : null;
  }

  /**
   * The order handshake is the one optional spend: it is made only while the
   * connections so far (the plain probe included), this one, and one for every
   * version still to test stay within accepted suites + accepted groups + 7.
   * Every later version pays for itself (each accepted suite costs one, plus its
   * failing handshake, counted here), so the bound holds for the whole address;
   * when it would not, the order stays undecided (null) rather than overspend.
   */
  #orderFitsBudget(version: EnumVersion): boolean {
    const accepted = DESCENDING.reduce((n, v) => n + this.#states[v].found.length, 0);
    const groups = this.#acceptedGroups().length;
    const later = DESCENDING.slice(DESCENDING.indexOf(version) + 1).filter((v) => this.#states[v].accepted === null && this.#caps.suites[v].length > 0);
    const used = this.#sessionsBefore + this.#handshakes;
    return used + 1 + later.length <= accepted + groups + CONNECTION_SLACK;
  }

  // ── handshakes ──

  #offer(minVersion: EnumVersion, maxVersion: EnumVersion, suites: readonly SuiteEntry[], purpose: HandshakeOffer['purpose'], groups?: readonly GroupEntry[]): HandshakeOffer {
    return { minVersion, maxVersion, suites, groups: groups ?? this.#caps.groups[maxVersion], purpose };
  }

  /** Runs one handshake; a stop (or too many timeouts) ends the whole enumeration by throwing Stop. */
  async #attempt(offer: HandshakeOffer): Promise<HandshakeOutcome> {
    if (this.#error !== undefined) throw new Stop();
    if (this.#signal?.aborted === true) {
      this.#error = { phase: 'connect', code: 'interrupted', message: 'the scan was interrupted before the next enumeration session' };
      throw new Stop();
    }
    this.#handshakes += 1;
    let outcome: HandshakeOutcome;
    try {
      outcome = await this.#run(offer, { more: this.#moreToCome() });
    } catch (bug) {
      this.#error = { phase: 'internal', code: 'internal-error', message: describeBug(bug) };
      throw new Stop();
    }
    if (outcome.kind === 'stopped') {
      this.#error = outcome.error;
      throw new Stop();
    }
    if (outcome.kind === 'refused' && outcome.timeout) {
      this.#timeouts += 1;
      if (this.#timeouts >= MAX_TIMEOUTS) {
        this.#error = { phase: 'tls', code: 'tls-timeout', message: `${this.#timeouts} handshakes timed out; the enumeration stopped (${outcome.reason})` };
        throw new Stop();
      }
    }
    return outcome;
  }

  /**
   * Whether another handshake follows this one whatever its outcome (so the
   * runner may prepare that session meanwhile): a version of a later phase is
   * still untested and can be offered. Phases run TLS 1.3, TLS 1.2, TLS 1.0 and
   * 1.1 together, TLS 1.1, TLS 1.0; an outcome only settles its own phase's
   * versions, except the joint legacy offer's, which may settle both (so
   * nothing is certain after it), and a stop, which ends everything.
   */
  #moreToCome(): boolean {
    if (this.#phase === 'legacy-versions') return false;
    const later = PHASES.slice(PHASES.indexOf(this.#phase) + 1).filter((p): p is EnumVersion => p !== 'legacy-versions');
    return later.some((v) => this.#states[v].accepted === null && this.#caps.suites[v].length > 0);
  }

  // ── result ──

  #result(): EnumerationResult {
    const protocols = { SSLv3: null, TLSv1: null, 'TLSv1.1': null, 'TLSv1.2': null, 'TLSv1.3': null } as Record<'SSLv3' | EnumVersion, boolean | null>;
    const ciphers: Record<string, EnumeratedCipher[]> = {};
    const serverOrder: Record<string, boolean | null> = {};
    for (const version of ASCENDING) {
      const state = this.#states[version];
      protocols[version] = state.found.length > 0 ? true : state.accepted;
      if (state.found.length === 0) continue;
      ciphers[version] = this.#ordered(version).map((suite) => ({
        name: state.names.get(suite) ?? suiteByIana(suite)?.openssl ?? suite,
        standardName: suite,
      }));
      serverOrder[version] = state.order;
    }
    const anyAccepted = ASCENDING.some((v) => this.#states[v].found.length > 0);
    const selected = [...new Set(ASCENDING.flatMap((v) => this.#states[v].failedSelections))];
    const broken =
      !anyAccepted && selected.length > 0
        ? {
            selected,
            message: `the server selected ${selected.join(', ')} but no handshake completed`,
          }
        : undefined;
    return {
      protocols,
      ciphers,
      serverOrder,
      groups: this.#acceptedGroups(),
      groupsNotTestable: [...this.#caps.groupsNotTestable],
      dhBits: this.#dhBits,
      notTestable: [...this.#caps.notTestable],
      ...(broken !== undefined ? { broken } : {}),
      handshakes: this.#handshakes,
      ...(this.#error !== undefined ? { error: this.#error } : {}),
    };
  }

  /** Accepted suites: the server's ranking when it keeps one, else strongest first (OpenSSL's order). */
  #ordered(version: EnumVersion): string[] {
    const state = this.#states[version];
    if (state.order === true) return serverRanking(state.found, state.observations);
    const canonical = new Map(this.#caps.suites[version].map((s, i) => [s.iana, i]));
    return [...state.found].sort((a, b) => (canonical.get(a) ?? canonical.size) - (canonical.get(b) ?? canonical.size));
  }
}

function newState(): VersionState {
  return { accepted: null, found: [], names: new Map(), observations: [], failedSelections: [], groups: [], tailOff: false, order: null };
}

/** The table entry for a found suite; one the table lacks gets an entry built from what the handshake named. */
function entryFor(iana: string, state: VersionState): SuiteEntry {
  return suiteByIana(iana) ?? { code: -1, iana, openssl: state.names.get(iana) ?? iana };
}
