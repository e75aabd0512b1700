/**
 * The hostile lab's DNS server: UDP and TCP on one loopback port, answering from
 * a zone (the lab's own zone logic, src/lab/dns-server.ts) unless a per-name
 * script says otherwise. A script can drop a query, answer SERVFAIL/REFUSED, set
 * TC, send hand-built malformed packets, or send several datagrams in a row —
 * a forged one (wrong id, wrong question, or from another port: "the wrong
 * source") before the real answer. That last part is why this is a server of its
 * own and not startDnsServer's behaviour hook: the hook sends at most one
 * datagram, from the server's socket.
 *
 * Every query is recorded (name, type, transport, time) so tests can count
 * retries and see the TCP fallback. Loopback only; every timer is cleared and
 * every socket closed by close().
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import dnsPacket from 'dns-packet';
import { answerFromZone, bindPair, bindUdp, buildZone, closeUdp, type LabZone, type LabZoneRecord } from '../../src/lab/dns-server.js';

/** One query as the server saw it. */
export interface SeenQuery {
  /** Lower case, no trailing dot. */
  readonly name: string;
  readonly type: string;
  readonly id: number;
  readonly rd: boolean;
  readonly transport: 'udp' | 'tcp';
  /** performance.now() when it arrived. */
  readonly at: number;
  readonly remote: { readonly address: string; readonly port: number };
}

/** One message to send back. `from: 'stranger'` sends it over UDP from another port of the same address. */
export interface DnsSend {
  readonly bytes: Buffer;
  readonly from?: 'server' | 'stranger';
  readonly delayMs?: number;
}

/** What a script may use to build its answer. */
export interface DnsKit {
  /** The zone's answer to this query (TC and no records when too large for UDP). */
  zone(query: SeenQuery): Buffer;
  /** The zone's answer to another question, under this query's id (for forgeries). */
  zoneFor(query: SeenQuery, name: string, type: string): Buffer;
  /** An empty answer with this rcode (2 SERVFAIL, 5 REFUSED, ...). */
  rcode(query: SeenQuery, rcode: number): Buffer;
  /** NOERROR, TC set, no records. */
  truncated(query: SeenQuery): Buffer;
}

/** Decides the answers to one query; [] drops it. */
export type DnsScript = (query: SeenQuery, kit: DnsKit) => readonly DnsSend[];

export interface HostileDnsOptions {
  readonly records: readonly LabZoneRecord[];
  /** Scripts by question name (lower case, no trailing dot), for every type and transport. */
  readonly scripts?: ReadonlyMap<string, DnsScript>;
  readonly host?: string;
}

export interface HostileDns {
  readonly host: string;
  readonly port: number;
  /** Every query received, in order. */
  readonly queries: readonly SeenQuery[];
  close(): Promise<void>;
}

const RCODE_NOERROR = 0;
const MAX_TCP_BYTES = 64 * 1024;
const TCP_IDLE_MS = 10_000;

export async function startHostileDns(options: HostileDnsOptions): Promise<HostileDns> {
  const host = options.host ?? '127.0.0.1';
  if (!host.startsWith('127.')) throw new Error(`hostile DNS: ${host} is not a loopback address`);
  const zone = buildZone(options.records);
  const scripts = options.scripts ?? new Map<string, DnsScript>();
  const queries: SeenQuery[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const connections = new Set<net.Socket>();
  let closed = false;

  const { udp, tcp } = await bindFreePair(host);
  const stranger = await bindUdp(host, 0);
  const kit = makeKit(zone);

  const handle = (msg: Buffer, transport: 'udp' | 'tcp', remote: SeenQuery['remote'], send: (bytes: Buffer, from: 'server' | 'stranger') => void): void => {
    if (closed) return;
    const query = parseQuery(msg, transport, remote);
    if (query === undefined) return;
    queries.push(query);
    const script = scripts.get(query.name);
    let plan: readonly DnsSend[];
    try {
      plan = script === undefined ? [{ bytes: kit.zone(query) }] : script(query, kit);
    } catch {
      plan = [];
    }
    for (const item of plan) {
      const from = transport === 'tcp' ? 'server' : (item.from ?? 'server');
      if ((item.delayMs ?? 0) <= 0) {
        send(item.bytes, from);
        continue;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!closed) send(item.bytes, from);
      }, item.delayMs);
      timers.add(timer);
    }
  };

  udp.on('error', () => undefined);
  stranger.on('error', () => undefined);
  udp.on('message', (msg, rinfo) => {
    const remote = { address: rinfo.address, port: rinfo.port };
    handle(msg, 'udp', remote, (bytes, from) => {
      if (closed) return;
      (from === 'stranger' ? stranger : udp).send(bytes, rinfo.port, rinfo.address, () => undefined);
    });
  });

  tcp.on('error', () => undefined);
  tcp.on('connection', (conn) => {
    connections.add(conn);
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => conn.destroy());
    conn.on('close', () => connections.delete(conn));
    const remote = { address: conn.remoteAddress ?? '', port: conn.remotePort ?? 0 };
    let buffered = Buffer.alloc(0);
    let total = 0;
    conn.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_TCP_BYTES) {
        conn.destroy();
        return;
      }
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const frame = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + frame.length);
        handle(frame, 'tcp', remote, (bytes) => {
          if (conn.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(bytes.length, 0);
          conn.write(Buffer.concat([prefix, bytes]));
        });
      }
    });
  });

  return {
    host,
    port: udp.address().port,
    queries,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const conn of connections) conn.destroy();
      await Promise.all([closeUdp(udp), closeUdp(stranger), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

// ---------------------------------------------------------------- answers from the zone

function makeKit(zone: LabZone): DnsKit {
  const answer = (query: SeenQuery, name: string, type: string, udpLimit: number | null): Buffer => {
    const { rcode, answers } = answerFromZone(zone, name, type, true);
    const full = response(query, { name, type }, rcode, answers, false);
    if (udpLimit !== null && full.length > udpLimit) return response(query, { name, type }, rcode, [], true);
    return full;
  };
  return {
    zone: (query) => answer(query, query.name, query.type, query.transport === 'udp' ? 512 : null),
    zoneFor: (query, name, type) => answer(query, name, type, null),
    rcode: (query, rcode) => response(query, { name: query.name, type: query.type }, rcode, [], false),
    truncated: (query) => response(query, { name: query.name, type: query.type }, RCODE_NOERROR, [], true),
  };
}

function response(
  query: SeenQuery,
  question: { name: string; type: string },
  rcode: number,
  answers: readonly dnsPacket.Answer[],
  truncated: boolean,
): Buffer {
  let flags = dnsPacket.AUTHORITATIVE_ANSWER | rcode;
  if (query.rd) flags |= dnsPacket.RECURSION_DESIRED;
  if (truncated) flags |= dnsPacket.TRUNCATED_RESPONSE;
  return dnsPacket.encode({
    type: 'response',
    id: query.id,
    flags,
    questions: [{ name: question.name, type: question.type as dnsPacket.RecordType, class: 'IN' }],
    answers: truncated ? [] : [...answers],
  });
}

function parseQuery(msg: Buffer, transport: 'udp' | 'tcp', remote: SeenQuery['remote']): SeenQuery | undefined {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const question = packet.questions?.[0];
  if (packet.type !== 'query' || question === undefined || typeof question.name !== 'string') return undefined;
  const lower = question.name.toLowerCase();
  return {
    name: lower.endsWith('.') && lower.length > 1 ? lower.slice(0, -1) : lower,
    type: String(question.type),
    id: packet.id ?? 0,
    rd: packet.flag_rd === true,
    transport,
    at: performance.now(),
    remote,
  };
}

// ---------------------------------------------------------------- hand-built packets (RFC 9267's checklist)

const TYPE_CODES: Readonly<Record<string, number>> = { A: 1, CNAME: 5, MX: 15, TXT: 16, AAAA: 28 };

/** A name as labels, no compression. Labels are taken as given (a test may want one over 63). */
export function wireName(name: string): Buffer {
  const parts = name === '' || name === '.' ? [] : name.split('.');
  return Buffer.concat([...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])), Buffer.from([0])]);
}

function header(query: SeenQuery, counts: { qd: number; an: number; ns?: number; ar?: number }, rcode = RCODE_NOERROR): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(query.id, 0);
  h.writeUInt16BE(0x8000 | 0x0400 | (query.rd ? 0x0100 : 0) | rcode, 2);
  h.writeUInt16BE(counts.qd, 4);
  h.writeUInt16BE(counts.an, 6);
  h.writeUInt16BE(counts.ns ?? 0, 8);
  h.writeUInt16BE(counts.ar ?? 0, 10);
  return h;
}

function questionOf(query: SeenQuery): Buffer {
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(TYPE_CODES[query.type] ?? 15, 0);
  tail.writeUInt16BE(1, 2);
  return Buffer.concat([wireName(query.name), tail]);
}

/** A resource record owned by the question name (pointer to offset 12), with the given type, RDLENGTH and RDATA. */
function record(type: number, rdata: Buffer, rdlength = rdata.length, owner?: Buffer): Buffer {
  const fixed = Buffer.alloc(12);
  fixed.writeUInt16BE(0xc00c, 0); // owner: pointer to the question name
  fixed.writeUInt16BE(type, 2);
  fixed.writeUInt16BE(1, 4); // IN
  fixed.writeUInt32BE(300, 6);
  fixed.writeUInt16BE(rdlength, 10);
  // An owner of its own (a raw wire name) in place of the pointer.
  return owner === undefined ? Buffer.concat([fixed, rdata]) : Buffer.concat([owner, fixed.subarray(2), rdata]);
}

function preference(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value, 0);
  return b;
}

/**
 * Malformed answers to an MX query, each with the right id and question so the
 * client must decode them (and fail cleanly): the RFC 9267 checklist.
 */
export const MALFORMED: Readonly<Record<string, (query: SeenQuery) => Buffer>> = {
  /** The exchange is a label followed by a pointer back to that label: mx.mx.mx… for ever in a naive decoder. */
  'pointer-loop': (query) => {
    const q = questionOf(query);
    const exchangeOffset = 12 + q.length + 12 + 2;
    const exchange = Buffer.from([2, 0x6d, 0x78, 0xc0 | (exchangeOffset >> 8), exchangeOffset & 0xff]);
    return Buffer.concat([header(query, { qd: 1, an: 1 }), q, record(15, Buffer.concat([preference(10), exchange]))]);
  },
  /** The exchange is a pointer to offset 0x3fff, far past the end of the message. */
  'pointer-out-of-bounds': (query) => {
    const q = questionOf(query);
    return Buffer.concat([header(query, { qd: 1, an: 1 }), q, record(15, Buffer.concat([preference(10), Buffer.from([0xff, 0xff])]))]);
  },
  /** A label length byte of 64 (0x40: the reserved "extended label" prefix, since a label cannot exceed 63). */
  'label-over-63': (query) => {
    const q = questionOf(query);
    const exchange = Buffer.concat([Buffer.from([64]), Buffer.alloc(64, 0x61), Buffer.from([0])]);
    return Buffer.concat([header(query, { qd: 1, an: 1 }), q, record(15, Buffer.concat([preference(10), exchange]))]);
  },
  /** Five 63-octet labels: a 321-octet name, past the 255-octet limit. */
  'name-over-255': (query) => {
    const q = questionOf(query);
    const label = Buffer.concat([Buffer.from([63]), Buffer.alloc(63, 0x62)]);
    const exchange = Buffer.concat([label, label, label, label, label, Buffer.from([0])]);
    return Buffer.concat([header(query, { qd: 1, an: 1 }), q, record(15, Buffer.concat([preference(10), exchange]))]);
  },
  /** RDLENGTH says 255 bytes; the message ends after 10. */
  'rdlength-past-end': (query) => {
    const q = questionOf(query);
    const rdata = Buffer.concat([preference(10), wireName('mx.example')]);
    return Buffer.concat([header(query, { qd: 1, an: 1 }), q, record(15, rdata, 255)]);
  },
  /** ANCOUNT 4, one record present. */
  'counts-past-data': (query) => {
    const q = questionOf(query);
    const rdata = Buffer.concat([preference(10), wireName('mx.example')]);
    return Buffer.concat([header(query, { qd: 1, an: 4 }), q, record(15, rdata)]);
  },
  /** The right id, then 4 bytes: shorter than a DNS header. */
  'short-header': (query) => {
    const h = header(query, { qd: 1, an: 0 });
    return h.subarray(0, 6);
  },
};

/** A name from raw label bytes (any bytes: a label is an octet string). */
export function wireLabels(labels: readonly Buffer[]): Buffer {
  return Buffer.concat([...labels.flatMap((label) => [Buffer.from([label.length]), label]), Buffer.from([0])]);
}

/** A well-formed answer owned by the question name, from raw RDATA (names inside it as raw wire names). */
export function rawAnswer(query: SeenQuery, records: readonly { readonly type: 'MX' | 'CNAME' | 'A'; readonly rdata: Buffer; readonly owner?: Buffer }[]): Buffer {
  const q = questionOf(query);
  const answers = records.map((r) => record(TYPE_CODES[r.type] ?? 15, r.rdata, r.rdata.length, r.owner));
  return Buffer.concat([header(query, { qd: 1, an: answers.length }), q, ...answers]);
}

/** MX RDATA: preference and a raw wire name. */
export function mxRdata(pref: number, exchange: Buffer): Buffer {
  return Buffer.concat([preference(pref), exchange]);
}

// ---------------------------------------------------------------- sockets

const bindFreePair = (host: string) => bindPair(host, 0);
