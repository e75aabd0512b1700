/**
 * The server the class-2 tests share: one that goes past every cap on server
 * text at once. Its certificate has a 3,000-character issuer (with an escape
 * sequence), a 2,000-character subject CN and a 3,000-character organisation,
 * and 2,000 alternative names (70 KB, under OpenSSL's 100 KiB on a certificate
 * list) with the MX name 1,501st, far past the 100 kept; its greeting and EHLO
 * replies, before and inside TLS, run to 200 lines of bytes that escape to four
 * times their size.
 */
import { createSecureContext } from 'node:tls';
import { createCa } from '../../src/lab/certs.js';
import { reply, smtpSession, type Conn } from './servers.js';

/** Lines in the greeting and the EHLO replies. */
export const REPLY_LINES = 200;

/** A line of 100 letters and 30 ESC bytes: 220 characters once escaped. */
const hostileLine = (i: number) => `${String(i).padStart(3, '0')}${'L'.repeat(97)}${'\x1b'.repeat(30)}`;

/** Its CA (for --ca-file) and the script of a session, as `host` (the MX name) in `zone`. */
export async function pastEveryCap(host: string, zone: string): Promise<{ readonly caPem: string; readonly script: (c: Conn) => Promise<void> }> {
  const ca = await createCa({ commonName: `Issuer ${'I'.repeat(3000)} \x1b[31m` });
  const names = Array.from({ length: 2000 }, (_, i) => `alt-${i}-${'n'.repeat(16)}.${zone}`);
  names[1500] = host;
  const cert = await ca.issue({ commonName: `CN ${'C'.repeat(2000)}`, organization: `Org ${'O'.repeat(3000)}`, dnsNames: names });
  const context = createSecureContext({ key: cert.keyPem, cert: cert.chainPem });
  const lines = Array.from({ length: REPLY_LINES - 1 }, (_, i) => hostileLine(i));
  return {
    caPem: ca.certPem,
    script: (c) =>
      smtpSession(c, {
        host,
        greeting: reply(220, [`${host} ESMTP`, ...lines]),
        extensions: lines.slice(0, REPLY_LINES - 2),
        starttls: { kind: 'tls', context, ehloAfterTls: lines },
      }),
  };
}
