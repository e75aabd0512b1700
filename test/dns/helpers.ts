/**
 * Test helpers for the resolver layer: a lab DNS server per test on loopback,
 * a client pointed only at it, and builders of raw (often broken) answers.
 * Nothing here ever talks to the system resolver or a non-loopback address.
 */
import type { TestContext } from 'node:test';
import dnsPacket from 'dns-packet';
import { createDnsClient } from '../../src/dns/client.js';
import type { DnsClient, DnsClientOptions } from '../../src/dns/types.js';
import {
  startDnsServer,
  type LabDnsBehaviour,
  type LabDnsServer,
  type LabZoneRecord,
  type LabZoneSecurity,
} from '../../src/lab/dns-server.js';

/** Every test's wall-clock budget: nothing here should come close. */
export const TEST_TIMEOUT_MS = 5_000;

export interface LabSetup {
  readonly server: LabDnsServer;
  readonly client: DnsClient;
}

export interface LabOptions {
  readonly behaviour?: LabDnsBehaviour;
  /** DNSSEC state by zone apex (the lab plays a validating resolver). */
  readonly dnssec?: Readonly<Record<string, LabZoneSecurity>>;
  readonly host?: string;
  readonly chaseCnames?: boolean;
  readonly client?: Partial<Omit<DnsClientOptions, 'servers'>>;
}

/** Start a lab server and a client that only knows it; both are closed when the test ends. */
export async function lab(t: TestContext, records: readonly LabZoneRecord[], options: LabOptions = {}): Promise<LabSetup> {
  const server = await startLab(t, records, options);
  const client = labClient(t, [server], options.client);
  return { server, client };
}

/** Start a lab server closed at the end of the test. */
export async function startLab(t: TestContext, records: readonly LabZoneRecord[], options: LabOptions = {}): Promise<LabDnsServer> {
  const server = await startDnsServer({
    records,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.behaviour !== undefined ? { behaviour: options.behaviour } : {}),
    ...(options.chaseCnames !== undefined ? { chaseCnames: options.chaseCnames } : {}),
    ...(options.dnssec !== undefined ? { dnssec: options.dnssec } : {}),
  });
  t.after(() => server.close());
  return server;
}

/** A client over these lab servers (in order), closed at the end of the test. */
export function labClient(
  t: TestContext,
  servers: readonly LabDnsServer[],
  options: Partial<Omit<DnsClientOptions, 'servers'>> = {},
): DnsClient {
  const client = createDnsClient({
    servers: servers.map((s) => ({ host: s.host, port: s.port })),
    timeoutMs: options.timeoutMs ?? 300,
    attempts: options.attempts ?? 2,
  });
  t.after(() => client.close());
  return client;
}

/** Run `fn` and measure how long it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ readonly value: T; readonly ms: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - start };
}

/** A well-formed response to (name, type) with this id and these answers. */
export function response(id: number, name: string, type: dnsPacket.RecordType, answers: dnsPacket.Answer[] = [], flags = 0): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | flags,
    questions: [{ name, type, class: 'IN' }],
    answers,
  });
}

/** A DNS header with these counts (QR set, NOERROR). */
export function header(id: number, counts: { qd?: number; an?: number; ns?: number; ar?: number } = {}): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(0x8400, 2);
  buf.writeUInt16BE(counts.qd ?? 1, 4);
  buf.writeUInt16BE(counts.an ?? 0, 6);
  buf.writeUInt16BE(counts.ns ?? 0, 8);
  buf.writeUInt16BE(counts.ar ?? 0, 10);
  return buf;
}

/** A name in wire format, uncompressed. */
export function wireName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l.length > 0);
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** Type and class fields (class IN). */
export function typeClass(type: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeUInt16BE(type, 0);
  buf.writeUInt16BE(1, 2);
  return buf;
}

/** An RR header: compressed owner (pointer to the question name), type, class IN, TTL 60, RDLENGTH. */
export function rrHeader(type: number, rdlength: number): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt16BE(0xc00c, 0);
  buf.writeUInt16BE(type, 2);
  buf.writeUInt16BE(1, 4);
  buf.writeUInt32BE(60, 6);
  buf.writeUInt16BE(rdlength, 10);
  return buf;
}
