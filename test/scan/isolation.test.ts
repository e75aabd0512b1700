/** A bug confined to one target never costs the other targets their results. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resolver } from '../../src/dns/types.js';
import { scan } from '../../src/scan/scan.js';
import { connect } from 'node:net';
import { fakeProbe } from '../helpers/checks.js';
import { refusingPort } from '../checks/starttls/helpers.js';
import { okProbe } from '../helpers/factories.js';

const resolver: Resolver = {
  async resolveDomain(domain) {
    if (domain === 'broken.example') throw new TypeError('resolver exploded');
    return { domain, mxSource: 'mx', mx: [{ name: `mx.${domain}`, preference: 10, addresses: ['8.8.8.8'] }], nullMxMixed: false, mxSkipped: 0 };
  },
  async resolveHost(name) {
    return { name, addresses: ['8.8.8.8'] };
  },
};

describe('scan isolation', () => {
  it('Given a resolver bug on one domain When scanned Then that target is an internal error and the others are judged', async () => {
    let probes = 0;
    const report = await scan(['good.example', 'broken.example', 'also-good.example'], {}, {
      resolver,
      checks: fakeProbe(async (target) => {
        probes += 1;
        return okProbe({ sni: target.sni });
      }),
    });
    assert.deepEqual(report.targets.map((t) => t.status), ['pass', 'error', 'pass']);
    assert.equal(report.targets[1]?.error?.code, 'internal-error');
    assert.match(report.targets[1]?.error?.message ?? '', /resolver exploded/);
    assert.equal(probes, 1, 'the shared address is probed once');
  });
});

describe('scan isolation of probes', () => {
  it('Given a probe that throws for one address When scanned Then only the targets behind it become internal errors', async () => {
    const split: Resolver = {
      async resolveDomain(domain) {
        const ip = domain.startsWith('bad') ? '8.8.4.4' : '8.8.8.8';
        return { domain, mxSource: 'mx', mx: [{ name: `mx.${domain}`, preference: 10, addresses: [ip] }], nullMxMixed: false, mxSkipped: 0 };
      },
      async resolveHost(name) {
        return { name, addresses: ['8.8.8.8'] };
      },
    };
    const report = await scan(['good.example', 'bad.example'], {}, {
      resolver: split,
      checks: fakeProbe(async (target) => {
        if (target.ip === '8.8.4.4') throw new RangeError('probe exploded');
        return okProbe({ sni: target.sni });
      }),
    });
    assert.equal(report.targets[0]?.status, 'pass');
    assert.equal(report.targets[1]?.status, 'error');
    assert.equal(report.targets[1]?.mx[0]?.addresses[0]?.probe.status, 'internal-error');
    assert.match(report.targets[1]?.mx[0]?.addresses[0]?.probe.error?.message ?? '', /probe exploded/);
  });

  it('Given an empty resolver list When scanning Then it is a usage error before any work', async () => {
    await assert.rejects(scan(['a.example'], { resolvers: [] }), /resolvers: give at least one DNS server/);
  });
});

describe('ports and modes', () => {
  it('Given relays on 465, 587 and 25 Then only 465 is probed with implicit TLS (never guessed otherwise)', async () => {
    const seen: { port: number; implicitTls: boolean | undefined }[] = [];
    await scan(['8.8.8.8:465', '8.8.8.8:587', '8.8.8.8:25'], {}, {
      resolver,
      checks: fakeProbe(async (target) => {
        seen.push({ port: target.port, implicitTls: target.implicitTls });
        return okProbe();
      }),
    });
    assert.deepEqual(seen.sort((a, b) => a.port - b.port), [
      { port: 25, implicitTls: false },
      { port: 465, implicitTls: true },
      { port: 587, implicitTls: false },
    ]);
  });
  it('Given --implicit-tls Then every probe uses it', async () => {
    const modes: (boolean | undefined)[] = [];
    await scan(['8.8.8.8:2525', 'good.example'], { implicitTls: true }, {
      resolver,
      checks: fakeProbe(async (target) => {
        modes.push(target.implicitTls);
        return okProbe();
      }),
    });
    assert.deepEqual(modes, [true, true]);
  });
});

describe('--enumerate runs only where a handshake was reached', () => {
  const cases: [string, Partial<import('../../src/model/probe.js').ProbeResult>, boolean][] = [
    ['an ok probe', {}, true],
    ['a handshake failure', { status: 'tls-failed', tls: undefined, error: { phase: 'tls', code: 'tls-handshake-failed', message: 'x' } }, true],
    ['STARTTLS answered 454', { status: 'starttls-rejected', tls: undefined, tlsMode: 'starttls', error: { phase: 'starttls', code: 'starttls-rejected', message: 'x' } }, false],
    ['no STARTTLS', { status: 'no-starttls', tls: undefined, tlsMode: undefined, error: { phase: 'ehlo', code: 'starttls-not-offered', message: 'x' } }, false],
  ];
  for (const [name, overrides, expected] of cases) {
    it(`Given ${name} Then enumeration ${expected ? 'runs' : 'is not attempted'}`, async () => {
      // The probe is a fake: every connection made is the enumeration's (to a closed port, so it stops at once).
      const closed = await refusingPort();
      let enumerated = 0;
      await scan(['good.example'], { enumerate: true }, {
        resolver,
        checks: fakeProbe(async () => okProbe(overrides)),
        io: {
          connect: () => {
            enumerated += 1;
            return connect({ host: '127.0.0.1', port: closed });
          },
        },
      });
      assert.equal(enumerated, expected ? 1 : 0);
    });
  }
});
