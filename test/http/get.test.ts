/**
 * The bounded HTTPS GET of MTA-STS policies, against real servers on loopback:
 * the lab's policy server (certificates from a test CA), a TLS server that never
 * answers, a plain TCP server, and a port where nothing listens. Every failure is
 * a code, never a throw; a redirect is never followed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, rootCertificates } from 'node:tls';
import { httpsGet, type HttpsGet } from '../../src/http/get.js';
import { createCa, type LabCa } from '../../src/lab/certs.js';
import { startPolicyServer, type LabPolicyServer } from '../../src/lab/policy-server.js';
import { verifyingContext } from '../../src/tls/upgrade.js';

const IP = '127.0.0.1';
const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx.example.test\r\nmax_age: 86400\r\n';
let ca: LabCa;
let server: LabPolicyServer;
const extra: Server[] = [];

async function listen(s: Server): Promise<number> {
  extra.push(s);
  await new Promise<void>((resolve) => s.listen(0, IP, resolve));
  return (s.address() as AddressInfo).port;
}

before(async () => {
  ca = await createCa({ commonName: 'http test CA' });
  const names = ['mta-sts.ok.test', 'mta-sts.redirect.test', 'mta-sts.target.test', 'mta-sts.html.test', 'mta-sts.big.test', 'mta-sts.chunked.test', 'mta-sts.missing.test', 'mta-sts.params.test', 'mta-sts.bidi.test'];
  const cert = await ca.issue({ commonName: names[0] ?? '', dnsNames: names });
  server = await startPolicyServer({
    host: IP,
    keyPem: cert.keyPem,
    certPem: cert.chainPem,
    sites: {
      'mta-sts.ok.test': { body: POLICY },
      'mta-sts.params.test': { body: POLICY, contentType: 'Text/Plain ; charset=us-ascii' },
      'mta-sts.redirect.test': { status: 301, headers: { Location: 'https://mta-sts.target.test/.well-known/mta-sts.txt' } },
      'mta-sts.target.test': { body: POLICY },
      // A Location whose bytes are UTF-8 for a RIGHT-TO-LEFT OVERRIDE (Node sends a header's characters as bytes).
      'mta-sts.bidi.test': { status: 302, headers: { Location: `https://mta-sts.target.test/${Buffer.from('a\u202Eb', 'utf8').toString('latin1')}` } },
      'mta-sts.html.test': { body: '<html></html>', contentType: 'text/html' },
      'mta-sts.big.test': { body: 'x'.repeat(70_000) },
      // No Content-Length: chunked, so only reading finds the size.
      'mta-sts.chunked.test': { body: 'x'.repeat(70_000), headers: { 'Transfer-Encoding': 'chunked' } },
    },
  });
});

after(async () => {
  await server.close();
  for (const s of extra) s.close();
});

function get(host: string, overrides: Partial<HttpsGet> = {}) {
  return httpsGet({
    host,
    addresses: [IP],
    port: server.port,
    path: '/.well-known/mta-sts.txt',
    secureContext: verifyingContext([...rootCertificates, ca.certPem]),
    timeoutMs: 10_000,
    maxBytes: 65_536,
    mediaType: 'text/plain',
    userAgent: 'mxready-test',
    ...overrides,
  });
}

describe('HTTPS GET of a policy', () => {
  it('Given a 200 text/plain policy Then its body', async () => {
    const result = await get('mta-sts.ok.test');
    assert.deepEqual(result, { ok: true, status: 200, mediaType: 'text/plain', body: POLICY });
  });

  it('Given a media type with parameters and another case Then it is text/plain', async () => {
    const result = await get('mta-sts.params.test');
    assert.equal(result.ok, true);
  });

  it('Given a 301 Then http-status, naming the Location, and no request reaches it', async () => {
    const result = await get('mta-sts.redirect.test');
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.code, 'http-status');
      assert.match(result.error.message, /HTTP 301.*mta-sts\.target\.test.*not followed/);
    }
    assert.equal(server.requestsFor('mta-sts.target.test'), 0);
  });

  it('Given a Location header with the UTF-8 bytes of U+202E Then the message shows it escaped as \\u202E, never raw nor as Latin-1', async () => {
    const result = await get('mta-sts.bidi.test');
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.ok(result.error.message.includes('a\\u202Eb'), result.error.message);
      assert.doesNotMatch(result.error.message, /[\u0080-\u00ff\u202e]/);
    }
  });

  it('Given a 404 Then http-status', async () => {
    const result = await get('mta-sts.missing.test');
    assert.equal(!result.ok && result.error.code, 'http-status');
  });

  it('Given text/html Then content-type', async () => {
    const result = await get('mta-sts.html.test');
    assert.equal(!result.ok && result.error.code, 'content-type');
  });

  it('Given a declared body over the limit Then too-large before reading it', async () => {
    const result = await get('mta-sts.big.test');
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error.message, /70000 bytes declared/);
  });

  it('Given a chunked body over the limit Then too-large while reading', async () => {
    const result = await get('mta-sts.chunked.test');
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.error.code, 'too-large');
      assert.match(result.error.message, /more than 65536 bytes/);
    }
  });

  it('Given a certificate that does not name the host Then webpki-invalid', async () => {
    const result = await get('mta-sts.unnamed.test');
    assert.equal(!result.ok && result.error.code, 'webpki-invalid');
  });

  it('Given a CA the client does not trust Then webpki-invalid', async () => {
    const result = await get('mta-sts.ok.test', { secureContext: verifyingContext([...rootCertificates]) });
    assert.equal(!result.ok && result.error.code, 'webpki-invalid');
  });

  it('Given nothing listening Then connect-failed', async () => {
    const closed = createTcpServer();
    const port = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await get('mta-sts.ok.test', { port });
    assert.equal(!result.ok && result.error.code, 'connect-failed');
  });

  it('Given a server that speaks no TLS Then tls-failed', async () => {
    const port = await listen(createTcpServer((socket) => socket.end('HTTP/1.0 200 OK\r\n\r\nplain\r\n')));
    const result = await get('mta-sts.ok.test', { port });
    assert.equal(!result.ok && result.error.code, 'tls-failed');
  });

  it('Given a server that completes TLS and never answers Then timeout at the deadline', async () => {
    const cert = await ca.issue({ commonName: 'mta-sts.silent.test', dnsNames: ['mta-sts.silent.test'] });
    const port = await listen(createTlsServer({ key: cert.keyPem, cert: cert.chainPem }, () => undefined));
    const result = await get('mta-sts.silent.test', { port, timeoutMs: 300 });
    assert.equal(!result.ok && result.error.code, 'timeout');
  });

  it('Given no address Then connect-failed, not a throw', async () => {
    const result = await get('mta-sts.ok.test', { addresses: [] });
    assert.equal(!result.ok && result.error.code, 'connect-failed');
  });

  it('Given the scan cut Then the request ends at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await get('mta-sts.ok.test', { signal: controller.signal });
    assert.equal(!result.ok && result.error.code, 'timeout');
  });
});
