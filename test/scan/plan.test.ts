import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseExclusions } from '../../src/scan/exclude.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';

function domain(name: string, hosts: [string, number, string[]][], port = 25): ResolvedTarget {
  return {
    input: name,
    domain: name,
    kind: 'domain',
    mxSource: 'mx',
    nullMxMixed: false,
    mxSkipped: 0,
    port,
    fromDns: true,
    ipLiteral: false,
    hosts: hosts.map(([host, preference, addresses]) => ({ name: host, preference, addresses })),
  };
}

describe('planScan', () => {
  it('Given 500 domains sharing 20 MX addresses When planned Then 20 probes are made', () => {
    const targets = Array.from({ length: 500 }, (_, i) => domain(`d${i}.example`, [[`mx${i % 20}.provider.example`, 10, [`8.8.${i % 20}.1`]]]));
    const plan = planScan(targets, { allowPrivate: false });
    assert.equal(plan.probes.length, 20);
    assert.equal(plan.targets.length, 500);
  });

  it('Given two domains reaching one address through different names Then the SNI is the first name in input order', () => {
    const plan = planScan(
      [domain('a.example', [['mx.a.example', 10, ['8.8.4.4']]]), domain('b.example', [['mx.b.example', 10, ['8.8.4.4']]])],
      { allowPrivate: false },
    );
    assert.deepEqual(plan.probes, [{ key: '8.8.4.4|25', ip: '8.8.4.4', port: 25, sni: 'mx.a.example', provider: 'a.example' }]);
  });

  it('Given MX names under one registrable domain Then their probes share one provider, by the Public Suffix List', () => {
    const plan = planScan(
      [
        domain('a.example', [['aspmx.l.google.com', 10, ['8.8.4.4']], ['alt1.aspmx.l.google.com', 20, ['8.8.4.5']]]),
        domain('b.example', [['mx.example.co.uk', 10, ['8.8.4.6']], ['mx1.other.co.uk', 20, ['8.8.4.7']]]),
      ],
      { allowPrivate: false },
    );
    assert.deepEqual(
      plan.probes.map((p) => [p.ip, p.provider]),
      [
        ['8.8.4.4', 'google.com'],
        ['8.8.4.5', 'google.com'],
        ['8.8.4.6', 'example.co.uk'],
        ['8.8.4.7', 'other.co.uk'],
      ],
    );
  });

  it('Given an opt-out list naming an MX host and a range Then those addresses are listed as excluded and never planned', () => {
    const exclude = parseExclusions('mx.a.example\n8.8.8.0/24\n2001:4860::/32\n', 'optout');
    const plan = planScan(
      [domain('a.example', [['mx.a.example', 10, ['8.8.4.4']], ['mx2.a.example', 20, ['8.8.8.8', '2001:4860::1', '9.9.9.9']]])],
      { allowPrivate: false, exclude },
    );
    assert.deepEqual(plan.probes.map((p) => p.ip), ['9.9.9.9']);
    const [first, second] = plan.targets[0]?.mx ?? [];
    assert.deepEqual(first?.addresses, []);
    assert.deepEqual(first?.addressesExcluded, [{ ip: '8.8.4.4', port: 25, by: 'name' }]);
    assert.deepEqual(second?.addressesExcluded, [
      { ip: '8.8.8.8', port: 25, by: 'address' },
      { ip: '2001:4860::1', port: 25, by: 'address' },
    ]);
    assert.deepEqual(second?.addresses.map((a) => a.ip), ['9.9.9.9']);
  });

  it('Given the same address on two ports Then they are two probes', () => {
    const plan = planScan([domain('a.example', [['mx.a.example', 10, ['8.8.4.4']]], 25), domain('b.example', [['mx.b.example', 10, ['8.8.4.4']]], 587)], {
      allowPrivate: false,
    });
    assert.equal(plan.probes.length, 2);
  });

  it('Given a DNS answer in loopback When private addresses are not allowed Then no probe is planned and the range is named', () => {
    const plan = planScan([domain('a.example', [['mx.a.example', 10, ['127.0.0.1', '8.8.8.8']]])], { allowPrivate: false });
    assert.deepEqual(plan.probes.map((p) => p.ip), ['8.8.8.8']);
    const first = plan.targets[0]?.mx[0]?.addresses[0];
    assert.equal(first?.probeKey, null);
    assert.match(first?.refusedRange ?? '', /loopback/);
  });

  it('Given --allow-private When planned Then the loopback answer is probed', () => {
    const plan = planScan([domain('a.example', [['mx.a.example', 10, ['127.0.0.1']]])], { allowPrivate: true });
    assert.equal(plan.probes.length, 1);
  });

  it('Given a relay typed by the user in a private range Then it is probed without --allow-private', () => {
    const relay: ResolvedTarget = { ...domain('10.0.0.5', [['10.0.0.5', 0, ['10.0.0.5']]]), kind: 'host', fromDns: false, ipLiteral: true };
    const plan = planScan([relay], { allowPrivate: false });
    assert.deepEqual(plan.probes, [{ key: '10.0.0.5|25', ip: '10.0.0.5', port: 25, sni: null, provider: 'relay:10.0.0.5' }]);
  });

  it('Given an MX host with 8 addresses Then 5 are probed and 3 counted as skipped', () => {
    const addresses = Array.from({ length: 8 }, (_, i) => `8.8.9.${i + 1}`);
    const plan = planScan([domain('a.example', [['mx.a.example', 10, addresses]])], { allowPrivate: false });
    assert.equal(plan.probes.length, 5);
    assert.equal(plan.targets[0]?.mx[0]?.addressesSkipped, 3);
  });
});
