/**
 * DNSSEC as a stub sees it, against the lab's validating resolver: the AD bit
 * asked for (AD, EDNS0 DO) and read per answer and along CNAME chains, SERVFAIL
 * told apart as bogus by a query with CD, a resolver without EDNS asked again
 * without it, and the states the resolver gives MX RRsets and hosts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dnsPacket from 'dns-packet';
import { createResolver, leastSecure } from '../../src/dns/resolver.js';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import { lab, TEST_TIMEOUT_MS } from './helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };

const ZONE: LabZoneRecord[] = [
  { name: 'signed.test', type: 'MX', data: { preference: 10, exchange: 'mx.signed.test' } },
  { name: 'mx.signed.test', type: 'A', data: '127.0.0.25' },
  { name: 'alias.signed.test', type: 'CNAME', data: 'host.unsigned.signed.test' },
  { name: 'host.unsigned.signed.test', type: 'A', data: '127.0.0.26' },
  { name: 'securealias.signed.test', type: 'CNAME', data: 'mx.signed.test' },
  { name: 'broken.test', type: 'MX', data: { preference: 10, exchange: 'mx.signed.test' } },
  { name: 'mx.broken.test', type: 'A', data: '127.0.0.27' },
  { name: 'plain.test', type: 'MX', data: { preference: 10, exchange: 'mx.plain.test' } },
  { name: 'mx.plain.test', type: 'A', data: '127.0.0.28' },
];
const DNSSEC = { 'signed.test': 'secure', 'unsigned.signed.test': 'insecure', 'broken.test': 'bogus' } as const;

describe('DNSSEC in the DNS client', () => {
  it('Given a secure zone Then the answer carries AD; an unsigned one does not', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const secure = await client.query('mx.signed.test', 'A');
    const plain = await client.query('mx.plain.test', 'A');
    assert.equal(secure.ok && secure.authenticated, true);
    assert.equal(plain.ok && plain.authenticated, false);
    assert.deepEqual(client.stats?.(), { answers: 2, authenticated: 1 });
  });

  it('Given a bogus zone Then SERVFAIL, asked again with CD, is bogus; a plain SERVFAIL is not', opts, async (t) => {
    const { server, client } = await lab(t, ZONE, { dnssec: DNSSEC, client: { attempts: 1 } });
    const result = await client.query('broken.test', 'MX');
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, 'servfail');
    assert.equal(!result.ok && result.bogus, true);
    assert.equal(server.queries, 2, 'the question, then once more with CD');
    // The CD answer is cached under its own key: asking again costs nothing.
    await client.query('broken.test', 'MX');
    assert.equal(server.queries, 2);
  });

  it('Given an authenticated NXDOMAIN Then the denial says so', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const result = await client.query('nothing.signed.test', 'A');
    assert.equal(!result.ok && result.error.code, 'nxdomain');
    assert.equal(!result.ok && result.authenticated, true);
  });

  it('Given a resolver that answers FORMERR to EDNS Then the lookup asks again without it and gets its answer', opts, async (t) => {
    let formerr = 0;
    const { client } = await lab(t, ZONE, {
      client: { attempts: 2 },
      behaviour: (q) => {
        if (formerr > 0) return undefined;
        formerr += 1;
        return { raw: dnsPacket.encode({ type: 'response', id: q.id, flags: 1, questions: [{ type: 'A', name: q.name, class: 'IN' }] }) };
      },
    });
    const result = await client.query('mx.plain.test', 'A');
    assert.equal(result.ok, true);
    assert.equal(formerr, 1);
  });
});

describe('DNSSEC in the resolver', () => {
  it('Given a signed MX RRset and host Then dns and host states are secure', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const resolution = await createResolver(client).resolveDomain('signed.test');
    assert.equal(resolution.dnssec, 'secure');
    assert.equal(resolution.mx[0]?.dnssec, 'secure');
  });

  it('Given a secure alias to an unsigned host Then the host is insecure (the least secure hop); a secure alias to a secure host is secure', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const resolver = createResolver(client);
    const insecure = await resolver.resolveHost('alias.signed.test');
    assert.deepEqual(insecure.cname, ['host.unsigned.signed.test']);
    assert.equal(insecure.dnssec, 'insecure');
    const secure = await resolver.resolveHost('securealias.signed.test');
    assert.equal(secure.dnssec, 'secure');
  });

  it('Given a bogus MX RRset Then the domain is a SERVFAIL error and its state bogus', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    const resolution = await createResolver(client).resolveDomain('broken.test');
    assert.equal(resolution.error?.code, 'servfail');
    assert.equal(resolution.dnssec, 'bogus');
  });

  it('Given an unsigned domain Then insecure', opts, async (t) => {
    const { client } = await lab(t, ZONE, { dnssec: DNSSEC });
    assert.equal((await createResolver(client).resolveDomain('plain.test')).dnssec, 'insecure');
  });

  it('orders states: bogus over insecure over secure, unknown ignored', () => {
    assert.equal(leastSecure(['secure', 'insecure']), 'insecure');
    assert.equal(leastSecure(['secure', undefined, 'bogus', 'insecure']), 'bogus');
    assert.equal(leastSecure(['secure', 'secure']), 'secure');
    assert.equal(leastSecure([undefined]), undefined);
  });
});
