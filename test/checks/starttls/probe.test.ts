import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { LabSmtpOptions } from '../../../src/lab/smtp-server.js';
import type { ProbeResult } from '../../../src/model/probe.js';
import { probe } from '../../../src/checks/starttls/probe.js';
import type { ProbeOptions, ProbeTarget } from '../../../src/checks/starttls/types.js';
import {
  leakableResources,
  makePki,
  MX_ASCII,
  nextTurn,
  probeOptions,
  settle,
  refusingPort,
  withLab,
  withRawServer,
  type TestPki,
} from './helpers.js';

let pki: TestPki;
before(async () => {
  pki = await makePki();
});

const target = (port: number, extra: Partial<ProbeTarget> = {}): ProbeTarget => ({ ip: '127.0.0.1', port, sni: MX_ASCII, ...extra });

/** Probes a lab server built from `lab`, trusting the test CA unless told otherwise. */
async function probeLab(lab: Omit<LabSmtpOptions, 'hostname'>, options: Partial<ProbeOptions> = {}, extra: Partial<ProbeTarget> = {}): Promise<ProbeResult> {
  return withLab({ hostname: MX_ASCII, ...lab }, (server) =>
    probe(target(server.port, extra), probeOptions({ trustAnchors: [pki.ca.certPem], ...options })),
  );
}

const tlsWith = (cert = (): { keyPem: string; chainPem: string } => pki.leaf) => ({ key: cert().keyPem, cert: cert().chainPem });

describe('probe: STARTTLS and TLS facts', () => {
  it('records TLS 1.3 with a trusted CA-issued certificate', async () => {
    // Given a server offering STARTTLS with TLS 1.3 and P-256 as its only group
    const result = await probeLab({ starttls: true, tls: { ...tlsWith(), ecdhCurve: 'P-256' } });
    // Then the session completes and every fact is recorded
    assert.equal(result.status, 'ok');
    assert.equal(result.error, undefined);
    assert.equal(result.tlsMode, 'starttls');
    assert.equal(result.starttls, true);
    assert.equal(result.sni, MX_ASCII);
    assert.equal(result.banner, `${MX_ASCII} ESMTP mxready-lab`);
    assert.deepEqual(result.extensions, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES', 'STARTTLS']);
    assert.deepEqual(result.extensionsAfterTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']);
    assert.equal(result.plaintextDiscardedBytes, 0);
    assert.equal(result.tls?.protocol, 'TLSv1.3');
    assert.match(result.tls?.cipher.name ?? '', /^TLS_/);
    assert.equal(result.tls?.cipher.standardName, result.tls?.cipher.name);
    assert.deepEqual(result.tls?.keyExchange, { type: 'ECDH', group: 'P-256', bits: 256 });
    assert.equal(result.tls?.forwardSecrecy, true);
    assert.equal(result.certificate?.trusted, true);
    assert.equal(result.certificate?.validationError, null);
    assert.equal(result.certificate?.hostnameMatch, true);
    assert.equal(result.certificate?.subject, `CN=${MX_ASCII}`);
    assert.ok((result.certificate?.chain.length ?? 0) >= 1);
    const { connectMs, greetingMs, tlsMs, totalMs } = result.timings;
    assert.ok(connectMs !== null && greetingMs !== null && tlsMs !== null);
    assert.ok(connectMs <= greetingMs && greetingMs <= tlsMs && tlsMs <= totalMs, JSON.stringify(result.timings));
    assert.equal(Math.round(totalMs * 10) / 10, totalMs, 'rounded to 0.1 ms');
    assert.deepEqual(JSON.parse(JSON.stringify(result)), result, 'plain JSON-safe data');
  });

  it('records the cipher of a TLS 1.2-only server', async () => {
    // Given a server that stops at TLS 1.2 with one ECDHE suite
    const result = await probeLab({
      starttls: true,
      tls: { ...tlsWith(), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', ecdhCurve: 'P-256' },
    });
    // Then the TLS 1.2 suite is recorded under both names
    assert.equal(result.status, 'ok');
    assert.equal(result.tls?.protocol, 'TLSv1.2');
    assert.deepEqual(result.tls?.cipher, { name: 'ECDHE-ECDSA-AES256-GCM-SHA384', standardName: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384' });
    assert.deepEqual(result.tls?.keyExchange, { type: 'ECDH', group: 'P-256', bits: 256 });
    assert.equal(result.tls?.forwardSecrecy, true);
  });

  it('records static RSA key transport as no forward secrecy', async () => {
    // Given a TLS 1.2 server whose only suite is RSA key transport
    const rsa = await pki.ca.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII], keyType: 'rsa-2048' });
    const result = await probeLab({ starttls: true, tls: { key: rsa.keyPem, cert: rsa.chainPem, maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256' } });
    // Then the key exchange is RSA and there is no forward secrecy
    assert.equal(result.status, 'ok');
    assert.equal(result.tls?.cipher.standardName, 'TLS_RSA_WITH_AES_128_GCM_SHA256');
    assert.deepEqual(result.tls?.keyExchange, { type: 'RSA', group: null, bits: null });
    assert.equal(result.tls?.forwardSecrecy, false);
  });

  it('keeps the legacy check\'s session facts for a TLS 1.0-only server', async () => {
    // Given a server that only speaks TLS 1.0
    await withLab({ hostname: MX_ASCII, starttls: true, tls: { ...tlsWith(), minVersion: 'TLSv1', maxVersion: 'TLSv1' } }, async (server) => {
      // When probed with the legacy check
      const result = await probe(target(server.port), probeOptions({ trustAnchors: [pki.ca.certPem], legacyCheck: true }));
      // Then the first session (TLS 1.2-1.3) fails, and the second one's facts are the probe's
      assert.equal(result.status, 'ok');
      assert.equal(result.legacyCheck, 'negotiated');
      assert.equal(result.tls?.protocol, 'TLSv1');
      assert.match(result.tls?.cipher.standardName ?? '', /^TLS_/);
      assert.equal(result.certificate?.subject, `CN=${MX_ASCII}`);
      assert.ok((result.extensionsAfterTls ?? []).length > 0, 'the EHLO inside TLS of the second session');
      assert.equal(result.error, undefined);
      assert.equal(server.sessions, 2);
    });
  });

  it('says the server offers neither TLS 1.2 nor 1.3, and that older versions were not tried, without the legacy check', async () => {
    const result = await probeLab({ starttls: true, tls: { ...tlsWith(), minVersion: 'TLSv1', maxVersion: 'TLSv1' } });
    assert.equal(result.status, 'tls-failed');
    assert.equal(result.error?.code, 'tls-version-unsupported');
    assert.match(result.error?.message ?? '', /neither TLSv1\.2 nor TLSv1\.3 \(.*(protocol version|unsupported protocol|wrong version number).*\); older versions were not tried/);
    assert.equal(result.legacyCheck, undefined);
    assert.equal(result.tls, undefined);
  });

  it('measures legacy acceptance with one more session only when asked', async () => {
    await withLab({ hostname: MX_ASCII, starttls: true, tls: { ...tlsWith(), minVersion: 'TLSv1', maxVersion: 'TLSv1.3' } }, async (server) => {
      const plain = await probe(target(server.port), probeOptions({ trustAnchors: [pki.ca.certPem], legacyCheck: true }));
      assert.equal(plain.tls?.protocol, 'TLSv1.3');
      assert.equal(plain.legacyAccepted, undefined);
      assert.equal(server.sessions, 1);
      const deep = await probe(target(server.port), probeOptions({ trustAnchors: [pki.ca.certPem], legacyCheck: true, legacyAcceptance: true }));
      assert.equal(deep.tls?.protocol, 'TLSv1.3', 'the connection record is still the first session');
      assert.equal(deep.legacyAccepted, 'TLSv1.1');
      assert.equal(server.sessions, 3);
    });
  });

  it('records a self-signed certificate as untrusted without failing the handshake', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(() => pki.selfSigned) });
    assert.equal(result.status, 'ok');
    assert.equal(result.certificate?.trusted, false);
    assert.ok(
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN'].includes(result.certificate?.validationError ?? ''),
      String(result.certificate?.validationError),
    );
    assert.equal(result.certificate?.selfSigned, true);
    assert.equal(result.certificate?.hostnameMatch, true);
  });

  it('records an expired certificate as untrusted with CERT_HAS_EXPIRED', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(() => pki.expired) });
    assert.equal(result.status, 'ok');
    assert.equal(result.certificate?.trusted, false);
    assert.equal(result.certificate?.validationError, 'CERT_HAS_EXPIRED');
    assert.ok((result.certificate?.daysRemaining ?? 0) < 0);
  });

  it('does not send an IP literal as SNI and matches nothing against it', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith() }, {}, { sni: null });
    assert.equal(result.status, 'ok');
    assert.equal(result.sni, null);
    assert.equal(result.certificate?.hostnameMatch, false);
  });

  it('speaks implicit TLS: handshake first, then the greeting inside TLS', async () => {
    const result = await probeLab({ starttls: false, implicitTls: true, tls: tlsWith() }, {}, { implicitTls: true });
    assert.equal(result.status, 'ok');
    assert.equal(result.tlsMode, 'implicit');
    assert.equal(result.tls?.protocol, 'TLSv1.3');
    assert.equal(result.banner, `${MX_ASCII} ESMTP mxready-lab`);
    assert.deepEqual(result.extensions, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']);
    assert.deepEqual(result.extensionsAfterTls, result.extensions);
    assert.equal(result.plaintextDiscardedBytes, undefined);
    const { greetingMs, tlsMs } = result.timings;
    assert.ok(greetingMs !== null && tlsMs !== null && tlsMs <= greetingMs);
  });
});

describe('probe: SMTP outcomes', () => {
  it('reports a server without STARTTLS as no-starttls, keeping banner and extensions', async () => {
    const result = await probeLab({ starttls: false });
    assert.equal(result.status, 'no-starttls');
    assert.deepEqual(result.error && { phase: result.error.phase, code: result.error.code }, { phase: 'ehlo', code: 'starttls-not-offered' });
    assert.equal(result.starttls, false);
    assert.deepEqual(result.extensions, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']);
    assert.equal(result.tls, undefined);
    assert.equal(result.timings.tlsMs, null);
  });

  it('reports STARTTLS answered 454 as starttls-rejected with the reply', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(), starttlsReply: '454 4.7.0 TLS not available due to local problem' });
    assert.equal(result.status, 'starttls-rejected');
    assert.equal(result.error?.phase, 'starttls');
    assert.equal(result.error?.code, 'starttls-rejected');
    assert.deepEqual(result.error?.reply, { code: 454, enhanced: '4.7.0', lines: ['4.7.0 TLS not available due to local problem'] });
    assert.equal(result.starttls, true);
  });

  it('discards and counts plaintext injected after the 220 to STARTTLS (RFC 3207 §6)', async () => {
    // Given a server that writes a forged reply in the same write as its 220
    const injected = '250-PIPELINING\r\n250 AUTH PLAIN\r\n';
    const result = await probeLab({ starttls: true, tls: tlsWith(), injectAfterStarttls: injected });
    // Then the forged bytes are counted and never read as the EHLO reply inside TLS
    assert.equal(result.status, 'ok');
    assert.equal(result.plaintextDiscardedBytes, Buffer.byteLength(injected));
    assert.deepEqual(result.extensionsAfterTls, ['PIPELINING', 'SIZE 10240000', '8BITMIME', 'ENHANCEDSTATUSCODES']);
  });

  it('keeps the TLS facts when the EHLO inside TLS is refused with 421', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(), ehloAfterTlsReply: '421 4.7.1 Client certificate required' });
    assert.equal(result.status, 'smtp-rejected');
    assert.equal(result.error?.phase, 'ehlo-after-tls');
    assert.equal(result.error?.code, 'ehlo-after-tls-rejected');
    assert.equal(result.error?.reply?.code, 421);
    assert.equal(result.tls?.protocol, 'TLSv1.3');
    assert.equal(result.certificate?.trusted, true);
    assert.equal(result.extensionsAfterTls, undefined);
  });

  it('reports a 554 greeting as smtp-rejected with the banner and reply', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(), greetingCode: 554, greeting: ['5.7.1 No SMTP service here'] });
    assert.equal(result.status, 'smtp-rejected');
    assert.equal(result.error?.phase, 'greeting');
    assert.equal(result.error?.code, 'greeting-rejected');
    assert.deepEqual(result.error?.reply, { code: 554, enhanced: '5.7.1', lines: ['5.7.1 No SMTP service here'] });
    assert.equal(result.banner, '5.7.1 No SMTP service here');
  });

  it('joins a multi-line greeting into the banner, sanitised', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(), greeting: [`${MX_ASCII} ESMTP`, 'Grüße aus Köln', 'no \x1b[31mspam'] });
    assert.equal(result.status, 'ok');
    assert.equal(result.banner, `${MX_ASCII} ESMTP\nGr\\xFC\\xDFe aus K\\xF6ln\nno \\x1B[31mspam`);
  });

  it('falls back to HELO when EHLO is refused, and reports that STARTTLS was impossible', async () => {
    const result = await probeLab({ starttls: true, tls: tlsWith(), ehloReply: '502 5.5.2 EHLO not implemented' });
    assert.equal(result.status, 'no-starttls');
    assert.equal(result.error?.code, 'starttls-not-offered');
    assert.equal(result.error?.phase, 'ehlo');
    assert.match(result.error?.message ?? '', /EHLO was refused/);
    assert.equal(result.error?.reply?.code, 502);
    assert.deepEqual(result.extensions, []);
  });

  it('reports a non-SMTP banner as protocol-error', async () => {
    await withRawServer(
      (socket) => void socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'),
      async (server) => {
        const result = await probe(target(server.port), probeOptions());
        assert.equal(result.status, 'protocol-error');
        assert.equal(result.error?.code, 'reply-malformed');
        assert.equal(result.error?.phase, 'greeting');
      },
    );
  });

  it('rejects a huge greeting line early instead of waiting for the deadline', async () => {
    await withRawServer(
      (socket) => void socket.write(`220 ${'A'.repeat(100 * 1024)}`),
      async (server) => {
        const started = performance.now();
        const result = await probe(target(server.port), probeOptions({ timeouts: { greetingMs: 3000 } }));
        assert.equal(result.status, 'protocol-error');
        assert.equal(result.error?.code, 'reply-too-long');
        assert.ok(performance.now() - started < 1500);
      },
    );
  });

  it('does not wait for the reply to QUIT', async () => {
    // Given a server that greets, answers EHLO without STARTTLS, and never answers QUIT
    await withRawServer(
      (socket) => {
        socket.write('220 quiet ESMTP\r\n');
        socket.on('data', (data) => {
          if (/^EHLO/i.test(data.toString())) socket.write('250-quiet\r\n250 8BITMIME\r\n');
        });
      },
      async (server) => {
        const started = performance.now();
        const result = await probe(target(server.port), probeOptions({ timeouts: { commandMs: 2000 } }));
        // Then the probe ends at once, well within one command deadline
        assert.equal(result.status, 'no-starttls');
        assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
      },
    );
  });
});

describe('probe: connections and deadlines', () => {
  it('reports a closed port as connection-refused', async () => {
    const port = await refusingPort();
    const result = await probe(target(port), probeOptions());
    assert.equal(result.status, 'connection-refused');
    assert.equal(result.error?.code, 'connect-refused');
    assert.equal(result.error?.phase, 'connect');
    assert.equal(result.banner, null);
    assert.deepEqual(result.timings, { connectMs: null, greetingMs: null, tlsMs: null, totalMs: result.timings.totalMs });
  });

  it('times out a server that accepts and never greets, within the greeting deadline', async () => {
    await withRawServer(
      () => undefined,
      async (server) => {
        const started = performance.now();
        const result = await probe(target(server.port), probeOptions({ timeouts: { greetingMs: 300 } }));
        const elapsed = performance.now() - started;
        assert.equal(result.status, 'timeout');
        assert.equal(result.error?.code, 'greeting-timeout');
        assert.equal(result.error?.phase, 'greeting');
        assert.ok(result.timings.connectMs !== null);
        assert.ok(elapsed >= 290 && elapsed < 300 + 250, `elapsed ${elapsed} ms`);
      },
    );
  });

  it('does not let a byte every 200 ms extend the greeting deadline', async () => {
    // Given a server that drips a valid-looking greeting one byte at a time
    await withRawServer(
      (socket) => {
        const text = Buffer.from(`220 ${'slow '.repeat(40)}\r\n`);
        let at = 0;
        const timer = setInterval(() => {
          if (at < text.length) socket.write(text.subarray(at, at + 1));
          at += 1;
        }, 200);
        return () => clearInterval(timer);
      },
      async (server) => {
        const started = performance.now();
        // When the greeting deadline is 700 ms
        const result = await probe(target(server.port), probeOptions({ timeouts: { greetingMs: 700 } }));
        const elapsed = performance.now() - started;
        // Then the probe ends at 700 ms, bytes notwithstanding
        assert.equal(result.status, 'timeout');
        assert.equal(result.error?.code, 'greeting-timeout');
        assert.ok(elapsed < 700 + 250, `elapsed ${elapsed} ms`);
      },
    );
  });

  it('caps every phase by the probe deadline', async () => {
    await withRawServer(
      (socket) => {
        const timer = setInterval(() => socket.write('2'), 200);
        return () => clearInterval(timer);
      },
      async (server) => {
        const started = performance.now();
        const result = await probe(target(server.port), probeOptions({ timeouts: { greetingMs: 5000, probeMs: 600 } }));
        const elapsed = performance.now() - started;
        assert.equal(result.status, 'timeout');
        assert.equal(result.error?.code, 'probe-timeout');
        assert.equal(result.error?.phase, 'greeting');
        assert.ok(elapsed < 600 + 250, `elapsed ${elapsed} ms`);
      },
    );
  });

  it('reports a server that closes after the greeting as connection-closed', async () => {
    await withRawServer(
      (socket) => void socket.end('220 bye-bye ESMTP\r\n'),
      async (server) => {
        const result = await probe(target(server.port), probeOptions());
        assert.equal(result.status, 'connection-closed');
        assert.ok(['connection-closed', 'connection-reset'].includes(result.error?.code ?? ''), result.error?.code);
        assert.equal(result.error?.phase, 'ehlo');
        assert.equal(result.banner, 'bye-bye ESMTP');
      },
    );
  });

  it('ends promptly as "scan interrupted" when the caller aborts', async () => {
    await withRawServer(
      () => undefined,
      async (server) => {
        const controller = new AbortController();
        const started = performance.now();
        setTimeout(() => controller.abort(), 100);
        const result = await probe(target(server.port), probeOptions({ signal: controller.signal, timeouts: { greetingMs: 3000 } }));
        assert.equal(result.status, 'timeout');
        assert.equal(result.error?.code, 'interrupted');
        assert.equal(result.error?.message, 'scan interrupted');
        assert.ok(performance.now() - started < 400);
      },
    );
  });

  it('reports a connection that is never established as connection-timeout', async () => {
    // Given a connect function whose socket never connects
    const started = performance.now();
    const result = await probe(target(25), probeOptions({ timeouts: { connectMs: 200 } }), { connect: () => new Socket() });
    // Then the connect deadline ends the probe
    assert.equal(result.status, 'connection-timeout');
    assert.equal(result.error?.code, 'connect-timeout');
    assert.equal(result.error?.phase, 'connect');
    assert.ok(performance.now() - started < 200 + 250);
  });

  it('reports connection-timeout, not probe-timeout, when the probe deadline passes while connecting', async () => {
    const result = await probe(target(25), probeOptions({ timeouts: { connectMs: 2000, probeMs: 200 } }), { connect: () => new Socket() });
    assert.equal(result.status, 'connection-timeout');
    assert.equal(result.error?.code, 'connect-timeout');
  });

  it('reports a reset mid-session as connection-closed with code connection-reset', async () => {
    await withRawServer(
      (socket) => {
        socket.write('220 flaky ESMTP\r\n');
        socket.once('data', () => socket.resetAndDestroy());
      },
      async (server) => {
        const result = await probe(target(server.port), probeOptions());
        assert.equal(result.status, 'connection-closed');
        assert.equal(result.error?.code, 'connection-reset');
        assert.equal(result.error?.phase, 'ehlo');
      },
    );
  });

  it('times out a TLS handshake the server never answers', async () => {
    await withRawServer(
      (socket) => {
        socket.write('220 mute ESMTP\r\n');
        socket.on('data', (data) => {
          const text = data.toString();
          if (/^EHLO/i.test(text)) socket.write('250-mute\r\n250 STARTTLS\r\n');
          if (/^STARTTLS/i.test(text)) socket.write('220 go ahead\r\n');
        });
      },
      async (server) => {
        const result = await probe(target(server.port), probeOptions({ timeouts: { tlsMs: 300 } }));
        assert.equal(result.status, 'timeout');
        assert.equal(result.error?.code, 'tls-timeout');
        assert.equal(result.error?.phase, 'tls');
        assert.equal(result.tlsMode, 'starttls');
        assert.equal(result.timings.tlsMs, null);
      },
    );
  });

  it('reports plaintext instead of a ServerHello as tls-failed with the OpenSSL reason', async () => {
    await withRawServer(
      (socket) => {
        socket.write('220 confused ESMTP\r\n');
        socket.on('data', (data) => {
          const text = data.toString();
          if (/^EHLO/i.test(text)) socket.write('250-confused\r\n250 STARTTLS\r\n');
          else if (/^STARTTLS/i.test(text)) socket.write('220 go ahead\r\n');
          else socket.write('500 this is not TLS\r\n');
        });
      },
      async (server) => {
        // OpenSSL calls "500 …" a record of a wrong version, but that is no TLS at all, not a version the server
        // lacks: a handshake failure, and no legacy-check session (it would fail the same way)
        const result = await probe(target(server.port), probeOptions({ legacyCheck: true }));
        assert.equal(result.status, 'tls-failed');
        assert.equal(result.error?.code, 'tls-handshake-failed');
        assert.equal(result.legacyCheck, undefined);
        assert.match(result.error?.message ?? '', /TLS handshake failed: .*wrong version number/);
        assert.equal(result.tls, undefined);
      },
    );
  });

  it('turns a bug into internal-error instead of throwing', async () => {
    const result = await probe(target(1), probeOptions(), {
      connect: () => {
        throw new Error('boom');
      },
    });
    assert.equal(result.status, 'internal-error');
    assert.deepEqual(result.error, { phase: 'internal', code: 'internal-error', message: 'mxready bug: Error: boom' });
  });
});

describe('probe: resources', () => {
  after(async () => {
    await nextTurn();
  });

  it('leaves no socket or timer behind, on success and on failure', async () => {
    // Given the resources active before (once earlier tests' servers are released)
    await settle();
    const baseline = leakableResources();
    // When probes end in success, a timeout, a refusal and a legacy check
    await probeLab({ starttls: true, tls: tlsWith() });
    await probeLab({ starttls: true, tls: { ...tlsWith(), maxVersion: 'TLSv1' } }, { legacyCheck: true });
    await withRawServer(
      () => undefined,
      (server) => probe(target(server.port), probeOptions({ timeouts: { greetingMs: 100 } })),
    );
    await probe(target(await refusingPort()), probeOptions());
    await nextTurn();
    // Then no socket, server or timer is left
    assert.deepEqual(leakableResources(), baseline);
  });
});
