/**
 * A lab: one DNS server and several SMTP servers on loopback, every SMTP server
 * on its own 127.0.0.x address and all on one port (MX probes use one port for
 * every address, as port 25 is in the real world). Used by `mxready demo`, the
 * tests and the benchmark. Linux routes all of 127.0.0.0/8 to loopback.
 */
import { startDnsServer, type LabDnsServer, type LabZoneRecord, type LabZoneSecurity } from './dns-server.js';
import { startSmtpServer, type LabSmtpOptions, type LabSmtpServer } from './smtp-server.js';

export interface LabServerSpec extends Omit<LabSmtpOptions, 'host' | 'port'> {
  /** A loopback address of its own, e.g. 127.0.0.2. */
  readonly ip: string;
}

export interface LabSpec {
  readonly servers: readonly LabServerSpec[];
  /** The zone, or a function of the SMTP port (TLSA owner names carry it: _PORT._tcp.HOST). */
  readonly records: readonly LabZoneRecord[] | ((port: number) => readonly LabZoneRecord[]);
  /** DNSSEC state by zone apex, as the lab's validating resolver reports it (src/lab/dns-server.ts). */
  readonly dnssec?: Readonly<Record<string, LabZoneSecurity>>;
}

export interface RunningLab {
  /** The one port every SMTP server listens on. */
  readonly port: number;
  readonly dns: LabDnsServer;
  readonly smtp: readonly LabSmtpServer[];
  close(): Promise<void>;
}

const PORT_ATTEMPTS = 8;

async function closeAll(servers: readonly { close(): Promise<void> }[]): Promise<void> {
  await Promise.allSettled(servers.map((s) => s.close()));
}

/** Starts every SMTP server on one port: the first picks a free one, the rest follow; retried if taken. */
async function startSmtpServers(specs: readonly LabServerSpec[]): Promise<{ port: number; servers: LabSmtpServer[] }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const started: LabSmtpServer[] = [];
    try {
      let port = 0;
      for (const { ip, ...options } of specs) {
        const server = await startSmtpServer({ ...options, host: ip, port });
        started.push(server);
        port = server.port;
      }
      return { port, servers: started };
    } catch (error) {
      lastError = error;
      await closeAll(started);
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE') break;
    }
  }
  throw new Error(`could not start the lab's SMTP servers: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}

export async function startLab(spec: LabSpec): Promise<RunningLab> {
  const { port, servers } = await startSmtpServers(spec.servers);
  try {
    const records = typeof spec.records === 'function' ? spec.records(port) : spec.records;
    const dns = await startDnsServer({ records, ...(spec.dnssec ? { dnssec: spec.dnssec } : {}) });
    return {
      port,
      dns,
      smtp: servers,
      close: async () => {
        await closeAll([...servers, dns]);
      },
    };
  } catch (error) {
    await closeAll(servers);
    throw error;
  }
}
