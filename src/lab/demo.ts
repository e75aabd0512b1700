/**
 * The offline demo: a zone under mxready.test whose MX hosts show every kind of
 * gap, served by the lab on loopback. Certificates are made at start-up by a
 * demo CA that the scan is told to trust (--ca-file in a real run). The lab's
 * DNS server plays a validating resolver: mxready.test is DNSSEC-secure, with
 * an unsigned child (the TLSA records of mx.dane-insecure) and a bogus one
 * (bogus.mxready.test); DANE's TLSA records are computed from the keys made at
 * start-up. MTA-STS policies (RFC 8461) are served by an HTTPS server of the
 * lab (./policy-server.ts) on 127.0.0.80, at a port the scan is told
 * (--mta-sts-port in a real run).
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { ScanOptions } from '../scan/scan.js';
import { createCa, createSelfSigned, type LabCa } from './certs.js';
import type { LabZoneRecord } from './dns-server.js';
import { startLab, type LabServerSpec, type RunningLab } from './lab.js';
import { startPolicyServer, type LabPolicyResponse, type LabPolicyServer } from './policy-server.js';

export const DEMO_ZONE = 'mxready.test';

export interface DemoLab {
  /** The demo's targets, in the order the report lists them. */
  readonly targets: readonly string[];
  /** What a scan of the lab needs: its resolver, port, CA and permission to dial loopback. */
  readonly scanOptions: ScanOptions;
  readonly lab: RunningLab;
  /** The HTTPS server of the MTA-STS policies. */
  readonly policies: LabPolicyServer;
  readonly caPem: string;
  close(): Promise<void>;
}

const name = (label: string) => `${label}.${DEMO_ZONE}`;
const DAY = 86_400_000;

interface DemoHost {
  readonly label: string;
  readonly ip: string;
  readonly build: (ca: LabCa, host: string) => Promise<Omit<LabServerSpec, 'ip'>>;
}

async function starttlsServer(
  host: string,
  cert: { keyPem: string; chainPem: string },
  tls: { minVersion?: 'TLSv1' | 'TLSv1.2'; maxVersion?: 'TLSv1' | 'TLSv1.2' | 'TLSv1.3'; ecdhCurve?: string; ciphers?: string } = {},
  extra: Partial<Omit<LabServerSpec, 'ip'>> = {},
): Promise<Omit<LabServerSpec, 'ip'>> {
  return { hostname: host, starttls: true, tls: { key: cert.keyPem, cert: cert.chainPem, ...tls }, ...extra };
}

/** Each demo MX host: what it runs and which gap it shows. */
const HOSTS: readonly DemoHost[] = [
  {
    label: 'mx.modern',
    ip: '127.0.0.2',
    // TLS 1.3 with a trusted certificate; also names nomx.mxready.test, the implicit-MX domain on this address.
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host, name('nomx')] }), { ecdhCurve: 'X25519' }),
  },
  {
    label: 'mx.tls12',
    ip: '127.0.0.3',
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host], keyType: 'rsa-2048' }), {
        maxVersion: 'TLSv1.2',
        ecdhCurve: 'P-256',
      }),
  },
  {
    label: 'mx.legacy',
    ip: '127.0.0.4',
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host], keyType: 'rsa-2048' }), {
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1',
      }),
  },
  {
    label: 'mx.lenient',
    ip: '127.0.0.11',
    // Negotiates TLS 1.3 with a modern client, yet still accepts TLS 1.0: only a session offering TLS 1.0-1.1 sees it (strict makes one).
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] }), { minVersion: 'TLSv1', maxVersion: 'TLSv1.3', ecdhCurve: 'X25519' }),
  },
  {
    label: 'mx.plaintext',
    ip: '127.0.0.5',
    build: async (_ca, host) => ({ hostname: host, starttls: false }),
  },
  {
    label: 'mx.busy',
    ip: '127.0.0.6',
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] }), {}, { starttlsReply: '454 4.7.0 TLS not available due to local problem' }),
  },
  {
    label: 'mx.selfsigned',
    ip: '127.0.0.7',
    build: async (_ca, host) => starttlsServer(host, await createSelfSigned({ commonName: host, dnsNames: [host] })),
  },
  {
    label: 'mx.expired',
    ip: '127.0.0.8',
    build: async (ca, host) =>
      starttlsServer(
        host,
        await ca.issue({ commonName: host, dnsNames: [host], notBefore: new Date(Date.now() - 400 * DAY), notAfter: new Date(Date.now() - 10 * DAY) }),
      ),
  },
  {
    label: 'mx.wrongname',
    ip: '127.0.0.9',
    build: async (ca, host) => starttlsServer(host, await ca.issue({ commonName: 'mail.elsewhere.test', dnsNames: ['mail.elsewhere.test'] })),
  },
  {
    label: 'mx.clientcert',
    ip: '127.0.0.10',
    build: async (ca, host) =>
      starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] }), {}, { ehloAfterTlsReply: '421 4.7.1 Client certificate required' }),
  },
  // DANE (RFC 7672): the TLSA records for these hosts are computed from their certificates (daneRecords).
  { label: 'mx.dane-ok', ip: '127.0.0.12', build: async (ca, host) => starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] })) },
  { label: 'mx.dane-bad', ip: '127.0.0.13', build: async (ca, host) => starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] })) },
  {
    label: 'mx.dane-ta',
    ip: '127.0.0.14',
    // The demo CA is the trust anchor (2 0 1): the server sends it after the leaf, as RFC 7672 §3.1.2 asks.
    build: async (ca, host) => {
      const leaf = await ca.issue({ commonName: host, dnsNames: [host] });
      return starttlsServer(host, { keyPem: leaf.keyPem, chainPem: `${leaf.chainPem}${ca.certPem}` });
    },
  },
  { label: 'mx.dane-insecure', ip: '127.0.0.15', build: async (ca, host) => starttlsServer(host, await ca.issue({ commonName: host, dnsNames: [host] })) },
];

/** The demo's domains: [domain label, MX records as [preference, MX label]]. */
const DOMAINS: readonly [string, readonly (readonly [number, string])[]][] = [
  ['modern', [[10, 'mx.modern']]],
  ['tls12', [[10, 'mx.tls12']]],
  ['legacy', [[10, 'mx.legacy']]],
  ['lenient', [[10, 'mx.lenient']]],
  ['plaintext', [[10, 'mx.plaintext']]],
  ['busy', [[10, 'mx.busy']]],
  ['selfsigned', [[10, 'mx.selfsigned']]],
  ['expired', [[10, 'mx.expired']]],
  ['wrongname', [[10, 'mx.wrongname']]],
  ['clientcert', [[10, 'mx.clientcert']]],
  ['backup', [[20, 'mx.plaintext'], [10, 'mx.modern']]],
  ['dane-ok', [[10, 'mx.dane-ok']]],
  ['dane-bad', [[10, 'mx.dane-bad']]],
  ['dane-ta', [[10, 'mx.dane-ta']]],
  ['dane-insecure', [[10, 'mx.dane-insecure']]],
  // MTA-STS and TLS-RPT (RFC 8461, RFC 8460): the policies are STS_SITES, the TXT records stsRecords().
  ['sts-enforce', [[10, 'mx.modern']]],
  ['sts-testing', [[10, 'mx.modern']]],
  ['sts-mismatch', [[10, 'mx.modern']]],
  ['sts-down', [[10, 'mx.modern']]],
  ['sts-redirect', [[10, 'mx.modern']]],
  ['sts-large', [[10, 'mx.modern']]],
  ['rpt-bad', [[10, 'mx.modern']]],
  // Effective protection: DANE on one MX and not the other (level opportunistic, dane.partial); DANE and
  // MTA-STS enforce on the same host (DANE first: level dane). sts-mismatch's enforce policy rejects its only MX.
  ['dane-partial', [[10, 'mx.dane-ok'], [20, 'mx.modern']]],
  ['dane-sts', [[10, 'mx.dane-ok']]],
];

/** Where the MTA-STS policy server listens, and an address where nothing does (sts-down's policy host). */
const POLICY_IP = '127.0.0.80';
const NOTHING_IP = '127.0.0.81';

const policy = (mode: string, ...mx: string[]): string => ['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), 'max_age: 86400', ''].join('\r\n');

/** The policy each demo domain serves, by its policy host mta-sts.DOMAIN. */
const STS_SITES: Readonly<Record<string, LabPolicyResponse>> = {
  [`mta-sts.${name('sts-enforce')}`]: { body: policy('enforce', name('mx.modern')) },
  [`mta-sts.${name('dane-sts')}`]: { body: policy('enforce', name('mx.dane-ok')) },
  // A wildcard covers mx.modern.mxready.test (exactly one label more).
  [`mta-sts.${name('sts-testing')}`]: { body: policy('testing', `*.modern.${DEMO_ZONE}`) },
  [`mta-sts.${name('sts-mismatch')}`]: { body: policy('enforce', 'mail.elsewhere.test', `*.${DEMO_ZONE}`) },
  // A redirect is never followed (RFC 8461 §3.3): the server counts requests to its target.
  [`mta-sts.${name('sts-redirect')}`]: { status: 301, headers: { Location: `https://mta-sts.${name('redirected')}/.well-known/mta-sts.txt` } },
  [`mta-sts.${name('redirected')}`]: { body: policy('enforce', name('mx.modern')) },
  // 100 KiB: over the 64 KiB a sender reads.
  [`mta-sts.${name('sts-large')}`]: { body: `${policy('enforce', name('mx.modern'))}${'# padding\r\n'.repeat(10_240)}` },
};

/** The TXT records of MTA-STS and TLS-RPT, and the policy hosts' addresses. */
function stsRecords(): LabZoneRecord[] {
  const txt = (owner: string, text: string): LabZoneRecord => ({ name: owner, type: 'TXT', data: [text] });
  const records: LabZoneRecord[] = [];
  for (const label of ['sts-enforce', 'sts-testing', 'sts-mismatch', 'sts-down', 'sts-redirect', 'sts-large', 'dane-sts']) {
    records.push(txt(`_mta-sts.${name(label)}`, `v=STSv1; id=demo${label.replace(/-/g, '')}1;`));
    records.push({ name: `mta-sts.${name(label)}`, type: 'A', data: label === 'sts-down' ? NOTHING_IP : POLICY_IP });
  }
  records.push({ name: `mta-sts.${name('redirected')}`, type: 'A', data: POLICY_IP });
  records.push(txt(`_smtp._tls.${name('sts-enforce')}`, `v=TLSRPTv1; rua=mailto:tls-reports@${DEMO_ZONE},https://reports.${DEMO_ZONE}/tlsrpt`));
  // No rua, and a URI scheme TLS-RPT does not know: malformed.
  records.push(txt(`_smtp._tls.${name('rpt-bad')}`, 'v=TLSRPTv1; ruf=ftp://reports.example'));
  return records;
}

/** The demo zone's DNSSEC, as the lab's validating resolver reports it. */
const DNSSEC = {
  [DEMO_ZONE]: 'secure',
  // An unsigned child holding mx.dane-insecure's TLSA records: they exist, and senders ignore them.
  [`_tcp.${name('mx.dane-insecure')}`]: 'insecure',
  // A child whose signatures do not validate: its MX lookup is bogus.
  [name('bogus')]: 'bogus',
} as const;

const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

/** The DER of the first certificate in a PEM chain. */
function firstDer(pem: string): Buffer {
  return new X509Certificate(pem).raw;
}

/** The TLSA records of the DANE demo hosts at the lab's port. */
function daneRecords(port: number, certs: ReadonlyMap<string, string>, caPem: string): LabZoneRecord[] {
  const tlsa = (label: string, usage: number, selector: number, matchingType: number, certificate: Buffer): LabZoneRecord => ({
    name: `_${port}._tcp.${name(label)}`,
    type: 'TLSA',
    data: { usage, selector, matchingType, certificate },
  });
  const spkiOf = (label: string): Buffer => new X509Certificate(certs.get(label) ?? '').publicKey.export({ type: 'spki', format: 'der' });
  return [
    // 3 1 1: the leaf's key, as most DANE domains publish.
    tlsa('mx.dane-ok', 3, 1, 1, sha256(spkiOf('mx.dane-ok'))),
    // 3 1 1 for a key the server does not have (a key rolled without the record).
    tlsa('mx.dane-bad', 3, 1, 1, sha256(spkiOf('mx.dane-ok'))),
    // 2 0 1: the demo CA's certificate, which the server sends after its leaf.
    tlsa('mx.dane-ta', 2, 0, 1, sha256(firstDer(caPem))),
    // 3 1 1 in the unsigned child zone: ignored.
    tlsa('mx.dane-insecure', 3, 1, 1, sha256(spkiOf('mx.dane-insecure'))),
  ];
}

function zoneRecords(): LabZoneRecord[] {
  const records: LabZoneRecord[] = [];
  for (const host of HOSTS) records.push({ name: name(host.label), type: 'A', data: host.ip });
  for (const [label, mxs] of DOMAINS) {
    for (const [preference, mx] of mxs) records.push({ name: name(label), type: 'MX', data: { preference, exchange: name(mx) } });
  }
  records.push({ name: name('nullmx'), type: 'MX', data: { preference: 0, exchange: '.' } });
  records.push({ name: name('nomx'), type: 'A', data: '127.0.0.2' });
  records.push({ name: name('bogus'), type: 'MX', data: { preference: 10, exchange: name('mx.modern') } });
  records.push(...stsRecords());
  return records;
}

export const DEMO_TARGETS: readonly string[] = [
  ...DOMAINS.map(([label]) => name(label)),
  name('nomx'),
  name('nullmx'),
  name('missing'),
  name('bogus'),
];

export async function startDemoLab(): Promise<DemoLab> {
  const ca = await createCa({ commonName: 'mxready demo CA' });
  const servers = await Promise.all(HOSTS.map(async (host) => ({ ip: host.ip, ...(await host.build(ca, name(host.label))) })));
  const certs = new Map(HOSTS.map((host, i) => [host.label, String(servers[i]?.tls?.cert ?? '')]));
  const sites = Object.keys(STS_SITES);
  const policyCert = await ca.issue({ commonName: sites[0] ?? 'mta-sts', dnsNames: sites });
  const policies = await startPolicyServer({ host: POLICY_IP, keyPem: policyCert.keyPem, certPem: policyCert.chainPem, sites: STS_SITES });
  let lab: RunningLab;
  try {
    lab = await startLab({ servers, records: (port) => [...zoneRecords(), ...daneRecords(port, certs, ca.certPem)], dnssec: DNSSEC });
  } catch (error) {
    await policies.close();
    throw error;
  }
  return {
    targets: DEMO_TARGETS,
    lab,
    policies,
    caPem: ca.certPem,
    scanOptions: {
      resolvers: [{ host: lab.dns.host, port: lab.dns.port }],
      port: lab.port,
      extraCa: [ca.certPem],
      allowPrivate: true,
      timeoutMs: 15_000,
      dnsTimeoutMs: 2_000,
      mtaStsPort: policies.port,
    },
    close: async () => {
      await Promise.allSettled([lab.close(), policies.close()]);
    },
  };
}
