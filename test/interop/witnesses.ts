/**
 * The interop tier's second opinions: what `openssl s_client`, `openssl x509` and `dig`
 * say about the same hosts and names mxready scanned. Every command is bounded in
 * time, talks only to loopback addresses (the servers test/interop/setup.sh started)
 * and never to the system's resolver.
 *
 * It also reads SMTP by hand (greeting, EHLO, the answer to STARTTLS). Nothing here
 * imports mxready: the point is an independent reading of the wire.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { DEFAULT_CIPHERS } from 'node:tls';

// ---------------------------------------------------------------------------
// Running commands

export interface CommandResult {
  readonly command: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with stdin closed, killing it after `timeoutMs`. Never rejects for a non-zero exit. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: { timeoutMs: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<CommandResult> {
  const command = [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[killed after ${options.timeoutMs} ms]`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command, code, stdout, stderr });
    });
  });
}

/** Runs at most `limit` of the tasks at once; results in the tasks' order. */
export async function limited<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      const task = tasks[i];
      if (task !== undefined) results[i] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------
// Distinguished names, compared RDN by RDN

/** One RDN: its attributes as "TYPE=value" strings (value unescaped), sorted (an RDN is a set). */
export type Rdn = readonly string[];

/**
 * Parses an RFC 4514 / RFC 2253 string (mxready's subject, or `openssl -nameopt RFC2253`)
 * into RDNs, most significant last as written. Escapes are undone so that
 * "L=Z\C3\BCrich" (OpenSSL escapes UTF-8 bytes) and "L=Zürich" (mxready does not) agree;
 * '#'-hex values are kept as written, lower-cased.
 */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  let attributes: string[] = [];
  let type = '';
  let bytes: number[] = [];
  let inValue = false;
  let hexValue = false;
  const encoder = new TextEncoder();
  const finishAttribute = (): void => {
    const value = hexValue ? Buffer.from(bytes).toString('latin1').toLowerCase() : Buffer.from(bytes).toString('utf8');
    attributes.push(`${type.trim().toUpperCase()}=${value}`);
    type = '';
    bytes = [];
    inValue = false;
    hexValue = false;
  };
  for (let i = 0; i < dn.length; i++) {
    const ch = dn.charAt(i);
    if (!inValue) {
      if (ch === '=') {
        inValue = true;
        hexValue = dn.charAt(i + 1) === '#';
      } else type += ch;
      continue;
    }
    if (ch === '\\') {
      const pair = dn.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
        bytes.push(parseInt(pair, 16));
        i += 2;
      } else {
        const escaped = dn.charAt(i + 1);
        bytes.push(...encoder.encode(escaped));
        i += 1;
      }
    } else if (ch === ',' || ch === '+') {
      finishAttribute();
      if (ch === ',') {
        rdns.push([...attributes].sort());
        attributes = [];
      }
    } else {
      bytes.push(...encoder.encode(ch));
    }
  }
  if (inValue || type !== '') finishAttribute();
  if (attributes.length > 0) rdns.push([...attributes].sort());
  return rdns;
}

// ---------------------------------------------------------------------------
// Certificates: `openssl x509`

export interface X509Facts {
  readonly pem: string;
  /** `-nameopt RFC2253` strings. */
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** "rsa", "ec", "ed25519", … mapped from "Public Key Algorithm:". */
  readonly keyType: string;
  readonly keyBits: number | null;
  readonly signatureAlgorithm: string;
  /** Upper-case hex, colon separated. */
  readonly fingerprintSha256: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Dec 30 18:38:25 2027 GMT" (OpenSSL's notAfter) → ISO 8601. */
export function opensslDate(text: string): string {
  const m = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  if (m === null) throw new Error(`not an OpenSSL date: "${text}"`);
  const [, mon, day, hh, mm, ss, year] = m;
  const month = MONTHS.indexOf(mon ?? '');
  return new Date(Date.UTC(Number(year), month, Number(day), Number(hh), Number(mm), Number(ss))).toISOString();
}

const KEY_TYPES: Readonly<Record<string, string>> = {
  rsaEncryption: 'rsa',
  'id-ecPublicKey': 'ec',
  ED25519: 'ed25519',
  ED448: 'ed448',
  dsaEncryption: 'dsa',
};

/** Reads one PEM certificate with `openssl x509`. */
export async function x509Facts(pem: string): Promise<X509Facts> {
  const result = await runWithInput(
    'openssl',
    ['x509', '-noout', '-nameopt', 'RFC2253', '-subject', '-issuer', '-startdate', '-enddate', '-fingerprint', '-sha256', '-text'],
    pem,
  );
  if (result.code !== 0) throw new Error(`openssl x509 failed: ${result.stderr}`);
  const out = result.stdout;
  const line = (re: RegExp): string => {
    const m = re.exec(out);
    if (m === null || m[1] === undefined) throw new Error(`openssl x509 output lacks ${re}:\n${out}`);
    return m[1].trim();
  };
  const algorithm = line(/Public Key Algorithm: (\S+)/);
  const bits = /Public-Key: \((\d+) bit\)/.exec(out) ?? /(?:ED25519|ED448) Public-Key:/.exec(out);
  return {
    pem,
    subject: line(/^subject=(.*)$/m),
    issuer: line(/^issuer=(.*)$/m),
    notBefore: opensslDate(line(/^notBefore=(.*)$/m)),
    notAfter: opensslDate(line(/^notAfter=(.*)$/m)),
    keyType: KEY_TYPES[algorithm] ?? algorithm,
    keyBits: bits?.[1] !== undefined ? Number(bits[1]) : null,
    signatureAlgorithm: line(/Signature Algorithm: (\S+)/),
    fingerprintSha256: line(/^sha256 Fingerprint=(.*)$/im).toUpperCase(),
  };
}

/** `openssl x509 -checkhost NAME` (or -checkip for an address literal): does the certificate name it? */
export async function opensslNamesHost(pem: string, name: string): Promise<boolean> {
  const isIp = /^[0-9.]+$|:/.test(name);
  const result = await runWithInput('openssl', ['x509', '-noout', isIp ? '-checkip' : '-checkhost', name], pem);
  if (result.code !== 0) throw new Error(`openssl x509 -checkhost failed: ${result.stderr}`);
  if (/does NOT match certificate/.test(result.stdout)) return false;
  if (/does match certificate/.test(result.stdout)) return true;
  throw new Error(`unexpected openssl -checkhost output: ${result.stdout}`);
}

function runWithInput(file: string, args: readonly string[], input: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ command: [file, ...args].join(' '), code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** The IANA name OpenSSL gives a cipher (`openssl ciphers -stdname`), or null when it knows none. */
export async function opensslStandardName(opensslName: string): Promise<string | null> {
  if (opensslName.startsWith('TLS_')) return opensslName; // TLS 1.3 suites have one name
  const result = await runCommand('openssl', ['ciphers', '-stdname', '-ciphersuites', '', opensslName], { timeoutMs: 10_000 });
  for (const line of result.stdout.split('\n')) {
    const m = /^(\S+)\s+-\s+(\S+)\s/.exec(line);
    if (m !== null && m[2] === opensslName) return m[1] ?? null;
  }
  return null;
}

// ---------------------------------------------------------------------------
// TLS sessions: `openssl s_client -starttls smtp`

/** X509_V_ERR_* codes OpenSSL prints as numbers; Node names the same errors without the prefix. */
export const VERIFY_CODES: Readonly<Record<number, string>> = {
  0: 'OK',
  2: 'UNABLE_TO_GET_ISSUER_CERT',
  4: 'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  7: 'CERT_SIGNATURE_FAILURE',
  9: 'CERT_NOT_YET_VALID',
  10: 'CERT_HAS_EXPIRED',
  18: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  19: 'SELF_SIGNED_CERT_IN_CHAIN',
  20: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  21: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  24: 'INVALID_CA',
  26: 'INVALID_PURPOSE',
  62: 'HOSTNAME_MISMATCH',
  66: 'EE_KEY_TOO_SMALL',
  67: 'CA_KEY_TOO_SMALL',
  68: 'CA_MD_TOO_WEAK',
};

export interface SClientSession {
  readonly result: CommandResult;
  /** Whether a handshake completed. */
  readonly handshake: boolean;
  /** "TLSv1.3", "TLSv1.2", "TLSv1.1", "TLSv1" (OpenSSL's SSL_get_version names), null without a handshake. */
  readonly protocol: string | null;
  readonly cipher: string | null;
  /** "Server Temp Key: X25519, 253 bits" → {group: "X25519", bits: 253}; DH has no group. */
  readonly tempKey: { readonly type: string; readonly group: string | null; readonly bits: number } | null;
  /** The verify result code and its X509_V_ERR name (without the prefix). */
  readonly verifyCode: number | null;
  readonly verifyName: string | null;
  /** The certificates the server sent, in the order sent (`-showcerts`). */
  readonly chainPem: readonly string[];
  /** "Didn't find STARTTLS in server response". */
  readonly starttlsMissing: boolean;
  /** The reply to EHLO inside TLS (or a refusal the server sent instead), null when none came. */
  readonly replyAfterTls: SmtpReply | null;
  /** OpenSSL's reason when the session broke after the handshake ("tlsv13 alert certificate required"). */
  readonly errorAfterTls: string | null;
}

/** What Node offers by default (tls.DEFAULT_CIPHERS), split as Node splits it: TLS 1.3 suites and the rest. */
export function nodeDefaultOffer(): { ciphersuites: string; cipherList: string } {
  const all = DEFAULT_CIPHERS.split(':');
  return {
    ciphersuites: all.filter((c) => c.startsWith('TLS_')).join(':'),
    cipherList: all.filter((c) => !c.startsWith('TLS_')).join(':'),
  };
}

/**
 * The client offers s_client is asked to make, matching mxready's:
 * - "policy": what mxready's main session offers under the encrypt policy: TLS 1.2 and
 *   1.3 with Node's default ciphers, at OpenSSL security level 1 — Node's default level,
 *   which its bundled OpenSSL is built with (Debian's openssl command defaults to 2).
 * - "legacy": mxready's legacy check: TLS 1.0 and 1.1 only, DEFAULT@SECLEVEL=0.
 */
export type Offer = 'policy' | 'legacy';

export function offerArgs(offer: Offer): string[] {
  if (offer === 'legacy') return ['-cipher', 'DEFAULT@SECLEVEL=0', '-no_tls1_2', '-no_tls1_3'];
  const { ciphersuites, cipherList } = nodeDefaultOffer();
  return ['-ciphersuites', ciphersuites, '-cipher', `${cipherList}:@SECLEVEL=1`, '-no_ssl3', '-no_tls1', '-no_tls1_1'];
}

const GROUPS: Readonly<Record<string, string>> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

/**
 * One `openssl s_client -starttls smtp` session to ip:port, at most 20 s. After the
 * handshake it says EHLO inside TLS, as mxready does, reads the reply (or the server's
 * refusal), then QUIT.
 */
export async function sClient(options: {
  ip: string;
  port: number;
  sni: string | null;
  caFile: string;
  offer: Offer;
  /** The last line of the server's EHLO reply before STARTTLS: s_client prints it again after the handshake. */
  staleLine?: string;
}): Promise<SClientSession> {
  const args = [
    's_client',
    '-starttls',
    'smtp',
    '-connect',
    options.ip.includes(':') ? `[${options.ip}]:${options.port}` : `${options.ip}:${options.port}`,
    ...(options.sni === null ? ['-noservername'] : ['-servername', options.sni]),
    '-CAfile',
    options.caFile,
    '-showcerts',
    // Commands typed on stdin go to the server as they are ("Q" quits nothing), lines end
    // in CRLF, and the session lasts until the server closes it.
    '-nocommands',
    '-crlf',
    '-ign_eof',
    ...offerArgs(options.offer),
  ];
  const result = await converse(['20', 'openssl', ...args], (out) => {
    // Once the EHLO inside TLS is answered (a final reply line after the handshake), QUIT.
    const after = afterHandshake(out, options.staleLine);
    return after !== null && /^\d{3} /m.test(after) ? 'QUIT\n' : null;
  });
  const out = result.stdout;
  const newLine = /^New, (\S+), Cipher is (\S+)$/m.exec(out);
  const handshake = newLine !== null && newLine[2] !== '(NONE)';
  const sessionProtocol = /^\s+Protocol\s+: (\S+)$/m.exec(out)?.[1];
  let protocol: string | null = null;
  if (handshake) protocol = sessionProtocol ?? (newLine?.[1] === 'TLSv1.0' ? 'TLSv1' : (newLine?.[1] ?? null));
  const temp = /^Server Temp Key: (.*)$/m.exec(out)?.[1];
  let tempKey: SClientSession['tempKey'] = null;
  if (temp !== undefined) {
    const parts = temp.split(',').map((p) => p.trim());
    const bits = Number(/^(\d+) bits$/.exec(parts[parts.length - 1] ?? '')?.[1]);
    if (parts.length === 3 && parts[0] === 'ECDH') tempKey = { type: 'ECDH', group: GROUPS[parts[1] ?? ''] ?? parts[1] ?? null, bits };
    else if (parts.length === 2 && parts[0] === 'DH') tempKey = { type: 'DH', group: null, bits };
    else if (parts.length === 2) tempKey = { type: 'ECDH', group: parts[0] ?? null, bits }; // "X25519, 253 bits"
  }
  const verifies = [...out.matchAll(/^\s*Verify return code: (\d+) \(/gm)];
  const verifyCode = handshake && verifies.length > 0 ? Number(verifies[0]?.[1]) : null;
  const chainPem = handshake ? [...out.matchAll(/-----BEGIN CERTIFICATE-----\n[\s\S]*?-----END CERTIFICATE-----\n/g)].map((m) => m[0]) : [];
  const after = handshake ? afterHandshake(out, options.staleLine) : null;
  return {
    result,
    handshake,
    protocol,
    cipher: handshake ? (newLine?.[2] ?? null) : null,
    tempKey,
    verifyCode,
    verifyName: verifyCode === null ? null : (VERIFY_CODES[verifyCode] ?? `X509_V_ERR ${verifyCode}`),
    chainPem,
    starttlsMissing: /Didn't find STARTTLS in server response/.test(out + result.stderr),
    replyAfterTls: after === null ? null : firstReply(after),
    errorAfterTls: handshake ? (/:SSL routines:[^:]*:([^:]+):/.exec(result.stderr)?.[1] ?? null) : null,
  };
}

/**
 * What the server said inside TLS: the output after the handshake report (from the line
 * "New, TLSv1.x, Cipher is …" to the next "---"), without the stale line s_client repeats
 * and without session-ticket reports. Null before the handshake is reported.
 */
function afterHandshake(out: string, staleLine: string | undefined): string | null {
  const m = /^New, .*\n(?:.*\n)*?---\n/m.exec(out);
  if (m === null) return null;
  const lines = out.slice(m.index + m[0].length).split('\n');
  if (staleLine !== undefined && lines[0]?.replace(/\r$/, '') === staleLine) lines.shift();
  return lines.filter((l) => /^\d{3}[ -]/.test(l)).join('\n') + '\n';
}

function firstReply(text: string): SmtpReply | null {
  const lines = text.split('\n').filter((l) => l !== '');
  const end = lines.findIndex((l) => /^\d{3} /.test(l));
  if (end < 0) return null;
  return { code: Number(lines[0]?.slice(0, 3)), lines: lines.slice(0, end + 1).map((l) => l.replace(/\r$/, '').slice(4)) };
}

/**
 * Runs `timeout ARGS…` with a pipe on stdin: writes "EHLO" at once (s_client sends it
 * once the handshake is done), then whatever `next` returns for the output so far
 * (once), and closes stdin 8 s after start in any case.
 */
function converse(args: readonly string[], next: (stdout: string) => string | null): Promise<CommandResult> {
  const command = ['timeout', ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('timeout', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let said = false;
    child.stdin.on('error', () => undefined); // s_client may be gone (handshake failed)
    child.stdin.write('EHLO interop-witness.invalid\n');
    const closeStdin = setTimeout(() => child.stdin.end(), 8_000);
    const kill = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!said) {
        const text = next(stdout);
        if (text !== null) {
          said = true;
          child.stdin.end(text);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (error) => {
      clearTimeout(closeStdin);
      clearTimeout(kill);
      reject(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(closeStdin);
      clearTimeout(kill);
      resolve({ command: `${command}  <<< "EHLO interop-witness.invalid" … "QUIT"`, code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------
// DNS: dig

export interface DigAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, … */
  readonly status: string;
  /** Answer-section records: owner, type and rdata (names lower-case, no trailing dot). */
  readonly records: readonly { readonly name: string; readonly type: string; readonly data: string }[];
  readonly output: string;
}

const stripDot = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** `dig @server -p port +norecurse NAME TYPE`: status and answer records. Never the system resolver. */
export async function dig(server: { ip: string; port: number }, name: string, type: string): Promise<DigAnswer> {
  const result = await runCommand(
    'dig',
    [`@${server.ip}`, '-p', String(server.port), '+time=3', '+tries=2', '+norecurse', '+noall', '+comments', '+answer', name, type],
    { timeoutMs: 20_000 },
  );
  const status = /status: ([A-Z]+)/.exec(result.stdout)?.[1];
  if (result.code !== 0 || status === undefined) throw new Error(`${result.command} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  return { status, records: answerRecords(result.stdout), output: result.stdout };
}

/** The answer section of dig's output: MX as "PREF host" ("PREF ." for a null MX), TLSA as "U S M hex" (lower case, one word). */
function answerRecords(stdout: string): DigAnswer['records'] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(';'))
    .map((line) => {
      const [owner = '', , , rrtype = '', ...rest] = line.trim().split(/\s+/);
      let data = stripDot(rest.join(' '));
      if (rrtype === 'MX') data = rest[1] === '.' ? `${rest[0]} .` : `${rest[0]} ${stripDot(rest[1] ?? '')}`;
      // TLSA data comes in groups of hex digits: joined and lower-cased, as mxready writes it.
      if (rrtype === 'TLSA') data = `${rest.slice(0, 3).join(' ')} ${rest.slice(3).join('').toLowerCase()}`;
      // TXT as dig prints it: quoted strings, case kept.
      if (rrtype === 'TXT') data = rest.join(' ');
      return { name: stripDot(owner), type: rrtype, data };
    });
}

// ---------------------------------------------------------------------------
// SMTP in plain text: the greeting, the EHLO reply and the answer to STARTTLS, read by hand

export interface SmtpReply {
  readonly code: number;
  /** The text of each line, without "NNN-" / "NNN ". */
  readonly lines: readonly string[];
}

export interface SmtpTranscript {
  /** The greeting's reply code (220, or a refusal such as 554). */
  readonly greetingCode: number;
  /** The greeting's text lines (after "220-" / "220 "). */
  readonly greeting: readonly string[];
  /** Milliseconds from connect to the greeting's last line. */
  readonly greetingMs: number;
  /** The EHLO reply's lines after the first, as mxready's `extensions` holds them. */
  readonly extensions: readonly string[];
  /** The reply to STARTTLS, when the server advertised it (the session then ends without TLS). */
  readonly starttls: SmtpReply | null;
}

/**
 * Connects, reads the whole greeting (and stops there when it is a refusal), sends EHLO,
 * reads the reply, says STARTTLS when it
 * is advertised and reads that reply, then QUIT (or just closes, after a 220 to STARTTLS:
 * the server then waits for a TLS handshake). A reply is complete at its first "NNN " line
 * (RFC 5321 §4.2.1). Bounded by `timeoutMs`.
 */
export function smtpTranscript(ip: string, port: number, timeoutMs = 15_000): Promise<SmtpTranscript> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({ host: ip, port });
    let buffer = '';
    let greeting: SmtpReply | null = null;
    let greetingMs = 0;
    let ehlo: SmtpReply | null = null;
    const finish = (error: Error | null, starttls: SmtpReply | null = null): void => {
      clearTimeout(timer);
      const refused = greeting !== null && greeting.code !== 220;
      if (error !== null || greeting === null || (ehlo === null && !refused)) {
        socket.destroy();
        reject(error ?? new Error('incomplete SMTP exchange'));
        return;
      }
      if (starttls !== null && starttls.code === 220) socket.destroy();
      else socket.end('QUIT\r\n');
      resolve({ greetingCode: greeting.code, greeting: greeting.lines, greetingMs, extensions: ehlo?.lines.slice(1) ?? [], starttls });
    };
    const timer = setTimeout(() => finish(new Error(`no complete SMTP exchange with ${ip}:${port} within ${timeoutMs} ms`)), timeoutMs);
    /** The complete reply at the head of the buffer, or null. */
    const takeReply = (): SmtpReply | null => {
      const lines = buffer.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        const line = lines[i] ?? '';
        if (/^\d{3}( |$)/.test(line)) {
          buffer = lines.slice(i + 1).join('\r\n');
          return { code: Number(line.slice(0, 3)), lines: lines.slice(0, i + 1).map((l) => l.slice(4)) };
        }
      }
      return null;
    };
    socket.setEncoding('latin1');
    socket.on('error', (error) => finish(error));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (greeting === null) {
          greeting = takeReply();
          if (greeting === null) return;
          greetingMs = Date.now() - started;
          if (greeting.code !== 220) return finish(null); // refused: no EHLO
          socket.write('EHLO interop-witness.invalid\r\n');
        } else if (ehlo === null) {
          ehlo = takeReply();
          if (ehlo === null) return;
          if (!ehlo.lines.slice(1).some((l) => /^STARTTLS$/i.test(l))) return finish(null);
          socket.write('STARTTLS\r\n');
        } else {
          const reply = takeReply();
          if (reply === null) return;
          return finish(null, reply);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------
// DNSSEC and DANE: dig through a validating resolver, posttls-finger, s_client -dane_tlsa_*

export interface ValidatedAnswer extends DigAnswer {
  /** The resolver set AD: every record on the answer's path was authenticated. */
  readonly authenticated: boolean;
}

/** `dig +dnssec @server NAME TYPE` with recursion (a validating resolver): status, AD, records (RRSIGs left out). */
export async function digValidated(server: string, name: string, type: string, options: { cd?: boolean } = {}): Promise<ValidatedAnswer> {
  const result = await runCommand(
    'dig',
    [`@${server}`, '-p', '53', '+time=3', '+tries=2', '+dnssec', ...(options.cd === true ? ['+cd'] : []), '+noall', '+comments', '+answer', name, type],
    { timeoutMs: 20_000 },
  );
  const status = /status: ([A-Z]+)/.exec(result.stdout)?.[1];
  const flags = /;; flags: ([a-z ]+);/.exec(result.stdout)?.[1]?.split(' ') ?? [];
  if (result.code !== 0 || status === undefined) throw new Error(`${result.command} failed (exit ${result.code}):\n${result.stdout}${result.stderr}`);
  const records = answerRecords(result.stdout).filter((r) => r.type !== 'RRSIG');
  return { status, records, output: result.stdout, authenticated: flags.includes('ad') };
}

export interface PosttlsFinger {
  readonly result: CommandResult;
  /** "Matched DANE EE|TA certificate at depth N: U S M HEX", parsed. */
  readonly matched: { readonly kind: 'EE' | 'TA'; readonly depth: number; readonly record: string } | null;
  /** "Verified" / "Trusted" / "Untrusted" / "Anonymous" TLS connection established, or null without one. */
  readonly connection: string | null;
  /** num=65: no matching DANE TLSA records. */
  readonly noMatchingTlsa: boolean;
  /** The MX lookup failed with a temporary error (a bogus answer: SERVFAIL). */
  readonly hostNotFoundTryAgain: boolean;
}

/**
 * Runs a command whose resolver is glibc's (or c-ares's): in a mount namespace of its own
 * where a resolv.conf naming `resolver` (with `options trust-ad edns0`: glibc drops AD
 * without trust-ad) is bound over /etc/resolv.conf, so it asks the tier's Unbound and
 * never the system's resolver. At most 30 s.
 */
async function throughResolver(options: { resolver: string; folder: string }, command: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CommandResult> {
  mkdirSync(options.folder, { recursive: true });
  const resolv = `${options.folder}/resolv.conf`;
  writeFileSync(resolv, `nameserver ${options.resolver}\noptions trust-ad edns0\n`);
  return runCommand(
    'timeout',
    ['30', 'unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"', 'sh', resolv, ...command],
    { timeoutMs: 40_000, env },
  );
}

/**
 * `posttls-finger -c -l dane DOMAIN` (Postfix's own DANE client) through a validating resolver:
 * glibc reads the resolver from /etc/resolv.conf, so the command runs in a mount namespace of
 * its own where a file naming `resolver` (with `options trust-ad edns0`: glibc drops AD
 * without trust-ad) is bound over /etc/resolv.conf. MAIL_CONFIG is a folder with an empty
 * main.cf (posttls-finger will not start without one). At most 30 s.
 */
export async function posttlsFinger(domain: string, options: { resolver: string; folder: string }): Promise<PosttlsFinger> {
  const config = `${options.folder}/postfix`;
  mkdirSync(config, { recursive: true });
  writeFileSync(`${config}/main.cf`, '');
  const result = await throughResolver(options, ['posttls-finger', '-c', '-l', 'dane', domain], { MAIL_CONFIG: config });
  const out = result.stdout + result.stderr;
  const m = /Matched DANE (EE|TA) certificate at depth (\d+): (\d \d \d [0-9A-Fa-f]+)/.exec(out);
  return {
    result,
    matched: m ? { kind: m[1] as 'EE' | 'TA', depth: Number(m[2]), record: (m[3] ?? '').toLowerCase() } : null,
    connection: /(\w+) TLS connection established/.exec(out)?.[1] ?? null,
    noMatchingTlsa: /num=65:no matching DANE TLSA records/.test(out),
    hostNotFoundTryAgain: /Host not found, try again/.test(out),
  };
}

export interface SClientDane {
  readonly result: CommandResult;
  /** "DANE TLSA U S M …hex matched EE|TA certificate at depth N". */
  readonly matched: { readonly kind: 'EE' | 'TA'; readonly depth: number } | null;
  readonly verificationOk: boolean;
  readonly noMatchingTlsa: boolean;
}

/** `openssl s_client -starttls smtp -dane_tlsa_domain HOST -dane_tlsa_rrdata "U S M HEX"`, one record, at most 20 s. */
export async function sClientDane(options: { ip: string; host: string; record: string }): Promise<SClientDane> {
  const result = await converse(
    ['20', 'openssl', 's_client', '-starttls', 'smtp', '-connect', `${options.ip}:25`, '-dane_tlsa_domain', options.host, '-dane_tlsa_rrdata', options.record, '-crlf'],
    (out) => (/^Verify return code: /m.test(out) ? 'QUIT\n' : null),
  );
  const out = result.stdout + result.stderr;
  const m = /DANE TLSA \d \d \d \S+ matched (EE|TA) certificate at depth (\d+)/.exec(out);
  return {
    result,
    matched: m ? { kind: m[1] as 'EE' | 'TA', depth: Number(m[2]) } : null,
    verificationOk: /^Verification: OK$/m.test(out),
    noMatchingTlsa: /no matching DANE TLSA records/.test(out),
  };
}

export interface MtaStsQuery {
  readonly result: CommandResult;
  /** STSFetchResult: NONE, VALID, FETCH_ERROR, … */
  readonly kind: string | null;
  readonly id?: string;
  readonly policy?: { readonly mode: string; readonly mx: readonly string[]; readonly maxAge: number };
}

/**
 * `mta-sts-query DOMAIN` (postfix-mta-sts-resolver) through the tier's Unbound, trusting
 * the test CA (SSL_CERT_FILE). It prints `(<STSFetchResult.X: n>, None | ('id', {policy}))`.
 */
export async function mtaStsQuery(domain: string, options: { resolver: string; folder: string; caFile: string }): Promise<MtaStsQuery> {
  const result = await throughResolver(options, ['mta-sts-query', domain], { SSL_CERT_FILE: options.caFile });
  const line = /^\(<STSFetchResult\.(\w+): \d+>, (.*)\)\s*$/m.exec(result.stdout);
  const kind = line?.[1] ?? null;
  const found = /^\('([^']*)', (\{.*\})\)$/.exec(line?.[2] ?? '');
  if (!found) return { result, kind };
  // A Python dict of strings, lists of strings and integers: JSON once its quotes are.
  const dict = JSON.parse((found[2] ?? '{}').replace(/'/g, '"')) as { mode: string; mx?: string[]; max_age: number };
  return { result, kind, id: found[1] ?? '', policy: { mode: dict.mode, mx: dict.mx ?? [], maxAge: dict.max_age } };
}
