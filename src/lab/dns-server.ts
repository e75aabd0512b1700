/**
 * The lab DNS server: a small authoritative-style server over UDP and TCP on
 * one loopback port, for the offline demo and the tests. It answers from a
 * list of records (AA set), chases CNAMEs inside its data, tells NXDOMAIN from
 * NODATA, truncates large UDP answers, and lets a test misbehave per query
 * (drop, SERVFAIL, truncate, raw bytes, a wrong id first, a late answer).
 * Garbage queries are ignored; nothing a client sends can crash it.
 *
 * It also plays a validating resolver, as a stub sees one: zones are `secure`,
 * `insecure` (the default) or `bogus`. AD is set when the query had AD or DO
 * and every record of the answer (each CNAME hop and the final RRset; for a
 * denial, the names it covers) lies in a secure zone; an answer that touches a
 * bogus zone is SERVFAIL, unless the query had CD.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** One record of the lab zone. `data` is dns-packet's form: '127.0.0.1', {preference, exchange}, 'target.example', ['txt']. */
export interface LabZoneRecord {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'MX' | 'CNAME' | 'TXT' | 'NS' | 'TLSA';
  readonly ttl?: number;
  readonly data: unknown;
}

/** What the behaviour hook is told about each query. */
export interface LabDnsQuery {
  /** The question name, lower case, no trailing dot. */
  readonly name: string;
  readonly type: string;
  readonly id: number;
  readonly transport: 'udp' | 'tcp';
  /** Who asked (lets a test forge a datagram to the client's port). */
  readonly remote: { readonly address: string; readonly port: number };
}

/**
 * How to answer one query:
 * - `undefined`: answer normally;
 * - `'drop'`: do not answer;
 * - `'servfail'` / `'refused'`: that rcode, no records;
 * - `'truncate'`: over UDP, TC set and no records (over TCP, answer normally);
 * - `{ raw }`: send these bytes as the answer (framed over TCP);
 * - `{ wrongIdFirst: true }`: send the answer with a wrong id, then the right one;
 * - `{ delayMs }`: answer normally after this many milliseconds.
 */
export type LabDnsAction =
  | undefined
  | 'drop'
  | 'servfail'
  | 'refused'
  | 'truncate'
  | { readonly raw: Buffer }
  | { readonly wrongIdFirst: true }
  | { readonly delayMs: number };

/** Per-query hook for tests: return undefined to answer normally. */
export interface LabDnsBehaviour {
  (query: LabDnsQuery): LabDnsAction;
}

export interface LabDnsServer {
  readonly host: string;
  readonly port: number;
  /** Queries received and decoded so far, over UDP and TCP. */
  readonly queries: number;
  close(): Promise<void>;
}

export interface LabDnsServerOptions {
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port for both UDP and TCP (default 0: any free port). */
  readonly port?: number;
  readonly records: readonly LabZoneRecord[];
  readonly behaviour?: LabDnsBehaviour;
  /** Put the CNAME target's records in the answer too (default true); false answers with the CNAME alone. */
  readonly chaseCnames?: boolean;
  /** DNSSEC state by zone apex ("secure.test": every name at or under it); names under none are insecure. */
  readonly dnssec?: Readonly<Record<string, LabZoneSecurity>>;
}

/** How the lab's validating resolver sees a zone. */
export type LabZoneSecurity = 'secure' | 'insecure' | 'bogus';

const DEFAULT_TTL = 300;
const UDP_LIMIT = 512;
const MAX_EDNS_UDP = 4096;
const MAX_CNAME_CHASE = 16;
const TCP_IDLE_MS = 5_000;
const MAX_TCP_BYTES = 256 * 1024;
const BIND_TRIES = 5;

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;

/** Start the lab DNS server. Rejects if a record cannot be encoded or the port cannot be bound. */
export async function startDnsServer(opts: LabDnsServerOptions): Promise<LabDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new Error(`lab DNS server: ${host} is not a loopback address`);
  const zone = buildZone(opts.records);
  const { udp, tcp } = await bindPair(host, opts.port ?? 0);
  const port = udp.address().port;
  const state = new ServerState(zone, opts.behaviour, opts.chaseCnames ?? true, securityOf(opts.dnssec ?? {}));
  serveUdp(udp, state);
  serveTcp(tcp, state);
  return {
    host,
    port,
    get queries() {
      return state.queries;
    },
    close: () => closeAll(udp, tcp, state),
  };
}

// ---------------------------------------------------------------- zone

/** The zone: records by lower-case owner name. */
export type LabZone = ReadonlyMap<string, readonly dnsPacket.Answer[]>;

/** Normalise and check the records; throws on one dns-packet cannot encode. */
export function buildZone(records: readonly LabZoneRecord[]): LabZone {
  const zone = new Map<string, dnsPacket.Answer[]>();
  for (const record of records) {
    const name = labName(record.name);
    const problem = dataProblem(record);
    if (problem !== undefined) {
      throw new Error(`lab DNS server: cannot encode ${record.type} record for ${record.name}: ${problem}`);
    }
    const answer = { name, type: record.type, ttl: record.ttl ?? DEFAULT_TTL, class: 'IN', data: record.data } as dnsPacket.Answer;
    try {
      dnsPacket.encode({ type: 'response', answers: [answer] });
    } catch (err) {
      throw new Error(`lab DNS server: cannot encode ${record.type} record for ${record.name}: ${String(err)}`);
    }
    const list = zone.get(name) ?? [];
    list.push(answer);
    zone.set(name, list);
  }
  return zone;
}

/** Why a record's data does not fit its type (dns-packet would encode some nonsense silently). */
function dataProblem(record: LabZoneRecord): string | undefined {
  const { type, data } = record;
  const isText = (d: unknown): boolean => typeof d === 'string' || Buffer.isBuffer(d);
  switch (type) {
    case 'A':
      return typeof data === 'string' && net.isIPv4(data) ? undefined : 'data must be an IPv4 address';
    case 'AAAA':
      return typeof data === 'string' && net.isIPv6(data) ? undefined : 'data must be an IPv6 address';
    case 'CNAME':
    case 'NS':
      return typeof data === 'string' ? undefined : 'data must be a host name';
    case 'MX': {
      const mx = data as { preference?: unknown; exchange?: unknown } | null;
      const ok = typeof mx === 'object' && mx !== null && typeof mx.exchange === 'string' &&
        (mx.preference === undefined || (Number.isInteger(mx.preference) && (mx.preference as number) >= 0 && (mx.preference as number) <= 0xffff));
      return ok ? undefined : 'data must be {preference: 0..65535, exchange: name}';
    }
    case 'TXT':
      return isText(data) || (Array.isArray(data) && data.every(isText)) ? undefined : 'data must be a string or an array of strings';
    case 'TLSA': {
      const t = data as { usage?: unknown; selector?: unknown; matchingType?: unknown; certificate?: unknown } | null;
      const byte = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 255;
      const ok = typeof t === 'object' && t !== null && byte(t.usage) && byte(t.selector) && byte(t.matchingType) && Buffer.isBuffer(t.certificate);
      return ok ? undefined : 'data must be {usage, selector, matchingType: 0..255, certificate: Buffer}';
    }
    default:
      return 'unsupported record type';
  }
}

/** The zone's answer to one question: rcode and answer records. */
export interface LabAnswer {
  readonly rcode: number;
  readonly answers: readonly dnsPacket.Answer[];
}

/**
 * Answer from the zone: the records of that type; else a CNAME and (when
 * chasing) the target's answer; else NODATA if the name or a descendant
 * exists; else NXDOMAIN.
 */
export function answerFromZone(zone: LabZone, qname: string, qtype: string, chaseCnames = true): LabAnswer {
  const answers: dnsPacket.Answer[] = [];
  const seen = new Set<string>();
  let current = labName(qname);
  for (let depth = 0; depth <= MAX_CNAME_CHASE; depth++) {
    seen.add(current);
    const records = zone.get(current);
    if (records === undefined) {
      return { rcode: hasDescendant(zone, current) ? RCODE.NOERROR : RCODE.NXDOMAIN, answers };
    }
    const matching = records.filter((r) => r.type === qtype);
    if (matching.length > 0) return { rcode: RCODE.NOERROR, answers: [...answers, ...matching] };
    const cname = records.find((r) => r.type === 'CNAME');
    if (cname === undefined || qtype === 'CNAME') return { rcode: RCODE.NOERROR, answers };
    answers.push(cname);
    const target = labName(String(cname.type === 'CNAME' ? cname.data : ''));
    if (!chaseCnames || seen.has(target)) return { rcode: RCODE.NOERROR, answers };
    current = target;
  }
  return { rcode: RCODE.NOERROR, answers };
}

/** The security of the zone a name lies in: the longest apex that is the name or a suffix of it. */
function securityOf(zones: Readonly<Record<string, LabZoneSecurity>>): (name: string) => LabZoneSecurity {
  const apexes = Object.entries(zones).map(([apex, security]) => [labName(apex), security] as const).sort((a, b) => b[0].length - a[0].length);
  return (name) => apexes.find(([apex]) => name === apex || name.endsWith(`.${apex}`))?.[1] ?? 'insecure';
}

/** The security of an answer: bogus if any name it covers is, secure if all are, else insecure. */
function answerSecurity(answer: LabAnswer, qname: string, security: (name: string) => LabZoneSecurity): LabZoneSecurity {
  const names = new Set([labName(qname), ...answer.answers.map((a) => labName(a.name))]);
  const last = answer.answers.at(-1);
  if (last?.type === 'CNAME') names.add(labName(String(last.data)));
  const states = [...names].map(security);
  if (states.includes('bogus')) return 'bogus';
  return states.every((s) => s === 'secure') ? 'secure' : 'insecure';
}

function hasDescendant(zone: LabZone, name: string): boolean {
  const suffix = `.${name}`;
  for (const owner of zone.keys()) if (owner.endsWith(suffix)) return true;
  return false;
}

function labName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower;
}

// ---------------------------------------------------------------- answering

/** A decoded query we are willing to answer. */
interface IncomingQuery {
  readonly packet: dnsPacket.DecodedPacket;
  readonly question: dnsPacket.Question;
  readonly info: LabDnsQuery;
  /** Largest UDP answer the client accepts. */
  readonly udpLimit: number;
  /** The query carried EDNS with DO=1. */
  readonly dnssecOk: boolean;
}

/** Everything the transports share: zone, hook, counters, pending timers. */
class ServerState {
  queries = 0;
  readonly timers = new Set<NodeJS.Timeout>();
  readonly connections = new Set<net.Socket>();
  closed = false;
  closing: Promise<void> | undefined;

  constructor(
    readonly zone: LabZone,
    readonly behaviour: LabDnsBehaviour | undefined,
    readonly chaseCnames: boolean,
    readonly security: (name: string) => LabZoneSecurity,
  ) {}

  /** Handle one message; `send` delivers an answer on the transport it came from. */
  handle(msg: Buffer, transport: 'udp' | 'tcp', remote: LabDnsQuery['remote'], send: (answer: Buffer) => void): void {
    if (this.closed) return;
    const query = parseQuery(msg, transport, remote);
    if (query === undefined) return;
    this.queries += 1;
    const action = this.actionFor(query.info);
    this.perform(action, query, send);
  }

  private actionFor(info: LabDnsQuery): LabDnsAction {
    if (this.behaviour === undefined) return undefined;
    try {
      return this.behaviour(info);
    } catch {
      return undefined;
    }
  }

  private perform(action: LabDnsAction, query: IncomingQuery, send: (answer: Buffer) => void): void {
    const transport = query.info.transport;
    if (action === 'drop') return;
    if (action === 'servfail' || action === 'refused') {
      send(encodeAnswer(query, { rcode: action === 'servfail' ? RCODE.SERVFAIL : RCODE.REFUSED, answers: [] }));
      return;
    }
    if (action === 'truncate' && transport === 'udp') {
      send(encodeAnswer(query, { rcode: RCODE.NOERROR, answers: [] }, { truncated: true }));
      return;
    }
    if (typeof action === 'object' && 'raw' in action) {
      send(action.raw);
      return;
    }
    if (typeof action === 'object' && 'delayMs' in action) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.closed) send(this.normalAnswer(query));
      }, action.delayMs);
      this.timers.add(timer);
      return;
    }
    if (typeof action === 'object' && 'wrongIdFirst' in action) {
      const wrongId = { ...query, packet: { ...query.packet, id: ((query.packet.id ?? 0) + 1) & 0xffff } };
      send(this.normalAnswer(wrongId));
    }
    send(this.normalAnswer(query));
  }

  /** The zone's answer as a validating resolver gives it (AD, or SERVFAIL for bogus data), truncated when too large for UDP. */
  private normalAnswer(query: IncomingQuery): Buffer {
    const answer = answerFromZone(this.zone, query.info.name, query.info.type, this.chaseCnames);
    const security = answerSecurity(answer, query.info.name, this.security);
    if (security === 'bogus' && !query.packet.flag_cd) return encodeAnswer(query, { rcode: RCODE.SERVFAIL, answers: [] });
    const wantsDnssec = query.packet.flag_ad === true || query.dnssecOk;
    const full = encodeAnswer(query, answer, { authenticated: security === 'secure' && wantsDnssec });
    if (query.info.transport === 'udp' && full.length > query.udpLimit) {
      return encodeAnswer(query, { rcode: answer.rcode, answers: [] }, { truncated: true, authenticated: security === 'secure' && wantsDnssec });
    }
    return full;
  }
}

function parseQuery(msg: Buffer, transport: 'udp' | 'tcp', remote: LabDnsQuery['remote']): IncomingQuery | undefined {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const question = packet.questions?.[0];
  if (packet.type !== 'query' || question === undefined || typeof question.name !== 'string') return undefined;
  const info: LabDnsQuery = {
    name: labName(question.name),
    type: String(question.type),
    id: packet.id ?? 0,
    transport,
    remote,
  };
  const opt = packet.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  return { packet, question, info, udpLimit: udpLimitOf(packet), dnssecOk: opt?.flag_do === true };
}

/** 512 bytes, or the EDNS payload size the client advertised (RFC 6891), capped. */
function udpLimitOf(packet: dnsPacket.DecodedPacket): number {
  const opt = packet.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  if (opt === undefined) return UDP_LIMIT;
  return Math.min(Math.max(opt.udpPayloadSize, UDP_LIMIT), MAX_EDNS_UDP);
}

function encodeAnswer(query: IncomingQuery, answer: LabAnswer, options: { truncated?: boolean; authenticated?: boolean } = {}): Buffer {
  let flags = dnsPacket.AUTHORITATIVE_ANSWER | answer.rcode;
  if (query.packet.flag_rd) flags |= dnsPacket.RECURSION_DESIRED;
  if (options.truncated === true) flags |= dnsPacket.TRUNCATED_RESPONSE;
  if (options.authenticated === true) flags |= dnsPacket.AUTHENTIC_DATA;
  if (query.packet.flag_cd) flags |= dnsPacket.CHECKING_DISABLED;
  return dnsPacket.encode({
    type: 'response',
    id: query.packet.id ?? 0,
    flags,
    questions: [query.question],
    answers: options.truncated === true ? [] : [...answer.answers],
  });
}

// ---------------------------------------------------------------- transports

function serveUdp(socket: dgram.Socket, state: ServerState): void {
  socket.on('error', () => {
    // a lab server survives ICMP errors and the like
  });
  socket.on('message', (msg, rinfo) => {
    const remote = { address: rinfo.address, port: rinfo.port };
    state.handle(msg, 'udp', remote, (answer) => {
      if (state.closed) return;
      socket.send(answer, rinfo.port, rinfo.address, () => {
        // best effort
      });
    });
  });
}

function serveTcp(server: net.Server, state: ServerState): void {
  const open = state.connections;
  server.on('error', () => {
    // keep serving
  });
  server.on('connection', (conn) => {
    open.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => open.delete(conn));
    const remote = { address: conn.remoteAddress ?? '', port: conn.remotePort ?? 0 };
    const send = (answer: Buffer): void => {
      if (conn.destroyed) return;
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(answer.length, 0);
      conn.write(Buffer.concat([prefix, answer]));
    };
    readFrames(conn, (frame) => state.handle(frame, 'tcp', remote, send));
  });
}

/** Feed each length-prefixed message of a TCP stream to `onFrame`; destroy the connection past a byte budget. */
function readFrames(conn: net.Socket, onFrame: (frame: Buffer) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  let total = 0;
  conn.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > MAX_TCP_BYTES) {
      conn.destroy();
      return;
    }
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 2) {
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) break;
      const frame = buffered.subarray(2, 2 + length);
      buffered = buffered.subarray(2 + length);
      onFrame(frame);
    }
  });
}

/** A UDP socket and a TCP server on one loopback port (port 0: a free one, retried if TCP's is taken). */
export async function bindPair(host: string, port: number): Promise<{ udp: dgram.Socket; tcp: net.Server }> {
  const tries = port === 0 ? BIND_TRIES : 1;
  let lastError: unknown;
  for (let i = 0; i < tries; i++) {
    const udp = await bindUdp(host, port);
    try {
      const tcp = await listenTcp(host, udp.address().port);
      return { udp, tcp };
    } catch (err) {
      lastError = err;
      await closeUdp(udp);
    }
  }
  throw new Error(`lab DNS server: cannot listen on TCP beside UDP: ${String(lastError)}`);
}

export function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    const fail = (err: Error): void => {
      socket.close();
      reject(err);
    };
    socket.once('error', fail);
    socket.bind({ port, address: host }, () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

function listenTcp(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

function closeTcp(server: net.Server, open: ReadonlySet<net.Socket>): Promise<void> {
  return new Promise((resolve) => {
    for (const conn of open) conn.destroy();
    server.close(() => resolve());
  });
}

/** Stop answering, cancel late answers, close both sockets; safe to call twice. */
function closeAll(udp: dgram.Socket, tcp: net.Server, state: ServerState): Promise<void> {
  if (state.closing === undefined) {
    state.closed = true;
    for (const timer of state.timers) clearTimeout(timer);
    state.timers.clear();
    state.closing = Promise.all([closeUdp(udp), closeTcp(tcp, state.connections)]).then(() => undefined);
  }
  return state.closing;
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return new net.SocketAddress({ address: host, family: 'ipv6' }).address === '::1';
  return false;
}
