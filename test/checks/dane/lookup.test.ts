/**
 * The DANE check's TLSA lookups (RFC 7672 §2.2) against the lab's validating
 * resolver: only for hosts whose addresses are secure, at the CNAME-expanded
 * name first and the original name after, with every outcome a status.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lookupTlsa } from '../../../src/checks/dane/check.js';
import type { LabZoneRecord } from '../../../src/lab/dns-server.js';
import { lab, TEST_TIMEOUT_MS } from '../../dns/helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };
const digest = Buffer.alloc(32, 0xab);
const tlsa = (name: string, usage = 3): LabZoneRecord => ({ name, type: 'TLSA', data: { usage, selector: 1, matchingType: 1, certificate: digest } });

const ZONE: LabZoneRecord[] = [
  tlsa('_25._tcp.mx.signed.test'),
  tlsa('_25._tcp.target.signed.test', 2),
  tlsa('_25._tcp.original.signed.test'),
  { name: 'other.signed.test', type: 'A', data: '127.0.0.30' },
  tlsa('_25._tcp.mx.unsigned.signed.test'),
  tlsa('_25._tcp.mx.broken.test'),
  { name: '_25._tcp.weird.signed.test', type: 'TLSA', data: { usage: 1, selector: 1, matchingType: 1, certificate: digest } },
];
const DNSSEC = { 'signed.test': 'secure', 'unsigned.signed.test': 'insecure', 'broken.test': 'bogus' } as const;

describe('TLSA lookups', () => {
  it('Given a host with secure addresses and secure TLSA Then secure, with the records and whether each is usable', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const facts = await lookupTlsa({ host: 'mx.signed.test', port: 25, hostIsIp: false, dnssec: 'secure' }, client);
    assert.deepEqual(facts, { name: '_25._tcp.mx.signed.test', status: 'secure', records: [{ usage: 3, selector: 1, matchingType: 1, data: digest.toString('hex'), usable: true }] });
    const weird = await lookupTlsa({ host: 'weird.signed.test', port: 25, hostIsIp: false, dnssec: 'secure' }, client);
    assert.equal(weird.records[0]?.usable, false);
    assert.match(weird.records[0]?.reason ?? '', /PKIX-EE/);
  });

  it('Given a secure CNAME Then the expanded name is asked first; with none there, the original name', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const expanded = await lookupTlsa({ host: 'alias.signed.test', port: 25, hostIsIp: false, dnssec: 'secure', cname: ['target.signed.test'] }, client);
    assert.equal(expanded.name, '_25._tcp.target.signed.test');
    assert.equal(expanded.records[0]?.usage, 2);
    const original = await lookupTlsa({ host: 'original.signed.test', port: 25, hostIsIp: false, dnssec: 'secure', cname: ['other.signed.test'] }, client);
    assert.equal(original.name, '_25._tcp.original.signed.test');
    assert.equal(original.status, 'secure');
  });

  it('Given the port probed Then the owner name carries it, and a port without records is none', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const facts = await lookupTlsa({ host: 'mx.signed.test', port: 587, hostIsIp: false, dnssec: 'secure' }, client);
    assert.deepEqual(facts, { name: '_587._tcp.mx.signed.test', status: 'none', records: [] });
  });

  it('Given TLSA in an unsigned child Then insecure (looked up, and ignored by the rules)', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const facts = await lookupTlsa({ host: 'mx.unsigned.signed.test', port: 25, hostIsIp: false, dnssec: 'secure' }, client);
    assert.equal(facts.status, 'insecure');
  });

  it('Given TLSA that fails validation Then bogus', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC, client: { attempts: 1 } });
    const facts = await lookupTlsa({ host: 'mx.broken.test', port: 25, hostIsIp: false, dnssec: 'secure' }, client);
    assert.equal(facts.status, 'bogus');
    assert.equal(facts.error?.code, 'servfail');
  });

  it('Given a resolver that never answers Then lookup-failed', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC, behaviour: () => 'drop', client: { attempts: 1, timeoutMs: 50 } });
    const facts = await lookupTlsa({ host: 'mx.signed.test', port: 25, hostIsIp: false, dnssec: 'secure' }, client);
    assert.equal(facts.status, 'lookup-failed');
    assert.equal(facts.error?.code, 'dns-timeout');
  });

  it('Given addresses that are not secure, an IP-literal relay, or no resolver Then not looked up, and why', opts, async (t) => {
    const { server, client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const insecure = await lookupTlsa({ host: 'mx.signed.test', port: 25, hostIsIp: false, dnssec: 'insecure' }, client);
    assert.equal(insecure.status, 'not-looked-up');
    assert.match(insecure.error?.message ?? '', /not DNSSEC-secure \(insecure\)/);
    const literal = await lookupTlsa({ host: '127.0.0.9', port: 25, hostIsIp: true }, client);
    assert.equal(literal.status, 'not-looked-up');
    assert.equal(server.queries, 0, 'nothing was asked');
    assert.equal((await lookupTlsa({ host: 'mx.signed.test', port: 25, hostIsIp: false, dnssec: 'secure' }, undefined)).status, 'not-looked-up');
  });
});
