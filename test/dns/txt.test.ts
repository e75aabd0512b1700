/**
 * TXT lookups for MTA-STS and TLS-RPT records against the lab's DNS server:
 * strings joined with nothing between them, CNAMEs followed (in one answer, or
 * across queries when the server does not chase them), NXDOMAIN, NODATA, failures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupTxt } from '../../src/dns/txt.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { lab, TEST_TIMEOUT_MS } from './helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };
const ZONE: LabZoneRecord[] = [
  { name: '_mta-sts.split.test', type: 'TXT', data: ['v=STSv1; ', 'id=2026', '1207'] },
  { name: '_mta-sts.split.test', type: 'TXT', data: 'v=spf1 -all' },
  { name: '_mta-sts.alias.test', type: 'CNAME', data: '_mta-sts.provider.test' },
  { name: '_mta-sts.provider.test', type: 'TXT', data: 'v=STSv1; id=provider1' },
  { name: '_mta-sts.loop.test', type: 'CNAME', data: '_mta-sts.loop2.test' },
  { name: '_mta-sts.loop2.test', type: 'CNAME', data: '_mta-sts.loop.test' },
  { name: 'nodata.test', type: 'A', data: '127.0.0.9' },
  // U+202E split across two strings (E2 | 80 AE), an ESC, U+2066 and a tag character above U+FFFF, as raw bytes.
  { name: '_smtp._tls.bidi.test', type: 'TXT', data: [Buffer.from('v=TLSRPTv1; rua=mailto:a\xe2', 'latin1'), Buffer.from('\x80\xaeb\x1b@x.test', 'latin1'), Buffer.from('\u2066\u{e0041}', 'utf8')] },
];

describe('TXT lookups', () => {
  it('Given a record in several strings beside another record Then each record is its strings joined', opts, async (t) => {
    const { client } = await lab(t, ZONE);
    const result = await lookupTxt(client, '_mta-sts.split.test');
    assert.ok(result.ok);
    assert.deepEqual([...result.records].sort(), ['v=STSv1; id=20261207', 'v=spf1 -all']);
  });

  for (const chase of [true, false]) {
    it(`Given a CNAME ${chase ? 'the server follows' : 'the server does not follow'} Then the target's records`, opts, async (t) => {
      const { client } = await lab(t, ZONE, { chaseCnames: chase });
      const result = await lookupTxt(client, '_mta-sts.alias.test');
      assert.ok(result.ok);
      assert.deepEqual(result.records, ['v=STSv1; id=provider1']);
    });
  }

  it('Given control and format characters, one split across two strings Then the record is joined as bytes and escaped', opts, async (t) => {
    const { client } = await lab(t, ZONE);
    const result = await lookupTxt(client, '_smtp._tls.bidi.test');
    assert.ok(result.ok);
    assert.deepEqual(result.records, ['v=TLSRPTv1; rua=mailto:a\\u202Eb\\x1B@x.test\\u2066\\u{E0041}']);
  });

  it('Given a CNAME loop Then cname-loop, not a hang', opts, async (t) => {
    const { client } = await lab(t, ZONE, { chaseCnames: false });
    const result = await lookupTxt(client, '_mta-sts.loop.test');
    assert.equal(!result.ok && result.error.code, 'cname-loop');
  });

  it('Given NXDOMAIN Then not ok with nxdomain; given NODATA Then no records', opts, async (t) => {
    const { client } = await lab(t, ZONE);
    const missing = await lookupTxt(client, '_mta-sts.missing.test');
    assert.equal(!missing.ok && missing.nxdomain, true);
    const nodata = await lookupTxt(client, 'nodata.test');
    assert.deepEqual(nodata.ok && nodata.records, []);
  });

  it('Given SERVFAIL Then a failure that is not nxdomain', opts, async (t) => {
    const { client } = await lab(t, ZONE, { behaviour: () => 'servfail' });
    const result = await lookupTxt(client, '_mta-sts.split.test');
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.equal(result.nxdomain, false);
      assert.equal(result.error.code, 'servfail');
    }
  });
});
