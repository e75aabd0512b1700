/**
 * A simulated TLS server for the engine tests: it answers a HandshakeOffer the
 * way OpenSSL does (the highest common version first, then a suite by its own
 * or the client's order; TLS 1.0-1.2 ECDHE suites only with a common group; TLS
 * 1.3 only with a common group), and counts its sessions. `truth()` is what an
 * enumeration must find with the given runtime capabilities.
 */
import assert from 'node:assert/strict';
import { Enumeration, type EnumerationResult } from '../../../src/checks/enumeration/engine.js';
import type { TlsFacts } from '../../../src/model/probe.js';
import type { RuntimeCapabilities } from '../../../src/checks/enumeration/runtime.js';
import { isEcdheSuite, suiteByIana } from '../../../src/checks/enumeration/suites.js';
import type { EnumVersion, HandshakeOffer, HandshakeOutcome, HandshakeRunner } from '../../../src/checks/enumeration/types.js';

export const DESCENDING: readonly EnumVersion[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'];

export interface SimServer {
  /** Suites per version, in the server's preference order (IANA names). */
  readonly versions: Partial<Record<EnumVersion, readonly string[]>>;
  /** Whether the server picks by its own order; per version when an object. */
  readonly serverOrder: boolean | Partial<Record<EnumVersion, boolean>>;
  /** TLS 1.3 groups, in the server's preference order. */
  readonly groups13?: readonly string[];
  /** Elliptic curves for TLS 1.0-1.2 ECDHE, in the server's preference order. */
  readonly ecGroups?: readonly string[];
  readonly dhBits?: number;
  /** Select as usual, then fail the handshake. */
  readonly broken?: boolean;
}

export interface SimCounters {
  sessions: number;
  inFlight: number;
  maxInFlight: number;
  readonly offers: HandshakeOffer[];
  /** The engine's hint with each offer: another handshake follows whatever this one's outcome. */
  readonly more: boolean[];
}

export function serverOrderAt(server: SimServer, version: EnumVersion): boolean {
  return typeof server.serverOrder === 'boolean' ? server.serverOrder : (server.serverOrder[version] ?? false);
}

export function simulate(server: SimServer): { run: HandshakeRunner; counters: SimCounters } {
  const counters: SimCounters = { sessions: 0, inFlight: 0, maxInFlight: 0, offers: [], more: [] };
  const run: HandshakeRunner = async (offer, hint) => {
    counters.more.push(hint?.more === true);
    counters.sessions += 1;
    counters.inFlight += 1;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
    counters.offers.push(offer);
    await new Promise((resolve) => setImmediate(resolve));
    try {
      return answer(server, offer);
    } finally {
      counters.inFlight -= 1;
    }
  };
  return { run, counters };
}

const refused = (reason: string, selected: { protocol: string; suite: string } | null = null): HandshakeOutcome => ({
  kind: 'refused',
  selected,
  versionRefused: reason === 'alert protocol version',
  timeout: false,
  reason,
});

function answer(server: SimServer, offer: HandshakeOffer): HandshakeOutcome {
  const range = DESCENDING.slice(DESCENDING.indexOf(offer.maxVersion), DESCENDING.indexOf(offer.minVersion) + 1);
  const version = range.find((v) => server.versions[v] !== undefined);
  if (version === undefined) return refused('alert protocol version');
  const own = serverOrderAt(server, version);
  const offered = offer.suites.map((s) => s.iana);
  const offeredGroups = offer.groups.map((g) => g.name);
  const choose = (serverList: readonly string[], clientList: readonly string[]): string | undefined =>
    own ? serverList.find((x) => clientList.includes(x)) : clientList.find((x) => serverList.includes(x));
  let group: string | null = null;
  let usable: string[];
  const serverSuites = server.versions[version] ?? [];
  if (version === 'TLSv1.3') {
    const picked = choose(server.groups13 ?? [], offeredGroups);
    if (picked === undefined) return refused('no suitable key share');
    group = picked;
    usable = serverSuites.filter((s) => offered.includes(s));
  } else {
    const curve = choose(server.ecGroups ?? [], offeredGroups);
    usable = serverSuites.filter((s) => offered.includes(s) && (!isEcdheSuite(s) || curve !== undefined));
    if (usable.length > 0) group = curve ?? null;
  }
  const suite = choose(usable, offered);
  if (suite === undefined) return refused('no shared cipher');
  if (version !== 'TLSv1.3' && !isEcdheSuite(suite)) group = null;
  if (server.broken === true) return refused('the server hung up after its ServerHello', { protocol: version, suite });
  return {
    kind: 'accepted',
    protocol: version,
    suite,
    name: suiteByIana(suite)?.openssl ?? suite,
    group,
    dhBits: version !== 'TLSv1.3' && /^TLS_DHE_/.test(suite) ? (server.dhBits ?? 2048) : null,
  };
}

/** The plain probe against the simulated server: offers TLS 1.2-1.3 with everything, as TlsFacts or null. */
export async function plainProbe(run: HandshakeRunner, caps: RuntimeCapabilities): Promise<TlsFacts | null> {
  const outcome = await run({
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    suites: caps.defaultOffer.modern.flatMap((name) => caps.suites['TLSv1.3'].concat(caps.suites['TLSv1.2']).find((s) => s.iana === name) ?? []),
    groups: caps.groups['TLSv1.3'],
    purpose: 'suites',
  });
  if (outcome.kind !== 'accepted') return null;
  const ffdhe = /^ffdhe(\d+)$/.exec(outcome.group ?? '');
  const keyExchange = ffdhe
    ? { type: 'DH', group: null, bits: Number(ffdhe[1]) }
    : outcome.group !== null
      ? { type: 'ECDH', group: outcome.group, bits: null }
      : outcome.dhBits !== null
        ? { type: 'DH', group: null, bits: outcome.dhBits }
        : { type: 'RSA', group: null, bits: null };
  return {
    protocol: outcome.protocol,
    cipher: { name: outcome.name, standardName: outcome.suite },
    keyExchange,
    forwardSecrecy: keyExchange.type !== 'RSA',
  };
}

export interface Truth {
  readonly protocols: Record<EnumVersion, boolean>;
  readonly ciphers: Partial<Record<EnumVersion, string[]>>;
  readonly serverOrder: Partial<Record<EnumVersion, boolean | null>>;
  readonly groups: string[];
  readonly dhBits: number | null;
  readonly acceptedSuites: number;
}

/** What an enumeration with `caps` must report for `server`. */
export function truth(server: SimServer, caps: RuntimeCapabilities): Truth {
  const protocols = {} as Record<EnumVersion, boolean>;
  const ciphers: Partial<Record<EnumVersion, string[]>> = {};
  const serverOrder: Partial<Record<EnumVersion, boolean | null>> = {};
  let dhBits: number | null = null;
  let highest: EnumVersion | null = null;
  for (const version of DESCENDING) {
    const offerable = new Set(caps.suites[version].map((s) => s.iana));
    const groupNames = new Set(caps.groups[version].map((g) => g.name));
    const list = server.versions[version] ?? [];
    let accepted: string[];
    if (version === 'TLSv1.3') {
      const anyGroup = (server.groups13 ?? []).some((g) => groupNames.has(g));
      accepted = anyGroup ? list.filter((s) => offerable.has(s)) : [];
    } else {
      const anyCurve = (server.ecGroups ?? []).some((g) => groupNames.has(g));
      accepted = list.filter((s) => offerable.has(s) && (!isEcdheSuite(s) || anyCurve));
    }
    protocols[version] = accepted.length > 0;
    if (accepted.length === 0) continue;
    highest ??= version;
    const own = serverOrderAt(server, version);
    const canonical = caps.suites[version].map((s) => s.iana);
    ciphers[version] = own ? accepted : [...accepted].sort((a, b) => canonical.indexOf(a) - canonical.indexOf(b));
    serverOrder[version] = accepted.length >= 2 ? own : null;
    if (version !== 'TLSv1.3' && accepted.some((s) => /^TLS_DHE_/.test(s))) dhBits = server.dhBits ?? 2048;
  }
  let groups: string[] = [];
  if (highest !== null) {
    const candidates = caps.groups[highest].map((g) => g.name);
    const serverGroups = highest === 'TLSv1.3' ? (server.groups13 ?? []) : (ciphers[highest] ?? []).some(isEcdheSuite) ? (server.ecGroups ?? []) : [];
    groups = candidates.filter((g) => serverGroups.includes(g));
  }
  const acceptedSuites = Object.values(ciphers).reduce((n, list) => n + (list?.length ?? 0), 0);
  return { protocols, ciphers, serverOrder, groups, dhBits, acceptedSuites };
}

/** The plain probe, then the enumeration, against a simulated server: the result and every connection made. */
export async function scan(server: SimServer, caps: RuntimeCapabilities): Promise<{ result: EnumerationResult; connections: number; maxInFlight: number; plainPick: string | null }> {
  const { run, counters } = simulate(server);
  const known = await plainProbe(run, caps);
  const result = await new Enumeration(caps, run).run(known);
  assert.equal(counters.sessions, result.handshakes + 1, 'handshakes counts every enumeration session');
  // "Another handshake follows" is never wrong: a runner that opened that session ahead would have used it.
  assert.equal(counters.more.at(-1), false, 'the last handshake was announced as followed by another');
  return { result, connections: counters.sessions, maxInFlight: counters.maxInFlight, plainPick: known?.cipher.standardName ?? null };
}

/**
 * The result must be exactly what the server accepts, within the connection budget.
 * The ranking of a server that keeps its own order is compared without the plain
 * probe's pick: nothing tells where that one stands among suites Node's default
 * offer lacks (the engine puts it first, where a server's favourite usually is).
 */
export function assertExact(caps: RuntimeCapabilities, server: SimServer, result: EnumerationResult, connections: number, slack = 7, plainPick: string | null = null, orderMayBeUndecided = false): void {
  const expected = truth(server, caps);
  for (const v of DESCENDING) assert.equal(result.protocols[v], expected.protocols[v], `protocol ${v}`);
  assert.equal(result.protocols.SSLv3, null);
  const found = Object.fromEntries(Object.entries(result.ciphers).map(([v, list]) => [v, list.map((c) => c.standardName)]));
  assert.deepEqual(Object.keys(found).sort(), Object.keys(expected.ciphers).sort());
  for (const [v, list] of Object.entries(found)) {
    const want = expected.ciphers[v as EnumVersion] ?? [];
    assert.deepEqual([...list].sort(), [...want].sort(), `suites ${v}`);
    const undecided = orderMayBeUndecided && result.serverOrder[v] === null;
    if (undecided) continue;
    if (expected.serverOrder[v as EnumVersion] !== true || list.length !== want.length) assert.deepEqual(list, want, `order ${v}`);
    else assert.deepEqual(list.filter((x) => x !== plainPick), want.filter((x) => x !== plainPick), `server ranking ${v}`);
  }
  for (const [v, order] of Object.entries(result.serverOrder)) {
    // Under the connection budget an order may be left undecided (null), never decided wrongly.
    if (!(orderMayBeUndecided && order === null)) assert.equal(order, expected.serverOrder[v as EnumVersion], `server order ${v}`);
  }
  assert.deepEqual(Object.keys(result.serverOrder).sort(), Object.keys(expected.serverOrder).sort());
  assert.deepEqual(result.groups, expected.groups);
  assert.equal(result.dhBits, expected.dhBits);
  assert.equal(result.error, undefined);
  const budget = expected.acceptedSuites + expected.groups.length + slack;
  assert.ok(connections <= budget, `${connections} connections > ${expected.acceptedSuites} suites + ${expected.groups.length} groups + ${slack}`);
}
