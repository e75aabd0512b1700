/** A bug confined to one target never costs the other targets their results. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resolver } from '../../src/dns/types.js';
import { scan } from '../../src/scan/scan.js';
import { okProbe } from '../helpers/factories.js';

const resolver: Resolver = {
  async resolveDomain(domain) {
    if (domain === 'broken.example') throw new TypeError('resolver exploded');
    return { domain, mxSource: 'mx', mx: [{ name: `mx.${domain}`, preference: 10, addresses: ['8.8.8.8'] }], notes: [] };
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
      probe: async (target) => {
        probes += 1;
        return okProbe({ sni: target.sni });
      },
    });
    assert.deepEqual(report.targets.map((t) => t.status), ['pass', 'error', 'pass']);
    assert.equal(report.targets[1]?.error?.code, 'internal-error');
    assert.match(report.targets[1]?.error?.message ?? '', /resolver exploded/);
    assert.equal(probes, 1, 'the shared address is probed once');
  });
});
