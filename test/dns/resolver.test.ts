/**
 * The resolver against the lab server: MX ordering, implicit and null MX,
 * CNAME chains and loops, per-host facts, partial failures.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createResolver, MAX_MX_HOSTS } from '../../src/dns/resolver.js';
import type { LabDnsBehaviour, LabZoneRecord } from '../../src/lab/dns-server.js';
import { TEST_TIMEOUT_MS, lab } from './helpers.js';

const opts = { timeout: TEST_TIMEOUT_MS };

type Rec = LabZoneRecord;
const mx = (name: string, preference: number, exchange: string): Rec => ({ name, type: 'MX', data: { preference, exchange } });
const a = (name: string, ip: string): Rec => ({ name, type: 'A', data: ip });
const aaaa = (name: string, ip: string): Rec => ({ name, type: 'AAAA', data: ip });
const cname = (name: string, target: string): Rec => ({ name, type: 'CNAME', data: target });
const txt = (name: string, text: string): Rec => ({ name, type: 'TXT', data: [text] });

async function resolverFor(
  t: Parameters<typeof lab>[0],
  records: readonly Rec[],
  options: { behaviour?: LabDnsBehaviour; chaseCnames?: boolean; maxCnameChain?: number; timeoutMs?: number } = {},
) {
  const setup = await lab(t, records, {
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.chaseCnames !== undefined ? { chaseCnames: options.chaseCnames } : {}),
    client: { attempts: 2, timeoutMs: options.timeoutMs ?? 300 },
  });
  const resolver = createResolver(setup.client, options.maxCnameChain !== undefined ? { maxCnameChain: options.maxCnameChain } : {});
  return { ...setup, resolver };
}


describe('resolveDomain', () => {
  it('sorts MX hosts by preference (stable), de-duplicates them and resolves each', opts, async (t) => {
    // Given MX records out of order, one exchange listed twice in different case
    const { resolver } = await resolverFor(t, [
      mx('example.org', 20, 'b.mx.example.org'),
      mx('example.org', 10, 'a.mx.example.org'),
      mx('example.org', 20, 'c.mx.example.org'),
      mx('example.org', 30, 'A.MX.example.org.'),
      a('a.mx.example.org', '192.0.2.1'),
      a('b.mx.example.org', '192.0.2.2'),
      aaaa('c.mx.example.org', '2001:db8::3'),
    ]);
    // When the domain is resolved
    const result = await resolver.resolveDomain('Example.Org.');
    // Then the hosts come by preference, ties in DNS order, each once, with their addresses
    assert.equal(result.domain, 'example.org');
    assert.equal(result.mxSource, 'mx');
    assert.equal(result.error, undefined);
    assert.deepEqual(
      result.mx.map((m) => [m.preference, m.name, m.addresses]),
      [
        [10, 'a.mx.example.org', ['192.0.2.1']],
        [20, 'b.mx.example.org', ['192.0.2.2']],
        [20, 'c.mx.example.org', ['2001:db8::3']],
      ],
    );
    assert.equal(result.nullMxMixed, false);
    assert.equal(result.mxSkipped, 0);
  });

  it('falls back to the implicit MX (RFC 5321 §5.1) when there is no MX record', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      a('implicit.example', '192.0.2.10'),
      aaaa('implicit.example', '2001:db8::10'),
      a('implicit.example', '192.0.2.11'),
    ]);
    const result = await resolver.resolveDomain('implicit.example');
    assert.equal(result.mxSource, 'implicit');
    assert.deepEqual(result.mx, [
      { name: 'implicit.example', dnssec: 'insecure', preference: 0, addresses: ['192.0.2.10', '192.0.2.11', '2001:db8::10'] },
    ]);
  });

  it('reports no-address when there is neither an MX nor an address', opts, async (t) => {
    const { resolver } = await resolverFor(t, [txt('bare.example', 'v=spf1 -all')]);
    const result = await resolver.resolveDomain('bare.example');
    assert.equal(result.mxSource, 'none');
    assert.deepEqual(result.mx, []);
    assert.equal(result.error?.code, 'no-address');
    assert.match(result.error?.message ?? '', /no MX record and no A or AAAA address/);
  });

  it('treats a lone "0 ." MX as a null MX (RFC 7505): no hosts, no fallback to addresses', opts, async (t) => {
    // Given a null MX on a domain that also has an A record
    const { resolver } = await resolverFor(t, [mx('nomail.example', 0, '.'), a('nomail.example', '192.0.2.20')]);
    const result = await resolver.resolveDomain('nomail.example');
    assert.deepEqual(result, { domain: 'nomail.example', mxSource: 'null', mx: [], nullMxMixed: false, mxSkipped: 0, dnssec: 'insecure' });
  });

  it('ignores a null MX beside other MX records and notes the misconfiguration', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      mx('mixed.example', 0, '.'),
      mx('mixed.example', 10, 'mx.mixed.example'),
      a('mx.mixed.example', '192.0.2.30'),
    ]);
    const result = await resolver.resolveDomain('mixed.example');
    assert.equal(result.mxSource, 'mx');
    assert.deepEqual(result.mx.map((m) => m.name), ['mx.mixed.example']);
    assert.equal(result.nullMxMixed, true);
  });

  describe('keeps NXDOMAIN, NODATA and lookup failures distinct', () => {
    const zone = [a('nodata.example', '192.0.2.40'), a('x.example', '192.0.2.41')];
    const cases: ReadonlyArray<{ when: string; domain: string; behaviour?: LabDnsBehaviour; source: string; code?: string }> = [
      { when: 'the domain does not exist', domain: 'missing.example', source: 'none', code: 'nxdomain' },
      { when: 'the domain has no MX (NODATA)', domain: 'nodata.example', source: 'implicit' },
      { when: 'the server fails', domain: 'x.example', behaviour: () => 'servfail', source: 'none', code: 'servfail' },
      { when: 'the server refuses', domain: 'x.example', behaviour: () => 'refused', source: 'none', code: 'refused' },
      { when: 'no answer comes', domain: 'x.example', behaviour: () => 'drop', source: 'none', code: 'dns-timeout' },
      {
        when: 'the answer is malformed',
        domain: 'x.example',
        behaviour: (q) => ({ raw: Buffer.from([q.id >> 8, q.id & 0xff, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 15, 0, 1]) }),
        source: 'none',
        code: 'dns-malformed',
      },
    ];
    for (const c of cases) {
      it(`when ${c.when}: mxSource ${c.source}${c.code ? `, ${c.code}` : ''}`, opts, async (t) => {
        const { resolver } = await resolverFor(t, zone, { ...(c.behaviour ? { behaviour: c.behaviour } : {}), timeoutMs: 60 });
        const result = await resolver.resolveDomain(c.domain);
        assert.equal(result.mxSource, c.source);
        assert.equal(result.error?.code, c.code);
      });
    }
  });

  it('follows a CNAME at the domain for the MX query', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      cname('alias.example', 'real.example'),
      mx('real.example', 5, 'mx.real.example'),
      a('mx.real.example', '192.0.2.50'),
    ]);
    const result = await resolver.resolveDomain('alias.example');
    assert.equal(result.mxSource, 'mx');
    assert.deepEqual(result.mx.map((m) => m.name), ['mx.real.example']);
  });

  it('follows an MX host that is a CNAME and notes it (RFC 2181 §10.3)', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      mx('cn.example', 10, 'mail.cn.example'),
      cname('mail.cn.example', 'host.provider.example'),
      a('host.provider.example', '192.0.2.60'),
    ]);
    const result = await resolver.resolveDomain('cn.example');
    assert.deepEqual(result.mx, [
      { name: 'mail.cn.example', dnssec: 'insecure', preference: 10, addresses: ['192.0.2.60'], cname: ['host.provider.example'] },
    ]);
  });

  it('resolves an MX exchange that looks like an IP address as a name, and notes it', opts, async (t) => {
    // Given an MX whose exchange is "192.0.2.70" (and no such name in DNS)
    const { resolver } = await resolverFor(t, [mx('iplit.example', 10, '192.0.2.70')]);
    const result = await resolver.resolveDomain('iplit.example');
    // Then it is never used as an address
    assert.deepEqual(result.mx[0]?.addresses, []);
    assert.equal(result.mx[0]?.error?.code, 'nxdomain');
    assert.equal(result.mx[0]?.ipLiteral, true);
    assert.equal(result.error?.code, 'no-mx-address');
  });

  it('keeps the error of an MX host without address, and the domain is fine while another host has one', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      mx('partial.example', 10, 'gone.partial.example'),
      mx('partial.example', 20, 'ok.partial.example'),
      txt('gone.partial.example', 'no address here'),
      a('ok.partial.example', '192.0.2.80'),
    ]);
    const result = await resolver.resolveDomain('partial.example');
    assert.equal(result.error, undefined);
    assert.equal(result.mx[0]?.error?.code, 'no-address');
    assert.deepEqual(result.mx[1]?.addresses, ['192.0.2.80']);
  });

  it(`resolves at most ${MAX_MX_HOSTS} MX hosts, the most preferred, and notes the rest`, opts, async (t) => {
    const records = Array.from({ length: 12 }, (_, i) => [
      mx('many.example', 100 - i, `mx${i}.many.example`),
      a(`mx${i}.many.example`, `192.0.2.${100 + i}`),
    ]).flat();
    const asked = new Set<string>();
    const { resolver } = await resolverFor(t, records, { behaviour: (q) => void asked.add(q.name) });
    const result = await resolver.resolveDomain('many.example');
    assert.equal(result.mx.length, MAX_MX_HOSTS);
    assert.equal(result.mx[0]?.name, 'mx11.many.example');
    assert.equal(result.mx.at(-1)?.name, 'mx2.many.example');
    assert.equal(result.mxSkipped, 2);
    assert.ok(!asked.has('mx0.many.example') && !asked.has('mx1.many.example'), 'the dropped hosts are not looked up');
    assert.equal(asked.size, 1 + MAX_MX_HOSTS);
  });
});

describe('resolveHost', () => {
  it('returns IPv4 then IPv6 addresses, in DNS order, without duplicates', opts, async (t) => {
    const { resolver } = await resolverFor(t, [
      aaaa('dual.example', '2001:db8::2'),
      a('dual.example', '192.0.2.2'),
      aaaa('dual.example', '2001:db8::1'),
      a('dual.example', '192.0.2.1'),
      a('dual.example', '192.0.2.2'),
    ]);
    const host = await resolver.resolveHost('dual.example');
    assert.deepEqual(host, { name: 'dual.example', dnssec: 'insecure', addresses: ['192.0.2.2', '192.0.2.1', '2001:db8::2', '2001:db8::1'] });
  });

  it('resolves an IPv6-only host from its AAAA records', opts, async (t) => {
    const { resolver } = await resolverFor(t, [aaaa('v6only.example', '2001:db8:25::1')]);
    assert.deepEqual(await resolver.resolveHost('v6only.example'), { name: 'v6only.example', dnssec: 'insecure', addresses: ['2001:db8:25::1'] });
  });

  it('uses the addresses of one family when the other fails, and says the other failed', opts, async (t) => {
    const { resolver } = await resolverFor(t, [a('half.example', '192.0.2.90'), aaaa('half.example', '2001:db8::90')], {
      behaviour: (q) => (q.type === 'AAAA' ? 'servfail' : undefined),
    });
    const host = await resolver.resolveHost('half.example');
    assert.deepEqual(host.addresses, ['192.0.2.90']);
    assert.equal(host.error, undefined);
    assert.equal(host.partialError?.code, 'servfail');
    assert.match(host.partialError?.message ?? '', /the AAAA lookup of half\.example failed/);
  });

  it('reports the lookup failure, not no-address, when one family is NODATA and the other fails', opts, async (t) => {
    const { resolver } = await resolverFor(t, [aaaa('v6fail.example', '2001:db8::91')], {
      behaviour: (q) => (q.type === 'AAAA' ? 'servfail' : undefined),
    });
    const host = await resolver.resolveHost('v6fail.example');
    assert.deepEqual(host.addresses, []);
    assert.equal(host.error?.code, 'servfail');
  });

  describe('follows CNAME chains', () => {
    const chain = [
      cname('www.example', 'edge1.cdn.example'),
      cname('edge1.cdn.example', 'edge2.cdn.example'),
      a('edge2.cdn.example', '192.0.2.100'),
    ];
    for (const chaseCnames of [true, false]) {
      it(`given a server that ${chaseCnames ? 'puts the whole chain in the answer' : 'answers with one CNAME at a time'}`, opts, async (t) => {
        const { resolver } = await resolverFor(t, chain, { chaseCnames });
        const host = await resolver.resolveHost('www.example');
        assert.deepEqual(host, { name: 'www.example', dnssec: 'insecure', addresses: ['192.0.2.100'], cname: ['edge1.cdn.example', 'edge2.cdn.example'] });
      });
    }
  });

  describe('reports cname-loop', () => {
    const long = Array.from({ length: 10 }, (_, i) => cname(`l${i}.example`, `l${i + 1}.example`)).concat(a('l10.example', '192.0.2.110'));
    const cases = [
      { what: 'a loop, whole chain in one answer', records: [cname('p.example', 'q.example'), cname('q.example', 'p.example')], chase: true },
      { what: 'a loop, one alias per answer', records: [cname('p.example', 'q.example'), cname('q.example', 'p.example')], chase: false },
      { what: 'a name that is its own alias', records: [cname('p.example', 'p.example')], chase: true },
      { what: 'a chain of 10 aliases over the limit of 8', records: long, chase: false, start: 'l0.example' },
    ];
    for (const c of cases) {
      it(`given ${c.what}`, opts, async (t) => {
        const { resolver } = await resolverFor(t, c.records, { chaseCnames: c.chase });
        const host = await resolver.resolveHost(c.start ?? 'p.example');
        assert.deepEqual(host.addresses, []);
        assert.equal(host.error?.code, 'cname-loop');
      });
    }

    it('but follows the 10-alias chain with maxCnameChain 12', opts, async (t) => {
      const { resolver } = await resolverFor(t, long, { maxCnameChain: 12 });
      const host = await resolver.resolveHost('l0.example');
      assert.deepEqual(host.addresses, ['192.0.2.110']);
      assert.equal(host.cname?.length, 10);
    });
  });

  it('reports nxdomain for an alias whose target does not exist (RFC 6604: the rcode is the last name\'s)', opts, async (t) => {
    const { resolver } = await resolverFor(t, [cname('dangling.example', 'nowhere.example')]);
    const host = await resolver.resolveHost('dangling.example');
    assert.deepEqual(host.addresses, []);
    assert.equal(host.error?.code, 'nxdomain');
  });
});
