/** -4 / -6: one address family probed, the other counted; a target left with none is not a pass. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resolver } from '../../src/dns/types.js';
import { scan } from '../../src/scan/scan.js';
import { runCli } from '../helpers/cli.js';
import { fakeProbe } from '../helpers/checks.js';
import { okProbe } from '../helpers/factories.js';

const resolver: Resolver = {
  async resolveDomain(domain) {
    const addresses = domain.startsWith('v6only') ? ['2001:4860::25'] : domain.startsWith('v4only') ? ['8.8.8.8'] : ['8.8.8.8', '2001:4860::25', '2001:4860::26'];
    return { domain, mxSource: 'mx', mx: [{ name: `mx.${domain}`, preference: 10, addresses }], nullMxMixed: false, mxSkipped: 0 };
  },
  async resolveHost(name) {
    return { name, addresses: ['8.8.8.8'] };
  },
};

describe('-4 and -6', () => {
  it('Given -4 When a host has both families Then only IPv4 is probed and the IPv6 addresses are counted', async () => {
    const dialled: string[] = [];
    const report = await scan(['dual.example', 'v6only.example'], { family: 4 }, { resolver, checks: fakeProbe(async (t) => (dialled.push(t.ip), okProbe())) });
    assert.deepEqual(dialled, ['8.8.8.8']);
    const dual = report.targets[0];
    assert.deepEqual(dual?.mx[0]?.addresses.map((a) => a.ip), ['8.8.8.8']);
    assert.equal(dual?.mx[0]?.addressesOmitted, 2);
    assert.equal(dual?.status, 'pass');
    const v6only = report.targets[1];
    assert.equal(v6only?.status, 'error');
    assert.equal(v6only?.error?.code, 'no-address-in-family');
    assert.equal(v6only?.deliverable, null);
    assert.ok(!v6only?.findings.some((f) => f.id === 'dns.mx.no-address'), 'the host has addresses, of the other family');
    assert.equal(report.summary.addressesOmitted, 3);
  });

  it('Given -6 Then only IPv6 is probed', async () => {
    const dialled: string[] = [];
    const report = await scan(['dual.example', 'v4only.example'], { family: 6 }, { resolver, checks: fakeProbe(async (t) => (dialled.push(t.ip), okProbe())) });
    assert.deepEqual(dialled.sort(), ['2001:4860::25', '2001:4860::26']);
    assert.equal(report.targets[1]?.error?.code, 'no-address-in-family');
  });

  it('Given a relay literal of the other family Then it is a usage error before any traffic', async () => {
    await assert.rejects(scan(['[2001:4860::25]:25'], { family: 4 }, { resolver, checks: fakeProbe(async () => okProbe()) }), /is an IPv6 address, and -4 probes only IPv4/);
  });

  it('Given both flags on the command line Then exit 2 with one line', async () => {
    const run = await runCli(['-4', '-6', 'example.com']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^mxready: -4 and -6 exclude each other/);
  });
});
