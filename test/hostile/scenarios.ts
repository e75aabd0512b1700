/**
 * The hostile lab's scenarios, one row each: the server (a script in
 * servers.ts), the zone records and DNS scripts (dns.ts), and what mxready must
 * report — target status, probe status/phase/code, DNS error code, findings —
 * with the deadline the scenario must end within.
 *
 * Every MX host resolves into 127.77.0.0/16 (loopback on Linux). Addresses
 * outside loopback appear only in the guard scenarios, which are scanned
 * without --allow-private and must never be dialled.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import dnsPacket from 'dns-packet';
import { createCa, createSelfSigned, type LabCa } from '../../src/lab/certs.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { secureContextOptions } from '../../src/lab/smtp-server.js';
import type { MxSource, TargetStatus } from '../../src/model/report.js';
import type { Phase, ProbeStatus } from '../../src/model/probe.js';
import * as der from '../tls/der-builder.js';
import { MALFORMED, mxRdata, rawAnswer, wireLabels, type DnsScript, type SeenQuery } from './dns.js';
import { ALERT, reply, smtpSession, tlsAlert, type Conn, type ServerSpec } from './servers.js';

/** The scan's deadlines, passed to the CLI as --timeout and --dns-timeout. */
export const PROBE_TIMEOUT_MS = 3_000;
export const DNS_TIMEOUT_MS = 300;
/** The client makes up to 3 attempts per lookup (README: --dns-timeout). */
export const DNS_ATTEMPTS = 3;
/** One lookup's deadline: every attempt timing out. */
export const DNS_DEADLINE_MS = DNS_ATTEMPTS * DNS_TIMEOUT_MS;
/** The slack the issue allows past a deadline. */
export const SLACK_MS = 1_000;

export const ZONE = 'hostile.test';

export type Group = 'tcp' | 'smtp' | 'tls' | 'text' | 'dns' | 'guard' | 'good';

export interface ProbeExpectation {
  readonly status: ProbeStatus;
  readonly phase?: Phase;
  /** Any of these error codes (several when the catalogue has two right answers, e.g. a phase timer vs the probe deadline). */
  readonly codes?: readonly string[];
  /** The SMTP reply code kept in error.reply. */
  readonly replyCode?: number;
  /** false: no legacy-check session was made (the failure was not for want of a common version). */
  readonly legacyCheck?: false;
}

export interface Expectation {
  readonly target: TargetStatus;
  /** The first MX's first address. */
  readonly probe?: ProbeExpectation;
  readonly dnsError?: string;
  /** The first MX entry's error.code (why that host has no address). */
  readonly mxError?: string;
  /** The target's error.code. */
  readonly targetError?: string;
  readonly mxSource?: MxSource;
  /** Finding ids the target must carry. */
  readonly findings?: readonly string[];
  /** Finding ids it must not carry. */
  readonly notFindings?: readonly string[];
}

export interface Scenario {
  readonly id: string;
  readonly group: Group;
  /** "Given …" — what the server or zone does. */
  readonly given: string;
  /** The scan target. */
  readonly target: string;
  /** Deadline of the scenario's own work: the probe deadline for a probe, one lookup's for DNS. */
  readonly deadlineMs: number;
  readonly expect: Expectation;
  /** Loopback addresses with a listener that must never see a connection. */
  readonly traps?: readonly string[];
  /** The address the probe must have gone to, when it matters (DNS scenarios). */
  readonly probedIp?: string;
  /** A tighter bound on the probe's totalMs than the deadline (e.g. an unanswered QUIT must delay nothing). */
  readonly maxTotalMs?: number;
}

export interface HostileLabSpec {
  readonly scenarios: readonly Scenario[];
  readonly servers: readonly ServerSpec[];
  readonly records: readonly LabZoneRecord[];
  readonly dnsScripts: ReadonlyMap<string, DnsScript>;
  /** The CA that issued the good hosts' certificates (for --ca-file). */
  readonly caPem: string;
}

// ---------------------------------------------------------------- certificates

interface Pki {
  readonly ca: LabCa;
  readonly good: SecureContext;
  readonly tls12: SecureContext;
  readonly tls10: SecureContext;
  readonly noSharedCipher: SecureContext;
  readonly unparsable: SecureContext;
  readonly hostileText: SecureContext;
}

const pem = (label: string, body: Buffer): string => `-----BEGIN ${label}-----\n${body.toString('base64').match(/.{1,64}/g)?.join('\n')}\n-----END ${label}-----\n`;

/** Bytes of a DER TLV with this tag and raw contents (no validation: that is the point). */
const rawTlv = (tag: number, contents: Buffer): Buffer => der.tlv(tag, contents);

/**
 * A certificate OpenSSL loads and sends, but whose DER mxready's strict reader
 * rejects: the CN's length is in long form for a short length (0x81 0x07), which
 * DER forbids (X.690 §10.1) and BER allows.
 */
function unparsableCertificate(): { keyPem: string; certPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cn = Buffer.concat([Buffer.from([0x0c, 0x81, 0x07]), Buffer.from('bad.der', 'latin1')]);
  const subject = der.seq(der.set(der.seq(der.oid(der.OIDS.CN), cn)));
  const cert = der.syntheticCertificate({ subject, publicKey, signingKey: privateKey });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: pem('CERTIFICATE', cert) };
}

/**
 * A self-signed certificate whose subject and SANs carry terminal escapes, DEL,
 * C0 and C1 controls (as UTF-8 in a UTF8String, and as raw bytes 0x85/0x9b/0xff
 * in a TeletexString and IA5Strings, which OpenSSL does not validate).
 */
function hostileTextCertificate(): { keyPem: string; certPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const utf8 = rawTlv(0x0c, Buffer.concat([Buffer.from('mx \x1b[31mRED\x1b[0m \x7f NUL\x00 BEL\x07 CR\rLF\n ', 'latin1'), Buffer.from('\u0085 \u009b[2J', 'utf8')]));
  const teletex = rawTlv(0x14, Buffer.from('org \x1b]0;title\x07 \x85 \x9b31m \xff \x7f', 'latin1'));
  const ia5 = rawTlv(0x16, Buffer.from('unit \x1b[2J \x08\x08', 'latin1'));
  const subject = der.seq(
    der.set(der.seq(der.oid(der.OIDS.O), teletex)),
    der.set(der.seq(der.oid(der.OIDS.OU), ia5)),
    der.set(der.seq(der.oid(der.OIDS.CN), utf8)),
  );
  const san = der.subjectAltName(
    der.ctxPrim(2, Buffer.from('mx.\x1b[31m.\x9b.\xff.hostile.test', 'latin1')),
    der.ctxPrim(1, Buffer.from('postmaster\x1b[2J@\x85\x07.test', 'latin1')),
    der.ctxPrim(6, Buffer.from('https://\x1b]8;;x\x07/\x9b', 'latin1')),
  );
  const cert = der.syntheticCertificate({ subject, extensions: [san], publicKey, signingKey: privateKey });
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), certPem: pem('CERTIFICATE', cert) };
}

async function makePki(goodNames: readonly string[]): Promise<Pki> {
  const ca = await createCa({ commonName: 'mxready hostile lab CA' });
  const [leaf, rsa] = await Promise.all([
    ca.issue({ commonName: goodNames[0] ?? 'mx', dnsNames: [...goodNames] }),
    createSelfSigned({ commonName: 'camellia.hostile.test', dnsNames: ['camellia.hostile.test'], keyType: 'rsa-2048' }),
  ]);
  const unparsable = unparsableCertificate();
  const hostile = hostileTextCertificate();
  return {
    ca,
    good: createSecureContext({ key: leaf.keyPem, cert: leaf.chainPem }),
    tls12: createSecureContext({ key: leaf.keyPem, cert: leaf.chainPem, maxVersion: 'TLSv1.2' }),
    tls10: createSecureContext(secureContextOptions({ key: leaf.keyPem, cert: leaf.chainPem, maxVersion: 'TLSv1' })),
    // CAMELLIA is in no default client list: the server can only answer handshake_failure ("no shared cipher").
    noSharedCipher: createSecureContext({ key: rsa.keyPem, cert: rsa.certPem, maxVersion: 'TLSv1.2', ciphers: 'CAMELLIA128-SHA' }),
    unparsable: createSecureContext({ key: unparsable.keyPem, cert: unparsable.certPem }),
    hostileText: createSecureContext({ key: hostile.keyPem, cert: hostile.certPem }),
  };
}

// ---------------------------------------------------------------- hostile text

/** A greeting with ESC sequences, DEL, C0, raw C1 bytes, C1 as UTF-8 and invalid UTF-8. */
export const HOSTILE_BANNER =
  '220-mx.text.hostile.test \x1b[31mRED\x1b[0m \x7fDEL\r\n' +
  '220-raw C1 \x85 \x9b[2J invalid \xff\xfe \xc3\x28 \xed\xa0\x80 \xe2\x82 overlong \xc0\xaf\r\n' +
  '220-UTF-8 C1 \xc2\x85 \xc2\x9b31m NUL\x00 BEL\x07 BS\x08 CR\rX VT\x0b FF\x0c ESC]0;title\x1b]0;pwned\x07\r\n' +
  '220 ESMTP ok\r\n';

export const HOSTILE_EHLO_LINES = ['X-\x1b[31mRED\x1b[0m', 'X-DEL\x7f-C1\x85\x9b', 'X-bad\xff\xc0\xaf\xc2\x85', 'STARTTLS'];
export const HOSTILE_EHLO_AFTER_TLS = ['X-TLS \x1b[2J\x1b[H\x9b', 'X-\xc2\x9b\xff\x00\x1b', 'PIPELINING'];

/** What the JSON must show for the banner: each hostile byte escaped, the text around it kept. */
export const BANNER_ESCAPES = ['\\x1B[31mRED', '\\x7F', '\\x85', '\\x9B', '\\xFF', '\\xFE', '\\u0085', '\\u009B', '\\x00', '\\x07'];

// ---------------------------------------------------------------- the lab

/** Builds every scenario with its servers, records and DNS scripts. */
export async function defineHostileLab(): Promise<HostileLabSpec> {
  let next = 1;
  const ip = (): string => {
    const n = next++;
    return `127.77.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  };
  const scenarios: Scenario[] = [];
  const servers: ServerSpec[] = [];
  const records: LabZoneRecord[] = [];
  const dnsScripts = new Map<string, DnsScript>();
  const domain = (label: string): string => `${label}.${ZONE}`;
  const mxOf = (label: string): string => `mx.${label}.${ZONE}`;

  /** A domain with one MX host on its own address. */
  const mxDomain = (label: string, address: string): void => {
    records.push({ name: domain(label), type: 'MX', data: { preference: 10, exchange: mxOf(label) } });
    records.push({ name: mxOf(label), type: 'A', data: address });
  };

  // The good certificate names every host a good server answers for; it is made once all are known.
  const goodNames: string[] = [];
  let madePki: Pki | undefined;
  const pki = (): Pki => {
    if (madePki === undefined) throw new Error('the lab PKI is not made yet');
    return madePki;
  };

  const good = (host: string): ServerSpec['script'] => {
    goodNames.push(host);
    return (c) => smtpSession(c, { host, starttls: { kind: 'tls', context: pki().good } });
  };

  /** A scenario with a scripted server behind a one-MX domain. */
  const probeScenario = (
    group: Group,
    label: string,
    given: string,
    script: ServerSpec['script'] | null,
    expect: Expectation,
    extra: Partial<Scenario> = {},
  ): void => {
    const address = ip();
    if (script !== null) servers.push({ ip: address, script });
    mxDomain(label, address);
    scenarios.push({ id: `${group}.${label}`, group, given, target: domain(label), deadlineMs: PROBE_TIMEOUT_MS, expect, ...extra });
  };

  const starttlsThen = (host: string, then: (c: Conn) => Promise<void>): ServerSpec['script'] => (c) =>
    smtpSession(c, { host, starttls: { kind: 'raw', then } });

  // ---- TCP
  probeScenario('tcp', 'port-closed', 'nothing listens on the port (the kernel answers RST)', null, {
    target: 'error', probe: { status: 'connection-refused', phase: 'connect', codes: ['connect-refused'] }, findings: ['probe.unreachable'],
  });
  probeScenario('tcp', 'never-greets', 'the server accepts and never says a word', (c) => c.hold(), {
    target: 'error', probe: { status: 'timeout', phase: 'greeting', codes: ['greeting-timeout', 'probe-timeout'] }, findings: ['probe.timeout'],
  });
  probeScenario('tcp', 'trickle-greeting', 'the server greets one byte a second (bytes must not extend the deadline)', async (c) => {
    for (const byte of Buffer.from(`220 ${mxOf('trickle-greeting')} ESMTP one byte at a time, for as long as you listen\r\n`, 'latin1')) {
      c.write(Buffer.from([byte]));
      await c.sleep(1_000);
    }
  }, { target: 'error', probe: { status: 'timeout', phase: 'greeting', codes: ['greeting-timeout', 'probe-timeout'] }, findings: ['probe.timeout'] });
  probeScenario('tcp', 'close-after-greeting', 'the server greets and closes at once', async (c) => {
    c.write(`220 ${mxOf('close-after-greeting')} ESMTP\r\n`);
    c.end();
  }, { target: 'error', probe: { status: 'connection-closed', phase: 'ehlo', codes: ['connection-closed', 'connection-reset'] }, findings: ['probe.connection-closed'] });
  probeScenario('tcp', 'close-on-ehlo', 'the server closes when it receives EHLO, without answering', (c) =>
    smtpSession(c, { host: mxOf('close-on-ehlo'), ehlo: 'close' }), {
    target: 'error', probe: { status: 'connection-closed', phase: 'ehlo', codes: ['connection-closed', 'connection-reset'] }, findings: ['probe.connection-closed'],
  });
  probeScenario('tcp', 'close-after-ehlo', 'the server answers EHLO (offering STARTTLS) and closes', async (c) => {
    c.write(`220 ${mxOf('close-after-ehlo')} ESMTP\r\n`);
    await c.expect('EHLO');
    c.write(reply(250, [mxOf('close-after-ehlo'), 'PIPELINING', 'STARTTLS']));
    c.end();
  }, { target: 'error', probe: { status: 'connection-closed', phase: 'starttls', codes: ['connection-closed', 'connection-reset'] }, findings: ['probe.connection-closed'] });
  probeScenario('tcp', 'close-mid-greeting', 'the server sends half a greeting line and closes', async (c) => {
    c.write('220-the first line of a greeting that never en');
    c.end();
  }, { target: 'error', probe: { status: 'connection-closed', phase: 'greeting', codes: ['connection-closed', 'connection-reset'] }, findings: ['probe.connection-closed'] });
  probeScenario('tcp', 'reset-on-ehlo', 'the server greets, then answers EHLO with a reset (RST)', (c) =>
    smtpSession(c, { host: mxOf('reset-on-ehlo'), ehlo: 'reset' }), {
    target: 'error', probe: { status: 'connection-closed', phase: 'ehlo', codes: ['connection-reset', 'connection-closed'] }, findings: ['probe.connection-closed'],
  });
  probeScenario('tcp', 'trickle-ehlo', 'the server answers EHLO one byte every 400 ms', async (c) => {
    c.write(`220 ${mxOf('trickle-ehlo')} ESMTP\r\n`);
    await c.expect('EHLO');
    for (const byte of Buffer.from(reply(250, [`${mxOf('trickle-ehlo')} greets you, slowly`, 'PIPELINING', 'STARTTLS']), 'latin1')) {
      c.write(Buffer.from([byte]));
      await c.sleep(400);
    }
  }, { target: 'error', probe: { status: 'timeout', phase: 'ehlo', codes: ['command-timeout', 'probe-timeout'] }, findings: ['probe.timeout'] });
  // RST in the middle of the handshake: the client has sent its ClientHello and holds the first bytes of a
  // ServerHello when the connection is reset. The STARTTLS exchange is over (220 received), so this is no longer
  // "the server closed the session before STARTTLS" (probe.connection-closed, not assessed): the TLS session could
  // not be established, which RFC 3207 §4.1 and RFC 8460 §4.3 treat as a TLS negotiation failure — an MTA that
  // requires TLS cannot deliver here. So: tls-failed, phase tls, code tls-handshake-failed.
  probeScenario('tcp', 'reset-mid-handshake', 'the server resets the connection halfway through the TLS handshake', starttlsThen(mxOf('reset-mid-handshake'), async (c) => {
    await c.bytes(); // the ClientHello
    c.write(Buffer.from([0x16, 0x03, 0x03, 0x00, 0x7a, 0x02, 0x00, 0x00, 0x76, 0x03, 0x03, 0x11, 0x22, 0x33, 0x44]));
    await c.sleep(50);
    c.reset();
  }), { target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed'] }, findings: ['tls.handshake.failed'] });

  probeScenario('tcp', 'close-mid-handshake', 'the server closes (FIN) right after the ClientHello', starttlsThen(mxOf('close-mid-handshake'), async (c) => {
    await c.bytes();
    c.end();
  }), { target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed'] }, findings: ['tls.handshake.failed'] });
  probeScenario('tcp', 'trickle-handshake', 'after the ClientHello the server sends a TLS record one byte every 300 ms', starttlsThen(mxOf('trickle-handshake'), async (c) => {
    await c.bytes();
    for (const byte of Buffer.concat([Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00, 0x02, 0x00, 0x3f, 0xfc, 0x03, 0x03]), Buffer.alloc(64, 0x42)])) {
      c.write(Buffer.from([byte]));
      await c.sleep(300);
    }
  }), { target: 'error', probe: { status: 'timeout', phase: 'tls', codes: ['tls-timeout', 'probe-timeout'] }, findings: ['probe.timeout'] });

  // ---- SMTP
  probeScenario('smtp', 'greeting-421', 'the server greets 421 (temporarily unavailable) and closes', async (c) => {
    c.write('421 4.3.2 Service not available, closing transmission channel\r\n');
    c.end();
  }, {
    target: 'error', probe: { status: 'smtp-rejected', phase: 'greeting', codes: ['greeting-rejected'], replyCode: 421 },
    findings: ['probe.smtp-rejected'], notFindings: ['starttls.missing'],
  });
  probeScenario('smtp', 'greeting-554', 'the server greets 554 (no service) and answers 503 to everything but QUIT', async (c) => {
    c.write('554 5.7.1 No SMTP service here\r\n');
    for (;;) {
      const line = await c.line();
      if (line.toUpperCase().startsWith('QUIT')) {
        c.write('221 2.0.0 bye\r\n');
        return c.end();
      }
      c.write('503 5.5.1 No service\r\n');
    }
  }, {
    target: 'error', probe: { status: 'smtp-rejected', phase: 'greeting', codes: ['greeting-rejected'], replyCode: 554 },
    findings: ['probe.smtp-rejected'], notFindings: ['starttls.missing'],
  });
  probeScenario('smtp', 'endless-continuation', 'the greeting is an endless run of "220-" continuation lines', async (c) => {
    const chunk = Buffer.from('220-and another line of a greeting that never ends\r\n'.repeat(64), 'latin1');
    for (let sent = 0; sent < 64 * 1024 * 1024 && !c.closed; sent += chunk.length) {
      if (!c.write(chunk)) await c.drain();
    }
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'greeting', codes: ['reply-too-long'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'line-100k', 'the greeting is one line of 100 KB without CRLF, then silence', async (c) => {
    c.write(`220 ${'A'.repeat(100 * 1024)}`);
    await c.hold();
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'greeting', codes: ['reply-too-long'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'http-banner', 'an HTTP server answers', async (c) => {
    c.write('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n<html><body>400</body></html>\r\n');
    await c.hold();
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'greeting', codes: ['reply-malformed'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'ssh-banner', 'an SSH server answers', async (c) => {
    c.write('SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n');
    await c.hold();
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'greeting', codes: ['reply-malformed'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'binary-garbage', 'the server sends binary garbage (a TLS record, NULs, 0xff) instead of a greeting', async (c) => {
    c.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x2f, 0x00, 0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x9b, 0x85, 0x7f, 0x0a]), Buffer.alloc(64, 0xa5), Buffer.from('\r\n')]));
    await c.hold();
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'greeting', codes: ['reply-malformed', 'reply-too-long'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'ehlo-rejected', 'EHLO is answered 500, HELO 250 (a pre-ESMTP server)', (c) =>
    smtpSession(c, { host: mxOf('ehlo-rejected'), ehlo: '500 5.5.1 Command unrecognized: EHLO\r\n', starttls: { kind: 'tls', context: pki().good } }), {
    target: 'fail', probe: { status: 'no-starttls', phase: 'ehlo', codes: ['starttls-not-offered'], replyCode: 500 }, findings: ['starttls.missing'],
  });
  probeScenario('smtp', 'ehlo-421', 'EHLO is answered 421 (temporary) and the server closes', (c) =>
    smtpSession(c, { host: mxOf('ehlo-421'), ehlo: '421 4.7.0 Too many connections, try later\r\n', starttls: { kind: 'tls', context: pki().good } }), {
    target: 'error', probe: { status: 'smtp-rejected', phase: 'ehlo', codes: ['ehlo-rejected'], replyCode: 421 },
    findings: ['probe.smtp-rejected'], notFindings: ['starttls.missing'],
  });
  probeScenario('smtp', 'ehlo-and-helo-rejected', 'EHLO and HELO are both answered 5xx', (c) =>
    smtpSession(c, { host: mxOf('ehlo-and-helo-rejected'), ehlo: '502 5.5.2 EHLO not implemented\r\n', helo: '550 5.7.1 Go away\r\n' }), {
    target: 'error', probe: { status: 'smtp-rejected', phase: 'ehlo', codes: ['ehlo-rejected'], replyCode: 550 }, findings: ['probe.smtp-rejected'],
  });
  probeScenario('smtp', 'endless-ehlo', 'the EHLO reply is an endless run of "250-" lines', async (c) => {
    c.write(`220 ${mxOf('endless-ehlo')} ESMTP\r\n`);
    await c.expect('EHLO');
    const chunk = Buffer.from('250-X-EXTENSION-THAT-NEVER-ENDS\r\n'.repeat(64), 'latin1');
    for (let sent = 0; sent < 64 * 1024 * 1024 && !c.closed; sent += chunk.length) {
      if (!c.write(chunk)) await c.drain();
    }
  }, { target: 'error', probe: { status: 'protocol-error', phase: 'ehlo', codes: ['reply-too-long'] }, findings: ['probe.protocol-error'] });
  probeScenario('smtp', 'starttls-454', 'STARTTLS is advertised but answered 454', (c) =>
    smtpSession(c, { host: mxOf('starttls-454'), starttls: '454 4.7.0 TLS not available due to temporary reason\r\n' }), {
    target: 'fail', probe: { status: 'starttls-rejected', phase: 'starttls', codes: ['starttls-rejected'], replyCode: 454 }, findings: ['starttls.rejected'],
  });
  probeScenario('smtp', 'starttls-502', 'STARTTLS is advertised but answered 502', (c) =>
    smtpSession(c, { host: mxOf('starttls-502'), starttls: '502 5.5.1 Not implemented after all\r\n' }), {
    target: 'fail', probe: { status: 'starttls-rejected', phase: 'starttls', codes: ['starttls-rejected'], replyCode: 502 }, findings: ['starttls.rejected'],
  });
  probeScenario('smtp', 'starttls-250', 'STARTTLS is answered 250 (only 220 starts TLS, RFC 3207 §4)', (c) =>
    smtpSession(c, { host: mxOf('starttls-250'), starttls: '250 2.0.0 Sure, whatever\r\n' }), {
    target: 'fail', probe: { status: 'starttls-rejected', phase: 'starttls', codes: ['starttls-rejected'], replyCode: 250 }, findings: ['starttls.rejected'],
  });
  probeScenario('smtp', 'starttls-injected', 'plaintext follows the 220 to STARTTLS in the same segment', (c) =>
    smtpSession(c, { host: mxOf('starttls-injected'), starttls: { kind: 'tls', context: pki().good, inject: INJECTED } }), {
    target: 'pass', probe: { status: 'ok' }, findings: ['tls.plaintext-injected'],
  });
  probeScenario('smtp', 'plaintext-instead-of-serverhello', 'after the 220 the server answers the ClientHello in plaintext', starttlsThen(mxOf('plaintext-instead-of-serverhello'), async (c) => {
    await c.bytes();
    c.write('250 2.0.0 I do not speak TLS after all\r\n');
    await c.hold();
  }), { target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed'], legacyCheck: false }, findings: ['tls.handshake.failed'], notFindings: ['tls.version.below-minimum'] });
  probeScenario('smtp', 'quit-ignored', 'a good server that never answers QUIT and keeps the connection open', (c) =>
    smtpSession(c, { host: mxOf('quit-ignored'), starttls: { kind: 'tls', context: pki().good }, quit: 'ignore' }), {
    target: 'pass', probe: { status: 'ok' },
  }, { maxTotalMs: 1_500 });
  probeScenario('smtp', 'silence-after-220', 'after the 220 to STARTTLS the server says nothing', starttlsThen(mxOf('silence-after-220'), (c) => c.hold()), {
    target: 'error', probe: { status: 'timeout', phase: 'tls', codes: ['tls-timeout', 'probe-timeout'] }, findings: ['probe.timeout'],
  });

  // ---- TLS
  probeScenario('tls', 'alert-protocol-version', 'the server answers the ClientHello with a protocol_version alert', starttlsThen(mxOf('alert-protocol-version'), async (c) => {
    await c.bytes();
    c.write(tlsAlert(ALERT.protocol_version));
    await c.hold();
  }), { target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed', 'tls-version-unsupported'] }, findings: ['tls.handshake.failed'] });
  probeScenario('tls', 'alert-handshake-failure', 'the server answers the ClientHello with a handshake_failure alert', starttlsThen(mxOf('alert-handshake-failure'), async (c) => {
    await c.bytes();
    c.write(tlsAlert(ALERT.handshake_failure));
    await c.hold();
  }), { target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed'] }, findings: ['tls.handshake.failed'] });
  probeScenario('tls', 'no-shared-cipher', 'a real TLS server whose only cipher (CAMELLIA) no client offers', (c) =>
    smtpSession(c, { host: mxOf('no-shared-cipher'), starttls: { kind: 'tls', context: pki().noSharedCipher } }), {
    target: 'fail', probe: { status: 'tls-failed', phase: 'tls', codes: ['tls-handshake-failed'] }, findings: ['tls.handshake.failed'],
  });
  probeScenario('tls', 'unparsable-certificate', 'the certificate\'s DER has a non-minimal length (OpenSSL takes it, a DER parser must not)', (c) =>
    smtpSession(c, { host: mxOf('unparsable-certificate'), starttls: { kind: 'tls', context: pki().unparsable } }), {
    target: 'pass', probe: { status: 'ok' }, findings: ['cert.unreadable'],
  });
  probeScenario('tls', 'tls10-only', 'a real TLS server that speaks only TLS 1.0', (c) =>
    smtpSession(c, { host: mxOf('tls10-only'), starttls: { kind: 'tls', context: pki().tls10 } }), {
    target: 'fail', probe: { status: 'ok' }, findings: ['tls.version.below-minimum', 'tls.legacy-protocol.accepted'],
  });

  // ---- hostile text
  probeScenario('text', 'hostile-text', 'banner, EHLO lines and certificate carry ESC sequences, DEL, C0/C1 controls and invalid UTF-8', async (c) => {
    c.write(HOSTILE_BANNER);
    await smtpSessionAfterGreeting(c, mxOf('hostile-text'), pki().hostileText);
  }, { target: 'pass', probe: { status: 'ok' } });
  probeScenario('text', 'hostile-rejection', 'the greeting is a 554 whose text is terminal escapes and raw C1 bytes', async (c) => {
    c.write('554-\x1b[2J\x1b[H\x1b[31mYOU HAVE BEEN PWNED\x1b[0m\r\n554 \x9b2J\x85\xff\x00\x07 bye\r\n');
    await c.line();
    c.end();
  }, { target: 'error', probe: { status: 'smtp-rejected', phase: 'greeting', replyCode: 554 }, findings: ['probe.smtp-rejected'] });

  {
    // DNS names are network text too: labels are octet strings, and a decoder hands their bytes on.
    const label = 'hostile-dns-names';
    const tail = [Buffer.from(label), Buffer.from('hostile'), Buffer.from('test')];
    const hostile = (text: string): Buffer => wireLabels([Buffer.from(text, 'latin1'), ...tail]);
    records.push({ name: domain(label), type: 'MX', data: { preference: 10, exchange: mxOf(label) } }); // the name exists
    dnsScripts.set(domain(label), (q, kit) => [{
      bytes: q.type !== 'MX' ? kit.zone(q) : rawAnswer(q, [
        { type: 'MX', rdata: mxRdata(10, hostile('mx\x1b[31mRED\x1b[0m')) },
        { type: 'MX', rdata: mxRdata(20, hostile('mx\xc2\x9b31m\x7f\x00\x07\x0d')) },
        { type: 'MX', rdata: mxRdata(30, hostile('mx\xff\xfe\x85\x9b')) },
        { type: 'MX', rdata: mxRdata(40, wireLabels([Buffer.from('alias'), ...tail])) },
      ]),
    }]);
    dnsScripts.set(`alias.${label}.${ZONE}`, (q) => [{ bytes: rawAnswer(q, [{ type: 'CNAME', rdata: hostile('real\x1b[2J\x1b[H\xc2\x85') }]) }]);
    scenarios.push({
      id: `text.${label}`, group: 'text', given: 'MX exchanges and a CNAME target whose labels carry ESC sequences, DEL, NUL, C1 and invalid UTF-8',
      target: domain(label), deadlineMs: DNS_DEADLINE_MS,
      expect: { target: 'error', mxSource: 'mx', findings: ['dns.no-address'], notFindings: ['probe.internal-error'] },
    });
  }

  // ---- DNS
  const dnsScenario = (label: string, given: string, expect: Expectation, extra: Partial<Scenario> = {}): void => {
    scenarios.push({ id: `dns.${label}`, group: 'dns', given, target: domain(label), deadlineMs: DNS_DEADLINE_MS, expect, ...extra });
  };
  const goodBehind = (label: string): string => {
    const address = ip();
    servers.push({ ip: address, script: good(mxOf(label)) });
    mxDomain(label, address);
    return address;
  };
  const goodProbe: ProbeExpectation = { status: 'ok' };

  dnsScenario('drop', 'the DNS server drops every UDP query', {
    target: 'error', dnsError: 'dns-timeout', mxSource: 'none', findings: ['dns.lookup-failed'], notFindings: ['dns.implicit-mx', 'dns.no-address'],
  });
  records.push({ name: domain('drop'), type: 'MX', data: { preference: 10, exchange: mxOf('drop') } });
  dnsScripts.set(domain('drop'), () => []);

  {
    const address = goodBehind('truncated');
    for (const name of [domain('truncated'), mxOf('truncated')]) {
      dnsScripts.set(name, (q, kit) => [{ bytes: q.transport === 'udp' ? kit.truncated(q) : kit.zone(q) }]);
    }
    dnsScenario('truncated', 'every UDP answer is truncated (TC); TCP answers in full', { target: 'pass', probe: goodProbe, mxSource: 'mx' }, { probedIp: address });
  }

  // Forgeries point the MX at a trap: were one accepted, the probe would go there.
  const trapIp = '127.77.9.1';
  const trapHost = `trap.${ZONE}`;
  records.push({ name: trapHost, type: 'A', data: trapIp });
  servers.push({ ip: trapIp });
  const forgedMx = (query: SeenQuery, options: { id?: number; question?: string } = {}): Buffer =>
    dnsPacket.encode({
      type: 'response',
      id: options.id ?? query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (query.rd ? dnsPacket.RECURSION_DESIRED : 0),
      questions: [{ name: options.question ?? query.name, type: 'MX', class: 'IN' }],
      answers: [{ name: query.name, type: 'MX', ttl: 300, class: 'IN', data: { preference: 1, exchange: trapHost } }],
    });
  const forgeryFirst = (forge: (q: SeenQuery) => Buffer, from: 'server' | 'stranger' = 'server'): DnsScript => (q, kit) =>
    q.type === 'MX' && q.transport === 'udp' ? [{ bytes: forge(q), from }, { bytes: kit.zone(q), delayMs: 30 }] : [{ bytes: kit.zone(q) }];
  {
    const address = goodBehind('wrong-id');
    dnsScripts.set(domain('wrong-id'), forgeryFirst((q) => forgedMx(q, { id: q.id ^ 0x5a5a })));
    dnsScenario('wrong-id', 'an answer with the wrong id (pointing at a trap) comes before the real one', { target: 'pass', probe: goodProbe, mxSource: 'mx' }, { probedIp: address, traps: [trapIp] });
  }
  {
    const address = goodBehind('wrong-question');
    dnsScripts.set(domain('wrong-question'), forgeryFirst((q) => forgedMx(q, { question: `evil.${ZONE}` })));
    dnsScenario('wrong-question', 'an answer to another question (pointing at a trap) comes before the real one', { target: 'pass', probe: goodProbe, mxSource: 'mx' }, { probedIp: address, traps: [trapIp] });
  }
  {
    const address = goodBehind('wrong-source');
    dnsScripts.set(domain('wrong-source'), forgeryFirst((q) => forgedMx(q), 'stranger'));
    dnsScenario('wrong-source', 'a well-formed answer (pointing at a trap) comes from another port before the real one', { target: 'pass', probe: goodProbe, mxSource: 'mx' }, { probedIp: address, traps: [trapIp] });
  }

  for (const [kind, build] of Object.entries(MALFORMED)) {
    const label = `malformed-${kind}`;
    records.push({ name: domain(label), type: 'MX', data: { preference: 10, exchange: mxOf(label) } });
    dnsScripts.set(domain(label), (q, kit) => [{ bytes: q.type === 'MX' ? build(q) : kit.zone(q) }]);
    dnsScenario(label, `the MX answer is malformed: ${kind}`, {
      target: 'error', dnsError: 'dns-malformed', mxSource: 'none', findings: ['dns.lookup-failed'], notFindings: ['dns.implicit-mx', 'probe.internal-error'],
    });
  }

  for (const [label, rcode, code] of [['servfail', 2, 'servfail'], ['refused', 5, 'refused']] as const) {
    records.push({ name: domain(label), type: 'A', data: '127.77.9.2' }); // must never be used as an implicit MX
    dnsScripts.set(domain(label), (q, kit) => [{ bytes: kit.rcode(q, rcode) }]);
    dnsScenario(label, `the DNS server answers ${label.toUpperCase()} (temporary: never "no MX")`, {
      target: 'error', dnsError: code, mxSource: 'none', findings: ['dns.lookup-failed'], notFindings: ['dns.implicit-mx', 'dns.no-address', 'dns.nxdomain'],
    }, { traps: ['127.77.9.2'] });
  }
  servers.push({ ip: '127.77.9.2' });

  {
    const address = ip();
    servers.push({ ip: address, script: good(domain('nodata-mx')) });
    records.push({ name: domain('nodata-mx'), type: 'A', data: address });
    dnsScenario('nodata-mx', 'the domain has an address but no MX (NODATA): implicit MX', {
      target: 'pass', probe: goodProbe, mxSource: 'implicit', findings: ['dns.implicit-mx'],
    }, { probedIp: address });
  }

  {
    // SERVFAIL for the MX host's address: temporary, so the host is "not assessed", never "has no address".
    const label = 'mx-host-servfail';
    records.push({ name: domain(label), type: 'MX', data: { preference: 10, exchange: mxOf(label) } });
    records.push({ name: mxOf(label), type: 'A', data: '127.77.9.3' });
    dnsScripts.set(mxOf(label), (q, kit) => [{ bytes: kit.rcode(q, 2) }]);
    dnsScenario(label, 'the MX host\'s A and AAAA lookups answer SERVFAIL', {
      target: 'error', mxSource: 'mx', mxError: 'servfail', targetError: 'servfail', findings: ['dns.lookup-failed'], notFindings: ['dns.no-address'],
    }, { traps: ['127.77.9.3'] });
  }
  {
    const label = 'nodata-a-servfail';
    records.push({ name: domain(label), type: 'A', data: '127.77.9.4' });
    dnsScripts.set(domain(label), (q, kit) => [{ bytes: q.type === 'MX' ? kit.zone(q) : kit.rcode(q, 2) }]);
    dnsScenario(label, 'the domain has no MX (NODATA) and its A and AAAA lookups answer SERVFAIL', {
      target: 'error', mxSource: 'none', dnsError: 'servfail', findings: ['dns.lookup-failed'], notFindings: ['dns.no-address', 'dns.implicit-mx'],
    }, { traps: ['127.77.9.4'] });
  }
  servers.push({ ip: '127.77.9.3' }, { ip: '127.77.9.4' });

  records.push({ name: domain('cname-loop'), type: 'CNAME', data: `a.cname-loop.${ZONE}` });
  records.push({ name: `a.cname-loop.${ZONE}`, type: 'CNAME', data: `b.cname-loop.${ZONE}` });
  records.push({ name: `b.cname-loop.${ZONE}`, type: 'CNAME', data: `a.cname-loop.${ZONE}` });
  dnsScenario('cname-loop', 'the domain is a CNAME loop (a → b → a)', { target: 'error', dnsError: 'cname-loop', mxSource: 'none', findings: ['dns.lookup-failed'] });

  {
    const hops = 12;
    const hop = (i: number): string => (i === 0 ? domain('cname-overlong') : `c${i}.cname-overlong.${ZONE}`);
    for (let i = 0; i < hops; i++) records.push({ name: hop(i), type: 'CNAME', data: hop(i + 1) });
    records.push({ name: hop(hops), type: 'MX', data: { preference: 10, exchange: mxOf('cname-overlong') } });
    dnsScenario('cname-overlong', `the domain is a chain of ${hops} CNAMEs (longer than any resolver should follow)`, {
      target: 'error', dnsError: 'cname-loop', mxSource: 'none', findings: ['dns.lookup-failed'],
    });
  }

  {
    const address = ip();
    const real = `real.dns-mx-cname.${ZONE}`;
    servers.push({ ip: address, script: good(real) });
    records.push({ name: domain('mx-cname'), type: 'MX', data: { preference: 10, exchange: mxOf('mx-cname') } });
    records.push({ name: mxOf('mx-cname'), type: 'CNAME', data: real });
    records.push({ name: real, type: 'A', data: address });
    dnsScenario('mx-cname', 'the MX exchange is a CNAME (RFC 2181 §10.3 forbids it; followed and flagged)', {
      target: 'pass', probe: goodProbe, mxSource: 'mx', findings: ['dns.mx.cname'],
    }, { probedIp: address });
  }

  {
    const literal = '127.77.9.9';
    servers.push({ ip: literal });
    records.push({ name: domain('mx-ip-literal'), type: 'MX', data: { preference: 10, exchange: literal } });
    dnsScenario('mx-ip-literal', `the MX exchange is "${literal}", a name with no address (it must not be dialled as an address)`, {
      target: 'error', mxSource: 'mx', findings: ['dns.mx.ip-literal', 'dns.mx.no-address'],
    }, { traps: [literal] });
  }
  {
    const literal = '127.77.9.10';
    const address = ip();
    servers.push({ ip: literal });
    servers.push({ ip: address, script: good(literal) });
    records.push({ name: domain('ip-literal-resolved'), type: 'MX', data: { preference: 10, exchange: literal } });
    records.push({ name: literal, type: 'A', data: address });
    dnsScenario('ip-literal-resolved', `the MX exchange is "${literal}", a name whose A record is another address`, {
      target: 'pass', probe: goodProbe, mxSource: 'mx', findings: ['dns.mx.ip-literal'],
    }, { traps: [literal], probedIp: address });
  }

  // ---- good hosts (the mixed scan must report them exactly as a scan of them alone does)
  {
    const address = ip();
    servers.push({ ip: address, script: good(mxOf('good-modern')) });
    mxDomain('good-modern', address);
    scenarios.push({ id: 'good.modern', group: 'good', given: 'a well-behaved TLS 1.3 server with a trusted certificate', target: domain('good-modern'),
      deadlineMs: PROBE_TIMEOUT_MS, expect: { target: 'pass', probe: { status: 'ok' }, mxSource: 'mx' } });
  }
  {
    const address = ip();
    servers.push({ ip: address, script: (c) => smtpSession(c, { host: mxOf('good-tls12'), starttls: { kind: 'tls', context: pki().tls12 } }) });
    mxDomain('good-tls12', address);
    scenarios.push({ id: 'good.tls12', group: 'good', given: 'a well-behaved TLS 1.2-only server', target: domain('good-tls12'),
      deadlineMs: PROBE_TIMEOUT_MS, expect: { target: 'pass', probe: { status: 'ok' }, findings: ['tls.no-tls13'] } });
  }
  {
    const address = ip();
    servers.push({ ip: address, script: (c) => smtpSession(c, { host: mxOf('good-plain') }) });
    mxDomain('good-plain', address);
    scenarios.push({ id: 'good.plain', group: 'good', given: 'a well-behaved server without STARTTLS', target: domain('good-plain'),
      deadlineMs: PROBE_TIMEOUT_MS, expect: { target: 'fail', probe: { status: 'no-starttls', phase: 'ehlo' }, findings: ['starttls.missing'] } });
  }
  {
    const [a1, a2] = [ip(), ip()];
    servers.push({ ip: a1, script: good(`mx1.good-pair.${ZONE}`) }, { ip: a2, script: (c) => smtpSession(c, { host: `mx2.good-pair.${ZONE}`, starttls: { kind: 'tls', context: pki().tls12 } }) });
    records.push({ name: domain('good-pair'), type: 'MX', data: { preference: 20, exchange: `mx1.good-pair.${ZONE}` } });
    records.push({ name: domain('good-pair'), type: 'MX', data: { preference: 10, exchange: `mx2.good-pair.${ZONE}` } });
    records.push({ name: `mx1.good-pair.${ZONE}`, type: 'A', data: a1 }, { name: `mx2.good-pair.${ZONE}`, type: 'A', data: a2 });
    scenarios.push({ id: 'good.pair', group: 'good', given: 'two well-behaved MX hosts, listed out of preference order', target: domain('good-pair'),
      deadlineMs: PROBE_TIMEOUT_MS, expect: { target: 'pass', probe: { status: 'ok' }, findings: ['tls.no-tls13'] } });
  }

  // ---- the address guard (scanned without --allow-private; never dialled)
  const guardTrapV4 = '127.77.8.1';
  servers.push({ ip: guardTrapV4 }, { ip: '127.0.0.1' }, { ip: '::1', optional: true });
  const guarded: [string, 'A' | 'AAAA', string, readonly string[]][] = [
    ['loopback', 'A', guardTrapV4, [guardTrapV4]],
    ['rfc1918-10', 'A', '10.0.0.25', []],
    ['rfc1918-172', 'A', '172.16.0.25', []],
    ['rfc1918-172-top', 'A', '172.31.255.254', []],
    ['rfc1918-192', 'A', '192.168.1.25', []],
    ['link-local', 'A', '169.254.10.25', []],
    ['cloud-metadata', 'A', '169.254.169.254', []],
    ['cgnat', 'A', '100.64.0.25', []],
    ['this-network', 'A', '0.1.2.3', []],
    ['unspecified', 'A', '0.0.0.0', []], // dialled, 0.0.0.0 reaches this host
    ['unspecified-v6', 'AAAA', '::', []],
    ['unique-local-fc', 'AAAA', 'fc00::25', []],
    ['unique-local-fd', 'AAAA', 'fd12:3456:789a::25', []],
    ['link-local-v6', 'AAAA', 'fe80::25', []],
    ['mapped-loopback', 'AAAA', '::ffff:127.0.0.1', ['127.0.0.1']],
    ['mapped-metadata', 'AAAA', '::ffff:169.254.169.254', []],
    ['loopback-v6', 'AAAA', '::1', ['::1']],
  ];
  for (const [label, type, address, traps] of guarded) {
    const name = `guard-${label}`;
    records.push({ name: domain(name), type: 'MX', data: { preference: 10, exchange: mxOf(name) } });
    records.push({ name: mxOf(name), type, data: address });
    scenarios.push({
      id: `guard.${label}`, group: 'guard', given: `the MX host's ${type} record is ${address}`, target: domain(name), deadlineMs: DNS_DEADLINE_MS,
      expect: { target: 'error', probe: { status: 'refused-private', phase: 'guard', codes: ['private-address'] }, findings: ['address.private'] },
      // Addresses are reported canonical: an IPv4-mapped answer is the IPv4 it carries.
      traps, probedIp: address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address,
    });
  }

  goodNames.push(mxOf('good-tls12'), `mx2.good-pair.${ZONE}`);
  madePki = await makePki(goodNames);
  return { scenarios, servers, records, dnsScripts, caPem: madePki.ca.certPem };
}

/** Plaintext injected after the 220 to STARTTLS; must never be read as a reply. */
export const INJECTED = '250-INJECTED-EXTENSION\r\n250 AUTH PLAIN INJECTED\r\n';

/** The rest of the hostile-text session after its greeting: EHLO with hostile lines, STARTTLS, TLS, EHLO with hostile lines. */
async function smtpSessionAfterGreeting(c: Conn, host: string, context: SecureContext): Promise<void> {
  let inTls = false;
  for (;;) {
    const line = await c.line();
    const verb = (line.split(' ')[0] ?? '').toUpperCase();
    if (verb === 'EHLO') {
      c.write(reply(250, [`${host} \x1b]0;pwned\x07greets you`, ...(inTls ? HOSTILE_EHLO_AFTER_TLS : HOSTILE_EHLO_LINES)]));
    } else if (verb === 'STARTTLS' && !inTls) {
      c.write('220 2.0.0 \x1b[5mgo\x1b[0m ahead\r\n');
      c.startTls(context);
      await c.secured();
      inTls = true;
    } else if (verb === 'QUIT') {
      c.write('221 \x9b bye\r\n');
      return c.end();
    } else {
      c.write('502 5.5.2 \x1b[31mno\r\n');
    }
  }
}
