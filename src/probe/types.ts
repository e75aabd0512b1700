/** Contract of the prober: one SMTP session to one IP:port. probe() never throws. */
import type { Socket } from 'node:net';
import type { ProbeResult } from '../model/probe.js';
import type { TlsVersionSetting } from '../model/report.js';

export interface ProbeTarget {
  readonly ip: string;
  readonly port: number;
  /** SNI and the name for hostnameMatch; null for an IP-literal relay (no SNI is sent). */
  readonly sni: string | null;
  /** TLS from the first byte (port 465 or --implicit-tls) instead of STARTTLS. */
  readonly implicitTls?: boolean;
}

export interface ProbeTimeouts {
  readonly connectMs: number;
  readonly greetingMs: number;
  readonly commandMs: number;
  readonly tlsMs: number;
  /** The whole probe, connect to QUIT; caps every phase. */
  readonly probeMs: number;
}

export interface ProbeOptions {
  /** The name sent with EHLO/HELO. */
  readonly heloName: string;
  readonly timeouts: ProbeTimeouts;
  /** Lowest version the client offers (the policy's minimum). */
  readonly minTlsVersion: TlsVersionSetting;
  /** Trust anchors (PEM): Node's bundled roots plus --ca-file. */
  readonly trustAnchors: readonly string[];
  /** After a handshake failure, try once more offering only older versions to name what the server speaks. */
  readonly legacyCheck: boolean;
  /** A client certificate to present in every handshake (--client-cert/--client-key), for relays that authenticate the sender by certificate. */
  readonly clientCertificate?: { readonly certPem: string; readonly keyPem: string };
  /** After a successful session, make one more offering only TLS 1.0/1.1 to see whether the server accepts them. */
  readonly checkLegacyAcceptance?: boolean;
  /** Abort the probe (e.g. on SIGINT): ends as timeout with code probe-timeout... or not-scanned upstream. */
  readonly signal?: AbortSignal;
}

export interface ProbeDeps {
  /** Opens a TCP connection; the default is net.connect. */
  readonly connect: (ip: string, port: number) => Socket;
  /** Monotonic milliseconds; the default is performance.now. */
  readonly now: () => number;
  /** Wall clock for certificate expiry; the default is Date.now. */
  readonly wallClock: () => number;
}
