/** Reading nmap's XML: the part of the nmap cross-check that needs no nmap (the cross-check itself is in the interop tier). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNmapXml } from './nmap-xml.js';

describe('nmap XML parsing', () => {
  it('reads versions and suites, TLS_AKE_WITH_ names as IANA names', () => {
    const xml =
      '<script id="ssl-enum-ciphers" output=""><table key="TLSv1.0"><table key="ciphers"><table><elem key="name">TLS_RSA_WITH_AES_128_CBC_SHA</elem></table></table></table>' +
      '<table key="TLSv1.3"><table key="ciphers"><table><elem key="name">TLS_AKE_WITH_AES_256_GCM_SHA384</elem></table><table><elem key="name">TLS_AKE_WITH_CHACHA20_POLY1305_SHA256</elem></table></table></table></script>';
    assert.deepEqual(parseNmapXml(xml), { TLSv1: ['TLS_RSA_WITH_AES_128_CBC_SHA'], 'TLSv1.3': ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] });
  });
});
