/**
 * Cross-check with nmap's ssl-enum-ciphers (the Debian package) on a loopback
 * STARTTLS server: the versions and suites --enumerate finds must be the ones
 * nmap reports. Skipped, saying so, when nmap is not installed; the interop tier
 * (test/interop) makes the same comparison against real MTAs. nmap needs -sV to
 * know that a port other than 25/587 speaks SMTP and so needs STARTTLS.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { before, describe, it } from 'node:test';
import { enumerate } from '../../../src/checks/enumeration/enumerate.js';
import { ianaName } from '../../../src/checks/enumeration/suites.js';
import { probe } from '../../../src/checks/starttls/probe.js';
import { makePki, MX_ASCII, probeOptions } from '../starttls/helpers.js';
import { startEnumServer } from './servers.js';

const NMAP = spawnSync('nmap', ['--version'], { encoding: 'utf8' });
const nmapMissing = NMAP.error !== undefined || NMAP.status !== 0 ? 'nmap is not installed (apt-get install nmap): the cross-check is skipped' : false;

/** Versions → IANA suite names, from nmap's XML output. */
export function parseNmapXml(xml: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const script = /<script id="ssl-enum-ciphers"[\s\S]*?<\/script>/.exec(xml)?.[0] ?? '';
  const versions = script.split(/<table key="(SSLv3|TLSv1\.[0-3])">/);
  for (let i = 1; i + 1 < versions.length; i += 2) {
    const version = versions[i] === 'TLSv1.0' ? 'TLSv1' : (versions[i] as string);
    const names = [...(versions[i + 1] ?? '').matchAll(/<elem key="name">([^<]+)<\/elem>/g)].map((m) => ianaName(m[1] ?? ''));
    result[version] = names.sort();
  }
  return result;
}

function runNmap(port: number): Promise<string> {
  const args = ['-sV', '--version-light', '-Pn', '-n', '-p', String(port), '--script', 'ssl-enum-ciphers', '-oX', '-', '127.0.0.1'];
  return new Promise((resolve, reject) => {
    execFile('nmap', args, { timeout: 150_000, maxBuffer: 4 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe('cross-check with nmap --script ssl-enum-ciphers', { skip: nmapMissing }, () => {
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

describe('nmap XML parsing', () => {
  it('reads versions and suites, TLS_AKE_WITH_ names as IANA names', () => {
    const xml =
      '<script id="ssl-enum-ciphers" output=""><table key="TLSv1.0"><table key="ciphers"><table><elem key="name">TLS_RSA_WITH_AES_128_CBC_SHA</elem></table></table></table>' +
      '<table key="TLSv1.3"><table key="ciphers"><table><elem key="name">TLS_AKE_WITH_AES_256_GCM_SHA384</elem></table><table><elem key="name">TLS_AKE_WITH_CHACHA20_POLY1305_SHA256</elem></table></table></table></script>';
    assert.deepEqual(parseNmapXml(xml), { TLSv1: ['TLS_RSA_WITH_AES_128_CBC_SHA'], 'TLSv1.3': ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] });
  });
});
