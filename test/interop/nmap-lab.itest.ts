/**
 * Interop tier: cross-check with nmap's ssl-enum-ciphers (the Debian package,
 * installed by setup.sh) on a loopback STARTTLS server of the lab: the versions
 * and suites --enumerate finds must be the ones nmap reports. It never skips:
 * this tier runs as root in CI with nmap installed. nmap needs -sV to know that
 * a port other than 25/587 speaks SMTP and so needs STARTTLS.
 * (enumerate.itest.ts makes the same comparison against the real MTAs.)
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { enumerate } from '../../src/checks/enumeration/enumerate.js';
import { probe } from '../../src/checks/starttls/probe.js';
import { parseNmapXml } from '../checks/enumeration/nmap-xml.js';
import { startEnumServer } from '../checks/enumeration/servers.js';
import { makePki, MX_ASCII, probeOptions } from '../checks/starttls/helpers.js';

function runNmap(port: number): Promise<string> {
  const args = ['-sV', '--version-light', '-Pn', '-n', '-p', String(port), '--script', 'ssl-enum-ciphers', '-oX', '-', '127.0.0.1'];
  return new Promise((resolve, reject) => {
    execFile('nmap', args, { timeout: 150_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe('cross-check with nmap --script ssl-enum-ciphers on a lab server', () => {
  let pki: Awaited<ReturnType<typeof makePki>>;
  before(async () => {
    pki = await makePki();
  });

  it('finds the same versions and suites as nmap on a TLS 1.0-1.3 server', { timeout: 180_000 }, async () => {
    // Given a server with TLS 1.0-1.3 and ECDHE, DHE and static RSA suites, GCM and CBC
    const rsa = await pki.ca.issue({ commonName: MX_ASCII, dnsNames: [MX_ASCII], keyType: 'rsa-2048' });
    const server = await startEnumServer({
      tls: {
        key: rsa.keyPem,
        cert: rsa.chainPem,
        minVersion: 'TLSv1',
        dhparam: 'auto',
        ciphers:
          'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA:AES128-SHA:AES256-GCM-SHA384:@SECLEVEL=0',
      },
    });
    try {
      // When mxready enumerates it and nmap scans it
      const target = { ip: '127.0.0.1', port: server.port, sni: MX_ASCII };
      const plain = await probe(target, probeOptions());
      const result = await enumerate(target, { ...probeOptions(), known: plain.tls ?? null });
      const nmap = parseNmapXml(await runNmap(server.port));
      // Then the accepted versions and the suites of each are the same (IANA names)
      const ours = Object.fromEntries(Object.entries(result.ciphers).map(([v, list]) => [v, list.map((c) => c.standardName).sort()]));
      assert.deepEqual(ours, nmap);
      assert.deepEqual(
        Object.entries(result.protocols).filter(([, accepted]) => accepted === true).map(([v]) => v).sort(),
        Object.keys(nmap).sort(),
      );
    } finally {
      await server.close();
    }
  });
});
