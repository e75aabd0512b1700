/**
 * The lab's HTTPS server for MTA-STS policies (RFC 8461 §3.3): one node:https
 * server on a loopback address, one certificate naming every site, and a
 * response per Host (the name before any port): a status, a media type, a body,
 * headers (a redirect's Location). Every request is counted per host, so a test
 * can tell that a redirect was not followed. Unknown hosts get 404.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface LabPolicyResponse {
  /** Default 200. */
  readonly status?: number;
  /** Default "text/plain; charset=utf-8"; null sends none. */
  readonly contentType?: string | null;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LabPolicyServerOptions {
  /** The loopback address to listen on. */
  readonly host: string;
  /** Default: a free port. */
  readonly port?: number;
  readonly keyPem: string;
  /** The certificate (and its chain) naming every site. */
  readonly certPem: string;
  /** Responses by host name (lower case). */
  readonly sites: Readonly<Record<string, LabPolicyResponse>>;
}

export interface LabPolicyServer {
  readonly host: string;
  readonly port: number;
  /** Requests received per host name. */
  requestsFor(host: string): number;
  close(): Promise<void>;
}

export async function startPolicyServer(options: LabPolicyServerOptions): Promise<LabPolicyServer> {
  const counts = new Map<string, number>();
  const server: Server = createServer({ key: options.keyPem, cert: options.certPem }, (req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    counts.set(host, (counts.get(host) ?? 0) + 1);
    const site = options.sites[host];
    if (site === undefined || req.url !== '/.well-known/mta-sts.txt') {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    const type = site.contentType === undefined ? 'text/plain; charset=utf-8' : site.contentType;
    const body = site.body ?? '';
    // A declared length, unless the site asks for chunks (then only reading finds the size).
    const chunked = Object.keys(site.headers ?? {}).some((h) => h.toLowerCase() === 'transfer-encoding');
    res.writeHead(site.status ?? 200, {
      ...(type !== null ? { 'Content-Type': type } : {}),
      ...(chunked ? {} : { 'Content-Length': String(Buffer.byteLength(body)) }),
      ...site.headers,
    });
    res.end(body);
  });
  // A client the server keeps waiting must not keep the lab from closing.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: options.host,
    port,
    requestsFor: (host) => counts.get(host.toLowerCase()) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
