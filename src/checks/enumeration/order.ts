/**
 * Whether a server picks suites by its own order or by the client's, judged from
 * what it picked in handshakes whose offers (and order) we know. Pure.
 *
 * - Client order: in every handshake it picked the first suite of our offer that
 *   it accepts at all.
 * - Server order: there is one ranking of its suites that explains every pick
 *   (the "picked over" relation has no cycle).
 *
 * An offer with fewer than two acceptable suites says nothing. When the evidence
 * fits both, another handshake is needed (the engine offers two accepted suites
 * in the order opposite to an observation); when it fits neither (a server that
 * sometimes follows the client, like OpenSSL's PRIORITIZE_CHACHA), there is no
 * single answer.
 */
export interface Observation {
  /** IANA names in the order offered. */
  readonly offered: readonly string[];
  /** IANA name of the suite picked. */
  readonly picked: string;
}

export type OrderVerdict = 'server' | 'client' | 'both' | 'neither';

/** The observations that say something: at least two acceptable suites were offered. */
function informative(accepted: ReadonlySet<string>, observations: readonly Observation[]): Array<{ usable: string[]; picked: string }> {
  return observations
    .map((o) => ({ usable: o.offered.filter((s) => accepted.has(s)), picked: o.picked }))
    .filter((o) => o.usable.length >= 2 && o.usable.includes(o.picked));
}

export function judgeOrder(accepted: ReadonlySet<string>, observations: readonly Observation[]): OrderVerdict {
  const useful = informative(accepted, observations);
  if (useful.length === 0) return 'both';
  const client = useful.every((o) => o.usable[0] === o.picked);
  const server = !hasCycle(preferenceEdges(useful));
  if (client && server) return 'both';
  if (client) return 'client';
  return server ? 'server' : 'neither';
}

/**
 * The next order test: two accepted suites, in the order opposite to an
 * observation where the first was picked over the second (or, with no such
 * observation, the two earliest found, later one first). Client order picks the
 * first of the two; server order the one it picked before.
 */
export function orderTest(accepted: readonly string[], observations: readonly Observation[]): readonly [string, string] | null {
  const set = new Set(accepted);
  const useful = informative(set, observations);
  for (const o of useful) {
    const other = o.usable.find((s) => s !== o.picked);
    if (other !== undefined) {
      const reversed: readonly [string, string] = [other, o.picked];
      // An offer already made in this order would tell nothing new.
      if (!observations.some((seen) => sameOffer(seen.offered, reversed, set))) return reversed;
    }
  }
  const [a, b] = accepted;
  if (a === undefined || b === undefined) return null;
  for (const pair of [[b, a] as const, [a, b] as const]) {
    if (!observations.some((seen) => sameOffer(seen.offered, pair, set))) return pair;
  }
  return null;
}

/** Whether `offered`, restricted to accepted suites, is exactly `pair` in that order. */
function sameOffer(offered: readonly string[], pair: readonly [string, string], accepted: ReadonlySet<string>): boolean {
  const usable = offered.filter((s) => accepted.has(s));
  return usable.length === 2 && usable[0] === pair[0] && usable[1] === pair[1];
}

/**
 * The server's ranking from the observations: a topological order of "picked
 * over", ties broken by the order the suites were found. Only meaningful when
 * judgeOrder said 'server'.
 */
export function serverRanking(found: readonly string[], observations: readonly Observation[]): string[] {
  const edges = preferenceEdges(informative(new Set(found), observations));
  const incoming = new Map<string, number>(found.map((s) => [s, 0]));
  for (const targets of edges.values()) for (const t of targets) incoming.set(t, (incoming.get(t) ?? 0) + 1);
  const ranking: string[] = [];
  const left = [...found];
  while (left.length > 0) {
    const index = left.findIndex((s) => (incoming.get(s) ?? 0) === 0);
    const next = left.splice(index === -1 ? 0 : index, 1)[0] as string; // a cycle (not server order): discovery order
    ranking.push(next);
    for (const t of edges.get(next) ?? []) incoming.set(t, (incoming.get(t) ?? 0) - 1);
  }
  return ranking;
}

function preferenceEdges(useful: ReadonlyArray<{ usable: readonly string[]; picked: string }>): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const o of useful) {
    const targets = edges.get(o.picked) ?? new Set<string>();
    for (const s of o.usable) if (s !== o.picked) targets.add(s);
    edges.set(o.picked, targets);
  }
  return edges;
}

function hasCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string): boolean => {
    const mark = state.get(node);
    if (mark === 'open') return true;
    if (mark === 'done') return false;
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) if (visit(next)) return true;
    state.set(node, 'done');
    return false;
  };
  return [...edges.keys()].some((node) => visit(node));
}
