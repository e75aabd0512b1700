/**
 * The DNS client: one question at a time over UDP, with TCP when the answer is
 * truncated, built on dns-packet.
 *
 * Every attempt uses a fresh UDP socket (random source port) and a random
 * 16-bit query id. A datagram counts only when it comes from the server's
 * address and port, carries our id, has QR set and echoes our question;
 * anything else is ignored and we keep waiting. An attempt that times out keeps
 * its sockets open, UDP and TCP alike, so a late answer to it still wins while
 * the next attempt runs, until the last attempt's deadline or the first valid
 * answer; an attempt has at most one TCP connection, so a lookup never holds
 * more than its attempts. Nothing here throws or rejects: every outcome is a
 * DnsResult.
 *
 * DNSSEC, as a stub sees it: every query sets AD (RFC 6840 §5.7) and carries
 * EDNS0 with DO=1 and a 1232-byte UDP size, so a validating resolver says
 * whether it authenticated the answer; RRSIG, NSEC and NSEC3 records in answers
 * are kept as records and read past by the resolver. A resolver that answers
 * FORMERR to EDNS is asked again without it. A SERVFAIL is asked once more with
 * CD=1 (RFC 4035 §3.2.2): an answer to that means the data failed validation
 * (`bogus`); the lookup stays the SERVFAIL it was. The cache key holds CD.
 */
import { Lru } from '../model/lru.js';
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import dnsPacket from 'dns-packet';
import type { ErrorCode } from '../model/errors.js';
import type { ErrorInfo } from '../model/report.js';
import type {
  DnsClient,
  DnsClientOptions,
  DnsRecord,
  DnsResult,
  DnsServerAddress,
  QueryType,
} from './types.js';

const DEFAULT_ATTEMPTS = 3;
const HEADER_BYTES = 12;
/** A TCP answer may not exceed one 16-bit-length message; a connection may not send more than this in all. */
const MAX_TCP_BYTES = 4 * 65_537;
const MAX_NAME_POINTERS = 64;

const RCODE_NOERROR = 0;
const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;
const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE',
};

/** A cached NXDOMAIN: the server's label and the AD bit (shared between entries). */
interface CompactNx {
  readonly nxFrom: string;
  readonly authenticated: boolean;
}

/** The message of an NXDOMAIN, and how to read its server back. */
function nxMessage(name: string, from: string): string {
  return `${name} does not exist (NXDOMAIN from ${from})`;
}
const NX_MESSAGE = / does not exist \(NXDOMAIN from (.+)\)$/;

/** Answers the DNS cache keeps at most, by default (an entry is one question: name, type, CD). */
export const DNS_CACHE_ENTRIES = 50_000;

/**
 * Create a DNS client over the given servers. One client per scan: its cache
 * lives as long as the client. Call close() when the scan ends.
 */
export function createDnsClient(options: DnsClientOptions): DnsClient {
  const config = resolveConfig(options);
  // Bounded by entries (a fleet scan asks about millions of names): the least recently used answer is forgotten.
  // A settled lookup is kept as its value, and an NXDOMAIN (most of a fleet's policy lookups) as one shared
  // object per server and AD bit, its message made again on a hit: a few dozen bytes an entry.
  const cache = new Lru<string, Promise<DnsResult> | DnsResult | CompactNx>(options.cacheEntries ?? DNS_CACHE_ENTRIES);
  const compacts = new Map<string, CompactNx>();
  const compact = (result: DnsResult): DnsResult | CompactNx => {
    if (result.ok || result.error.code !== 'nxdomain' || result.bogus === true) return result;
    const from = NX_MESSAGE.exec(result.error.message)?.[1];
    if (from === undefined) return result;
    const id = `${from}|${String(result.authenticated === true)}`;
    let shared = compacts.get(id);
    if (shared === undefined) {
      shared = { nxFrom: from, authenticated: result.authenticated === true };
      compacts.set(id, shared);
    }
    return shared;
  };
  const active = new Set<Lookup>();
  let closed = false;
  const counts = { answers: 0, authenticated: 0 };
  const count = (result: DnsResult): void => {
    const answered = result.ok || result.error.code === 'nxdomain';
    if (!answered) return;
    counts.answers += 1;
    if (result.authenticated === true) counts.authenticated += 1;
  };

  function query(name: string, type: QueryType): Promise<DnsResult> {
    return ask(normaliseName(name), type, false).then(async (result) => {
      if (result.ok || result.error.code !== 'servfail') return result;
      // RFC 4035 §3.2.2: the same question with checking disabled tells bogus data from a broken server.
      const unchecked = await ask(normaliseName(name), type, true);
      const answered = unchecked.ok || unchecked.error.code === 'nxdomain';
      return answered ? { ...result, bogus: true } : result;
    });
  }

  function ask(qname: string, type: QueryType, checkingDisabled: boolean): Promise<DnsResult> {
    const key = `${qname}|${type}|${checkingDisabled ? 'cd' : ''}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      if (cached instanceof Promise) return cached;
      if ('nxFrom' in cached) return Promise.resolve({ ...failure('nxdomain', nxMessage(qname, cached.nxFrom)), authenticated: cached.authenticated });
      return Promise.resolve(cached);
    }
    const result = closed ? Promise.resolve(failure('dns-error', 'the DNS client is closed')) : lookup(qname, type, checkingDisabled);
    cache.set(key, result);
    void result.then((value) => {
      if (cache.peek(key) === result) cache.replace(key, compact(value));
    });
    return result;
  }

  function lookup(qname: string, type: QueryType, checkingDisabled: boolean): Promise<DnsResult> {
    const problem = nameProblem(qname);
    if (problem !== undefined) return Promise.resolve(failure('invalid-name', `cannot look up "${qname}": ${problem}`));
    if (config.servers.length === 0) return Promise.resolve(failure('dns-error', 'no DNS server configured'));
    const notIp = config.servers.find((s) => net.isIP(s.host) === 0);
    if (notIp !== undefined) {
      // a host name here would send the socket layer to the system resolver
      return Promise.resolve(failure('dns-error', `DNS server "${notIp.host}" is not an IP address`));
    }
    return new Promise<DnsResult>((resolve) => {
      const job = new Lookup({ name: qname, type, checkingDisabled }, config, (result) => {
        active.delete(job);
        if (!checkingDisabled) count(result);
        resolve(result);
      });
      active.add(job);
      job.start();
    });
  }

  function close(): void {
    closed = true;
    for (const job of [...active]) job.abort();
  }

  return { query, close, stats: () => ({ ...counts }) };
}

interface ClientConfig {
  readonly servers: readonly DnsServerAddress[];
  readonly timeoutMs: number;
  readonly attempts: number;
}

function resolveConfig(options: DnsClientOptions): ClientConfig {
  const attempts = Math.max(1, Math.floor(options.attempts ?? DEFAULT_ATTEMPTS));
  const timeoutMs = Number.isFinite(options.timeoutMs) ? Math.max(1, Math.floor(options.timeoutMs)) : 5_000;
  return { servers: [...options.servers], timeoutMs, attempts };
}

interface Question {
  readonly name: string;
  readonly type: QueryType;
  /** CD=1: the resolver returns data without validating it (the bogus check). */
  readonly checkingDisabled: boolean;
}

/** One try against one server: a UDP exchange, then perhaps a TCP one. */
interface Attempt {
  readonly number: number; // 1-based
  readonly server: DnsServerAddress;
  readonly id: number;
  readonly message: Buffer;
  state: 'waiting' | 'tcp' | 'done';
  udp?: dgram.Socket;
  tcp?: net.Socket;
  timer?: NodeJS.Timeout;
}

/** A failure seen so far, ranked: an rcode beats a malformed answer beats silence. */
interface SeenFailure {
  readonly rank: number;
  readonly error: ErrorInfo;
  /** The resolver that failed fast (refused, unreachable): named with the others when the lookup ends. */
  readonly server?: string;
}

const RANK_TIMEOUT = 0;
const RANK_NETWORK = 1;
const RANK_MALFORMED = 2;
const RANK_RCODE = 3;

/** Socket errors that say a resolver cannot be reached at all, by errno: a fast failure, never a timeout. */
const UNREACHABLE_ERRNO: Readonly<Record<string, string>> = {
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'no route to host',
  EHOSTDOWN: 'host is down',
  ENETDOWN: 'network is down',
  EADDRNOTAVAIL: 'address not available',
  EAFNOSUPPORT: 'address family not supported here',
};

/** A socket error as a lookup failure: refused and unreachable are named, anything else counts as silence. */
function socketFailure(error: NodeJS.ErrnoException, via: string, server: DnsServerAddress): SeenFailure {
  const errno = error.code ?? '';
  if (errno === 'ECONNREFUSED') {
    return { rank: RANK_NETWORK, server: formatServer(server), error: { code: 'dns-connection-refused', message: `${via} to ${formatServer(server)}: connection refused (nothing answers DNS there)` } };
  }
  const words = UNREACHABLE_ERRNO[errno];
  if (words !== undefined) {
    return { rank: RANK_NETWORK, server: formatServer(server), error: { code: 'dns-unreachable', message: `${via} to ${formatServer(server)}: ${words} (${errno})` } };
  }
  return timeoutError(`${via} to ${formatServer(server)}: ${error.message}`);
}

/** The state of one lookup across its attempts. Settles exactly once. */
class Lookup {
  private readonly attempts: Attempt[] = [];
  private mostTelling: SeenFailure | undefined;
  /** The last timeout seen: it decides the code when another resolver only failed fast. */
  private lastTimeout: SeenFailure | undefined;
  /** Each given-up resolver's failure (refused, unreachable), by server, in the order seen. */
  private readonly networkFailures = new Map<string, ErrorInfo>();
  private settled = false;
  /** Resolvers that refused or could not be reached: given up for the rest of this lookup. */
  private readonly givenUp = new Set<string>();
  /** EDNS0 (DO=1) on the query; dropped, for the rest of the lookup, when a resolver answers FORMERR to it. */
  private edns = true;

  constructor(
    private readonly question: Question,
    private readonly config: ClientConfig,
    private readonly onSettled: (result: DnsResult) => void,
  ) {}

  start(): void {
    this.nextAttempt();
  }

  /** Stop now (client closed): close everything and report it. */
  abort(): void {
    this.settle(failure('dns-error', `lookup of ${this.describe()} abandoned: the DNS client was closed`));
  }

  private describe(): string {
    return `${this.question.name}/${this.question.type}`;
  }

  private nextAttempt(): void {
    if (this.settled) return;
    const number = this.attempts.length + 1;
    if (number > this.config.attempts) {
      this.settleIfExhausted();
      return;
    }
    const servers = this.config.servers;
    const alive = [...servers.keys()].map((k) => (number - 1 + k) % servers.length).find((i) => !this.givenUp.has(formatServer(servers[i]!)));
    if (alive === undefined) {
      // Every resolver refused or is unreachable: nothing more to wait for.
      this.settleFailed();
      return;
    }
    const server = servers[alive]!;
    const id = randomInt(0, 0x10000);
    const message = encodeQuery(this.question, id, this.edns);
    const attempt: Attempt = { number, server, id, message, state: 'waiting' };
    this.attempts.push(attempt);
    this.sendUdp(attempt);
  }

  private sendUdp(attempt: Attempt): void {
    const { server } = attempt;
    const family = net.isIPv6(server.host) ? 'udp6' : 'udp4';
    const socket = dgram.createSocket({ type: family });
    attempt.udp = socket;
    this.armTimer(attempt);
    // A connected socket: only the server's datagrams reach it, and an ICMP "port unreachable" comes back as
    // ECONNREFUSED, so a resolver with nothing listening is given up at once instead of waited for.
    const failed = (err: NodeJS.ErrnoException): void => {
      const seen = socketFailure(err, 'UDP', server);
      if (seen.rank === RANK_NETWORK) this.givenUp.add(formatServer(server));
      this.attemptFailed(attempt, seen, seen.rank === RANK_NETWORK);
    };
    socket.on('error', failed);
    socket.on('message', (msg, rinfo) => this.onDatagram(attempt, msg, rinfo));
    socket.bind({ port: 0 }, () => {
      if (this.settled || attempt.udp !== socket) return;
      try {
        // A failed connect (ENETUNREACH, EHOSTUNREACH: no route) reaches only this callback, never 'error';
        // sending anyway would go out on an unconnected socket and fail as something else.
        // (@types/node declares the callback without its argument.)
        socket.connect(server.port, server.host, (err?: NodeJS.ErrnoException | null) => {
          if (this.settled || attempt.udp !== socket) return;
          if (err) {
            failed(err);
            return;
          }
          try {
            socket.send(attempt.message, (err) => {
              if (err) failed(err);
            });
          } catch (err) {
            failed(err as NodeJS.ErrnoException);
          }
        });
      } catch (err) {
        failed(err as NodeJS.ErrnoException);
      }
    });
  }

  private armTimer(attempt: Attempt): void {
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = setTimeout(() => {
      attempt.timer = undefined;
      const via = attempt.state === 'tcp' ? 'TCP' : 'UDP';
      this.attemptFailed(
        attempt,
        timeoutError(`no answer over ${via} from ${formatServer(attempt.server)} within ${this.config.timeoutMs} ms`),
      );
    }, this.config.timeoutMs);
  }

  private onDatagram(attempt: Attempt, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.settled) return;
    if (!sameEndpoint(rinfo, attempt.server)) return;
    this.onMessage(attempt, msg, false);
  }

  /** A message from the right peer (UDP datagram or TCP frame). */
  private onMessage(attempt: Attempt, msg: Buffer, overTcp: boolean): void {
    const inspected = inspectMessage(msg, attempt.id, this.question);
    if (inspected.kind === 'ignore') return;
    if (inspected.kind === 'malformed') {
      this.attemptFailed(attempt, {
        rank: RANK_MALFORMED,
        error: { code: 'dns-malformed', message: `malformed answer from ${formatServer(attempt.server)}: ${inspected.reason}` },
      });
      return;
    }
    this.onResponse(attempt, inspected.packet, overTcp);
  }

  private onResponse(attempt: Attempt, packet: dnsPacket.DecodedPacket, overTcp: boolean): void {
    if (packet.flag_tc) {
      if (overTcp) {
        this.attemptFailed(attempt, malformed(`truncated answer over TCP from ${formatServer(attempt.server)}`));
      } else if (attempt.tcp === undefined) {
        // Also for an attempt already timed out: its late, truncated answer is still worth asking for over TCP.
        this.startTcp(attempt);
      }
      return;
    }
    const rcode = (packet.flags ?? 0) & 0x0f;
    if (rcode === RCODE_NOERROR) {
      this.settle(successResult(packet, attempt.server, overTcp));
    } else if (rcode === RCODE_NXDOMAIN) {
      this.settle({
        ...failure('nxdomain', nxMessage(this.question.name, formatServer(attempt.server))),
        authenticated: packet.flag_ad === true,
      });
    } else if (rcode === RCODE_FORMERR && this.edns) {
      // RFC 6891 §7: a resolver that does not know EDNS is asked again without it (the next attempt).
      this.edns = false;
      this.attemptFailed(attempt, rcodeFailure(rcode, this.describe(), attempt.server), true);
    } else {
      // the server has answered this attempt: nothing more to wait for on its socket
      this.attemptFailed(attempt, rcodeFailure(rcode, this.describe(), attempt.server), true);
    }
  }

  /**
   * The question again over TCP. For the current attempt, with its own deadline;
   * for one that already timed out, under the lookup's remaining attempts (it
   * stays open until the lookup settles).
   */
  private startTcp(attempt: Attempt): void {
    if (attempt.state === 'waiting') {
      attempt.state = 'tcp';
      this.armTimer(attempt);
    }
    const { server } = attempt;
    const socket = net.connect({ host: server.host, port: server.port });
    attempt.tcp = socket;
    const frames = new FrameReader(MAX_TCP_BYTES);
    const lost = (why: string): void => {
      if (attempt.state === 'tcp') this.attemptFailed(attempt, timeoutError(`TCP to ${formatServer(server)}: ${why}`));
    };
    const broken = (err: NodeJS.ErrnoException): void => {
      const seen = socketFailure(err, 'TCP', server);
      if (attempt.state === 'tcp') this.attemptFailed(attempt, seen);
    };
    socket.on('connect', () => {
      socket.setNoDelay(true);
      socket.write(withLengthPrefix(attempt.message));
    });
    socket.on('data', (chunk: Buffer) => {
      const read = frames.push(chunk);
      if (read.error !== undefined) {
        this.attemptFailed(attempt, malformed(`TCP answer from ${formatServer(server)}: ${read.error}`), true);
        return;
      }
      for (const frame of read.frames) {
        // A late frame of an attempt that timed out counts as much as the current attempt's.
        if (this.settled) return;
        this.onMessage(attempt, frame, true);
      }
    });
    socket.on('error', broken);
    socket.on('close', () => lost('connection closed before an answer'));
  }

  /**
   * This attempt is over without a final answer. Its sockets, UDP and TCP, stay
   * open (a late answer may still come) unless the server already answered it.
   * Then the next attempt starts, or the lookup ends if none is left.
   */
  private attemptFailed(attempt: Attempt, seen: SeenFailure, closeSockets = false): void {
    if (this.settled) return;
    this.remember(seen);
    if (closeSockets) closeAttempt(attempt);
    if (attempt.state === 'done') {
      // A late failure of an attempt already counted; the last attempt may have been waiting for it.
      this.settleIfExhausted();
      return;
    }
    attempt.state = 'done';
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = undefined;
    this.nextAttempt();
  }

  private remember(seen: SeenFailure): void {
    if (this.mostTelling === undefined || seen.rank >= this.mostTelling.rank) this.mostTelling = seen;
    if (seen.rank === RANK_TIMEOUT) this.lastTimeout = seen;
    if (seen.server !== undefined) this.networkFailures.set(seen.server, seen.error);
  }

  private settleIfExhausted(): void {
    if (this.attempts.length < this.config.attempts) return;
    if (this.attempts.some((a) => a.state !== 'done')) return;
    this.settleFailed();
  }

  /**
   * The lookup's failure. An answer (an rcode, a malformed message) beats
   * everything. Otherwise a resolver that stayed silent makes it a timeout,
   * even when another refused or was unreachable (those are named too): it
   * was waited for, and a retry may reach it. Only when every resolver failed
   * fast is it dns-connection-refused or dns-unreachable.
   */
  private settleFailed(): void {
    const seen = this.mostTelling;
    const fast = [...this.networkFailures.values()];
    const alsoFast = fast.length > 0 ? `; ${fast.map((e) => e.message).join('; ')}` : '';
    if (seen === undefined || (seen.rank <= RANK_NETWORK && (this.lastTimeout !== undefined || fast.length === 0))) {
      const servers = [...new Set(this.attempts.map((a) => formatServer(a.server)))].join(', ') || 'no DNS server';
      const last = this.lastTimeout ? ` (last: ${this.lastTimeout.error.message})` : '';
      this.settle(failure(
        'dns-timeout',
        `no valid answer for ${this.describe()} from ${servers} after ${this.attempts.length} attempt(s) of ${this.config.timeoutMs} ms${last}${alsoFast}`,
      ));
      return;
    }
    if (seen.rank === RANK_NETWORK) {
      this.settle({ ok: false, error: { code: seen.error.code, message: fast.map((e) => e.message).join('; ') } });
      return;
    }
    this.settle({ ok: false, error: seen.error });
  }

  private settle(result: DnsResult): void {
    if (this.settled) return;
    this.settled = true;
    for (const attempt of this.attempts) closeAttempt(attempt);
    this.onSettled(result);
  }
}

function closeAttempt(attempt: Attempt): void {
  if (attempt.timer) clearTimeout(attempt.timer);
  attempt.timer = undefined;
  if (attempt.udp) {
    const socket = attempt.udp;
    attempt.udp = undefined;
    try {
      socket.close();
    } catch {
      // already closed
    }
  }
  if (attempt.tcp) {
    attempt.tcp.destroy();
    attempt.tcp = undefined;
  }
}

// ---------------------------------------------------------------- results

function failure(code: ErrorCode, message: string): DnsResult {
  return { ok: false, error: { code, message } };
}

function timeoutError(message: string): SeenFailure {
  return { rank: RANK_TIMEOUT, error: { code: 'dns-timeout', message } };
}

function malformed(message: string): SeenFailure {
  return { rank: RANK_MALFORMED, error: { code: 'dns-malformed', message } };
}

function rcodeFailure(rcode: number, what: string, server: DnsServerAddress): SeenFailure {
  const name = RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
  const code: ErrorCode = rcode === RCODE_SERVFAIL ? 'servfail' : rcode === RCODE_REFUSED ? 'refused' : 'dns-error';
  const hint = rcode === RCODE_NOTIMP ? ' (not implemented)' : '';
  return { rank: RANK_RCODE, error: { code, message: `${formatServer(server)} answered ${name}${hint} for ${what}` } };
}

/** One object per server for every answer from it (a cache of 50,000 answers need not hold 50,000 copies). */
const SERVERS = new Map<string, DnsServerAddress>();
function sharedServer(server: DnsServerAddress): DnsServerAddress {
  const key = `${server.host}|${server.port}`;
  let shared = SERVERS.get(key);
  if (shared === undefined) {
    shared = Object.freeze({ host: server.host, port: server.port });
    if (SERVERS.size < 64) SERVERS.set(key, shared);
  }
  return shared;
}
const NO_RECORDS: readonly DnsRecord[] = Object.freeze([]);

function successResult(packet: dnsPacket.DecodedPacket, server: DnsServerAddress, overTcp: boolean): DnsResult {
  const authorities = toRecords(packet.authorities);
  return {
    ok: true,
    rcode: 'NOERROR',
    answers: toRecords(packet.answers),
    authorities: authorities.length === 0 ? NO_RECORDS : authorities,
    authenticated: packet.flag_ad,
    server: sharedServer(server),
    overTcp,
  };
}

function toRecords(answers: readonly dnsPacket.Answer[] | undefined): DnsRecord[] {
  const records: DnsRecord[] = [];
  for (const answer of answers ?? []) {
    if (answer.type === 'OPT') continue;
    if (answer.class !== undefined && answer.class !== 'IN') continue;
    records.push({
      name: normaliseName(answer.name),
      type: answer.type,
      ttl: answer.ttl ?? 0,
      data: normaliseData(answer),
    });
  }
  return records;
}

/** Names inside the data (CNAME targets, MX exchanges, ...) get the same normal form as owner names. */
function normaliseData(answer: dnsPacket.Answer): unknown {
  switch (answer.type) {
    case 'CNAME':
    case 'DNAME':
    case 'NS':
    case 'PTR':
      return normaliseName(answer.data);
    case 'MX':
      return { preference: answer.data.preference ?? 0, exchange: normaliseName(answer.data.exchange) };
    case 'OPT':
      return undefined;
    default:
      return answer.data;
  }
}

/**
 * Lower case, one trailing dot removed. The root stays ".", so a null MX
 * exchange reads "." whichever way the decoder spelled it.
 */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  if (lower === '' || lower === '.') return '.';
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * The labels of a name in presentation form, split at unescaped dots only: the
 * name `x\.y.test` has the labels `x\.y` and `test` (a backslash escapes the
 * character after it; the digits of `\DDD` are no dot).
 */
export function presentedLabels(name: string): string[] {
  const labels: string[] = [];
  let label = '';
  for (let i = 0; i < name.length; i += 1) {
    const ch = name.charAt(i);
    if (ch === '\\') {
      label += name.slice(i, i + 2);
      i += 1;
    } else if (ch === '.') {
      labels.push(label);
      label = '';
    } else label += ch;
  }
  labels.push(label);
  return labels;
}

/** Why a (normalised) name cannot be put in a question, or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '.') return 'empty name';
  if (name.length > 253) return 'name longer than 253 characters';
  if (!/^[\x21-\x7e]+$/.test(name)) return 'not an ASCII (A-label) name';
  for (const label of presentedLabels(name)) {
    if (label.length === 0) return 'empty label';
    if (label.length > 63) return 'label longer than 63 characters';
    // Host names are letters, digits and hyphens (RFC 952/1123); '_' for service labels. Anything else
    // (a backslash: a dot inside a label, or any other byte, in presentation form) is no host's name.
    if (!/^[a-z0-9_-]+$/i.test(label)) return `label "${label}" is not letters, digits, '-' or '_'`;
  }
  return undefined;
}

// ---------------------------------------------------------------- wire format

/** EDNS0 UDP payload size (the DNS Flag Day 2020 value, below common path MTUs). */
const EDNS_UDP_SIZE = 1232;

function encodeQuery(question: Question, id: number, edns: boolean): Buffer {
  const flags = dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA | (question.checkingDisabled ? dnsPacket.CHECKING_DISABLED : 0);
  return dnsPacket.encode({
    type: 'query',
    id,
    flags,
    questions: [{ type: question.type, name: question.name, class: 'IN' }],
    ...(edns
      ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] }] }
      : {}),
  });
}

function withLengthPrefix(message: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length, 0);
  return Buffer.concat([prefix, message]);
}

type Inspection =
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'response'; readonly packet: dnsPacket.DecodedPacket };

/**
 * Decide what one message from the server is: not ours (ignore), ours but
 * undecodable (malformed), or an answer to our question.
 */
function inspectMessage(msg: Buffer, id: number, question: Question): Inspection {
  if (msg.length < 2 || msg.readUInt16BE(0) !== id) return { kind: 'ignore', reason: 'wrong id' };
  if (msg.length < HEADER_BYTES) return { kind: 'malformed', reason: `${msg.length}-byte message, shorter than a header` };
  if ((msg[2]! & 0x80) === 0) return { kind: 'ignore', reason: 'QR bit not set' };
  const decoded = decodeChecked(msg);
  if (typeof decoded === 'string') return { kind: 'malformed', reason: decoded };
  if (!echoesQuestion(decoded, question)) return { kind: 'ignore', reason: 'question not echoed' };
  return { kind: 'response', packet: decoded };
}

/**
 * The decode path of every message the client receives, as a pure function:
 * a decoded packet or the reason it is malformed. Never throws, whatever the
 * bytes (property-tested).
 */
export function decodeDnsMessage(msg: Buffer): { readonly ok: true; readonly packet: dnsPacket.DecodedPacket } | { readonly ok: false; readonly reason: string } {
  if (msg.length < HEADER_BYTES) return { ok: false, reason: `${msg.length}-byte message, shorter than a header` };
  const decoded = decodeChecked(msg);
  return typeof decoded === 'string' ? { ok: false, reason: decoded } : { ok: true, packet: decoded };
}

/** Check the structure ourselves, then decode with dns-packet; either failing gives a reason. */
function decodeChecked(msg: Buffer): dnsPacket.DecodedPacket | string {
  const structure = checkStructure(msg);
  if (typeof structure === 'string') return structure;
  try {
    const packet = dnsPacket.decode(msg);
    if (dnsPacket.decode.bytes !== structure) return 'decoder and structure disagree on the message length';
    return withFaithfulNames(msg, packet);
  } catch (err) {
    return `undecodable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * One label in RFC 4343 presentation form: letters, digits, '-' and '_' as
 * themselves, a dot inside the label as "\.", every other byte as "\DDD". The
 * label boundaries survive: the wire labels "mx-x.evil" and "test" read
 * "mx-x\.evil.test", never the different name "mx-x.evil.test".
 */
export function presentLabel(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_-]/.test(ch)) out += ch;
    else if (ch === '.') out += '\\.';
    else out += `\\${String(byte).padStart(3, '0')}`;
  }
  return out;
}

/**
 * A name read from the wire as labels, in presentation form (presentLabel): a
 * name whose labels hold anything but letters, digits, '-' and '_' carries a
 * backslash, so it is inert text in the report and can never be mistaken for,
 * or looked up as, another name (nameProblem refuses it). dns-packet decodes
 * labels as UTF-8, joins them with dots and would turn bad bytes into U+FFFD.
 * `offset` is valid: checkStructure walked it.
 */
function readNameFaithfully(msg: Buffer, offset: number): string {
  const labels: string[] = [];
  let pos = offset;
  for (let hops = 0; hops <= MAX_NAME_POINTERS; ) {
    const len = msg[pos] ?? 0;
    if (len === 0) break;
    if ((len & 0xc0) === 0xc0) {
      pos = ((len & 0x3f) << 8) | (msg[pos + 1] ?? 0);
      hops += 1;
      continue;
    }
    labels.push(presentLabel(msg.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  return labels.length === 0 ? '.' : labels.join('.');
}

/** Where the name sits in the RDATA of the record types the resolver follows; undefined for other types. */
function nameRdataOffset(type: number): number | undefined {
  if (type === TYPE_CNAME || type === TYPE_NS || type === TYPE_PTR) return 0;
  return type === TYPE_MX ? 2 : undefined;
}

/** Replaces dns-packet's names (question, owners, MX/CNAME/NS/PTR targets) with faithfully read ones. */
function withFaithfulNames(msg: Buffer, packet: dnsPacket.DecodedPacket): dnsPacket.DecodedPacket {
  let offset = HEADER_BYTES;
  const questions = (packet.questions ?? []).map((question) => {
    const name = readNameFaithfully(msg, offset);
    offset = (nameEnd(msg, offset) as number) + 4;
    return { ...question, name };
  });
  const section = (records: readonly dnsPacket.Answer[] | undefined) =>
    (records ?? []).map((record) => {
      const name = readNameFaithfully(msg, offset);
      const afterName = nameEnd(msg, offset) as number;
      const type = msg.readUInt16BE(afterName);
      const rdata = afterName + 10;
      offset = rdata + msg.readUInt16BE(afterName + 8);
      const at = nameRdataOffset(type);
      if (at === undefined) return { ...record, name } as dnsPacket.Answer;
      const target = readNameFaithfully(msg, rdata + at);
      const data = type === TYPE_MX ? { ...(record as { data: object }).data, exchange: target } : target;
      return { ...record, name, data } as dnsPacket.Answer;
    });
  const answers = section(packet.answers);
  const authorities = section(packet.authorities);
  const additionals = section(packet.additionals);
  return { ...packet, questions, answers, authorities, additionals };
}

function echoesQuestion(packet: dnsPacket.DecodedPacket, question: Question): boolean {
  const questions = packet.questions ?? [];
  if (questions.length !== 1) return false;
  const echoed = questions[0]!;
  return (
    normaliseName(echoed.name) === question.name &&
    echoed.type === question.type &&
    (echoed.class ?? 'IN') === 'IN'
  );
}

/**
 * Walk the whole message by the RFC 1035 grammar (RFC 9267 hardening): every
 * count honoured, every name within bounds with backward-only compression
 * pointers, every RDATA within its RDLENGTH and, for the types we read, filling
 * it exactly, and nothing left over. Returns the length walked, or a reason.
 */
function checkStructure(msg: Buffer): number | string {
  const counts = [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
  let offset = HEADER_BYTES;
  for (let i = 0; i < counts[0]!; i++) {
    const end = nameEnd(msg, offset);
    if (typeof end === 'string') return `question ${i + 1}: ${end}`;
    if (end + 4 > msg.length) return `question ${i + 1}: runs past the end`;
    offset = end + 4;
  }
  const sections = ['answer', 'authority', 'additional'] as const;
  for (const [index, section] of sections.entries()) {
    for (let i = 0; i < counts[index + 1]!; i++) {
      const end = recordEnd(msg, offset);
      if (typeof end === 'string') return `${section} record ${i + 1}: ${end}`;
      offset = end;
    }
  }
  if (offset !== msg.length) return `${msg.length - offset} bytes beyond the records the header counts`;
  return offset;
}

/** Where the name starting at `offset` ends in place (after its first pointer, if any). */
function nameEnd(msg: Buffer, offset: number): number | string {
  let pos = offset;
  let lowest = offset;
  let end = -1;
  let length = 0;
  let pointers = 0;
  for (;;) {
    if (pos >= msg.length) return 'name runs past the end';
    const len = msg[pos]!;
    if (len === 0) return end < 0 ? pos + 1 : end;
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return 'compression pointer runs past the end';
      const target = ((len & 0x3f) << 8) | msg[pos + 1]!;
      if (target < HEADER_BYTES || target >= lowest) return 'compression pointer does not point backwards';
      if (++pointers > MAX_NAME_POINTERS) return 'too many compression pointers';
      if (end < 0) end = pos + 2;
      lowest = target;
      pos = target;
      continue;
    }
    if (kind !== 0) return 'unknown label type';
    if (pos + 1 + len > msg.length) return 'label runs past the end';
    length += len + 1;
    if (length > 255) return 'name longer than 255 octets';
    pos += 1 + len;
  }
}

/** Where the resource record starting at `offset` ends. */
function recordEnd(msg: Buffer, offset: number): number | string {
  const afterName = nameEnd(msg, offset);
  if (typeof afterName === 'string') return afterName;
  if (afterName + 10 > msg.length) return 'record header runs past the end';
  const type = msg.readUInt16BE(afterName);
  const rdlength = msg.readUInt16BE(afterName + 8);
  const start = afterName + 10;
  const end = start + rdlength;
  if (end > msg.length) return 'RDATA runs past the end';
  const problem = rdataProblem(msg, type, start, end);
  return problem ?? end;
}

const TYPE_A = 1;
const TYPE_NS = 2;
const TYPE_CNAME = 5;
const TYPE_SOA = 6;
const TYPE_PTR = 12;
const TYPE_MX = 15;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;
const TYPE_DNAME = 39;
const TYPE_OPT = 41;
const TYPE_TLSA = 52;

/** Type-specific RDATA checks for the types the resolver reads (and those dns-packet parses field by field). */
function rdataProblem(msg: Buffer, type: number, start: number, end: number): string | undefined {
  const length = end - start;
  switch (type) {
    case TYPE_A:
      return length === 4 ? undefined : `A record with ${length} bytes of RDATA`;
    case TYPE_AAAA:
      return length === 16 ? undefined : `AAAA record with ${length} bytes of RDATA`;
    case TYPE_NS:
    case TYPE_CNAME:
    case TYPE_PTR:
    case TYPE_DNAME:
      return namesFill(msg, start, end, 1);
    case TYPE_MX:
      return length < 3 ? 'MX RDATA too short' : namesFill(msg, start + 2, end, 1);
    case TYPE_SOA:
      return soaProblem(msg, start, end);
    case TYPE_TXT:
      return txtProblem(msg, start, end);
    case TYPE_OPT:
      return optProblem(msg, start, end);
    case TYPE_TLSA:
      return length < 3 ? 'TLSA RDATA too short' : undefined;
    default:
      return undefined;
  }
}

function namesFill(msg: Buffer, start: number, end: number, count: number): string | undefined {
  let pos = start;
  for (let i = 0; i < count; i++) {
    const next = nameEnd(msg.subarray(0, end), pos);
    if (typeof next === 'string') return `RDATA name: ${next}`;
    pos = next;
  }
  return pos === end ? undefined : 'RDATA longer than its contents';
}

function soaProblem(msg: Buffer, start: number, end: number): string | undefined {
  let pos = start;
  for (let i = 0; i < 2; i++) {
    const next = nameEnd(msg.subarray(0, end), pos);
    if (typeof next === 'string') return `SOA name: ${next}`;
    pos = next;
  }
  return pos + 20 === end ? undefined : 'SOA RDATA has the wrong length';
}

function txtProblem(msg: Buffer, start: number, end: number): string | undefined {
  if (start === end) return 'empty TXT RDATA';
  let pos = start;
  while (pos < end) pos += 1 + msg[pos]!;
  return pos === end ? undefined : 'TXT string runs past its RDATA';
}

function optProblem(msg: Buffer, start: number, end: number): string | undefined {
  let pos = start;
  while (pos < end) {
    if (pos + 4 > end) return 'EDNS option header runs past its RDATA';
    pos += 4 + msg.readUInt16BE(pos + 2);
  }
  return pos === end ? undefined : 'EDNS option runs past its RDATA';
}

/** Splits a TCP byte stream into length-prefixed DNS messages, within a byte budget. */
class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): { readonly frames: Buffer[]; readonly error?: string } {
    this.total += chunk.length;
    if (this.total > this.maxBytes) return { frames: [], error: `more than ${this.maxBytes} bytes` };
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Buffer[] = [];
    while (this.buffered.length >= 2) {
      const length = this.buffered.readUInt16BE(0);
      if (length < HEADER_BYTES) return { frames, error: `${length}-byte message, shorter than a header` };
      if (this.buffered.length < 2 + length) break;
      frames.push(this.buffered.subarray(2, 2 + length));
      this.buffered = this.buffered.subarray(2 + length);
    }
    return { frames };
  }
}

// ---------------------------------------------------------------- addresses

function sameEndpoint(rinfo: dgram.RemoteInfo, server: DnsServerAddress): boolean {
  return rinfo.port === server.port && canonicalAddress(rinfo.address) === canonicalAddress(server.host);
}

/** One spelling per address, so "::1" and "0:0:0:0:0:0:0:1" compare equal. */
function canonicalAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const family = net.isIPv6(bare) ? 'ipv6' : net.isIPv4(bare) ? 'ipv4' : undefined;
  if (family === undefined) return address.toLowerCase();
  return new net.SocketAddress({ address: bare, family }).address;
}

function formatServer(server: DnsServerAddress): string {
  return net.isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}
