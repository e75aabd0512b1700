/**
 * Hardening round two, classes 5 and 6: the address guard's three classes hold
 * with --allow-private (what is never dialled stays undialled), and addresses are
 * canonical before the guard and before de-duplication (an IPv4-mapped AAAA is
 * the IPv4 address it carries: probed once, reported once, in one spelling).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LabZoneRecord } from '../../src/lab/dns-server.js';
import type { Report, TargetReport } from '../../src/model/report.js';
import { runCli } from '../helpers/cli.js';
import { startHostileDns, type HostileDns } from './dns.js';
import { smtpSession, startHostileSmtp, type HostileSmtpLab } from './servers.js';

const ZONE = 'addr.test';
const GOOD = '127.77.66.1';
const mx = (label: string) => `mx.${label}.${ZONE}`;
const domain = (label: string) => `${label}.${ZONE}`;

/** MX hosts whose only address is in a range the guard keeps whatever --allow-private says. */
const NEVER_OR_SPECIAL: readonly [string, 'A' | 'AAAA', string][] = [
  ['unspecified', 'A', '0.0.0.0'],
  ['this-network', 'A', '0.7.7.7'],
  ['unspecified-v6', 'AAAA', '::'],
  ['mapped-unspecified', 'AAAA', '::ffff:0.0.0.0'],
  ['broadcast', 'A', '255.255.255.255'],
  ['reserved', 'A', '240.0.0.7'],
  ['multicast', 'A', '224.0.0.251'],
  ['mapped-multicast', 'AAAA', '::ffff:239.1.2.3'],
  ['multicast-v6', 'AAAA', 'ff02::fb'],
  ['documentation-v6', 'AAAA', '2001:db8::25'],
  ['discard-only', 'AAAA', '100::25'],
  ['site-local', 'AAAA', 'fec0::25'],
  ['local-nat64', 'AAAA', '64:ff9b:1::25'],
];

let dns: HostileDns;
let smtp: HostileSmtpLab;
let report: Report;
let code: number | null;

function target(name: string): TargetReport {
  const t = report.targets.find((x) => x.input === name);
  assert.ok(t, `no target ${name}`);
  return t;
}

before(async () => {
  const records: LabZoneRecord[] = [];
  const add = (label: string, type: 'A' | 'AAAA', address: string) => {
    records.push({ name: domain(label), type: 'MX', data: { preference: 10, exchange: mx(label) } });
    records.push({ name: mx(label), type, data: address });
  };
  for (const [label, type, address] of NEVER_OR_SPECIAL) add(label, type, address);
  // One host with an A record and the same address again as an IPv4-mapped AAAA
  add('dual', 'A', GOOD);
  records.push({ name: mx('dual'), type: 'AAAA', data: `::ffff:${GOOD}` });
  // Two MX hosts, one by A and one by a mapped AAAA, reaching the same address
  records.push({ name: domain('pair'), type: 'MX', data: { preference: 10, exchange: `a.${mx('pair')}` } });
  records.push({ name: domain('pair'), type: 'MX', data: { preference: 20, exchange: `b.${mx('pair')}` } });
  records.push({ name: `a.${mx('pair')}`, type: 'A', data: GOOD });
  records.push({ name: `b.${mx('pair')}`, type: 'AAAA', data: `::ffff:${GOOD}` });
  // A relay named on the command line whose name resolves to the unspecified address
  records.push({ name: `zero.relay.${ZONE}`, type: 'A', data: '0.0.0.0' });
  dns = await startHostileDns({ records });
  smtp = await startHostileSmtp([
    { ip: GOOD, script: (c) => smtpSession(c, { host: mx('dual') }) },
    // Traps: 0.0.0.0 and :: reach this host's loopback listeners.
    { ip: '127.0.0.1' },
    { ip: '::1', optional: true },
  ]);
  const run = await runCli(
    [
      ...NEVER_OR_SPECIAL.map(([label]) => domain(label)),
      domain('dual'),
      domain('pair'),
      `zero.relay.${ZONE}:${smtp.port}`,
      '--resolver', `${dns.host}:${dns.port}`,
      '--port', String(smtp.port),
      '--allow-private',
      '--timeout', '3000',
      '--dns-timeout', '500',
      '--format', 'json',
    ],
    { timeoutMs: 30_000 },
  );
  code = run.code;
  report = JSON.parse(run.stdout) as Report;
});

after(async () => {
  await Promise.allSettled([smtp?.close(), dns?.close()]);
});

describe('the address guard with --allow-private', () => {
  for (const [label, type, address] of NEVER_OR_SPECIAL) {
    it(`Given an MX host whose ${type} record is ${address} When scanned with --allow-private Then it is not dialled (refused-private, address.private)`, () => {
      const t = target(domain(label));
      const probe = t.mx[0]?.addresses[0]?.probe;
      assert.equal(probe?.status, 'refused-private', JSON.stringify(probe));
      assert.equal(probe?.error?.phase, 'guard');
      assert.ok(t.findings.some((f) => f.id === 'address.private'));
      assert.equal(t.status, 'error');
    });
  }

  it('Given a relay typed by name that resolves to 0.0.0.0 Then it is not dialled either', () => {
    const probe = target(`zero.relay.${ZONE}:${smtp.port}`).mx[0]?.addresses[0]?.probe;
    assert.equal(probe?.status, 'refused-private');
  });

  it('Given all of them Then the loopback traps (where 0.0.0.0 and :: lead) saw no connection', () => {
    assert.deepEqual(smtp.server('127.0.0.1').connections, []);
    assert.deepEqual(smtp.server('::1').connections, []);
    assert.equal(code, 1, 'the dual-stack host lacks STARTTLS: a gap; the refused ones are not assessed');
  });

  for (const relay of ['0.0.0.0:25', '[::]:25', '255.255.255.255', '[ff02::1]:25', '224.0.0.1:2525', '[::ffff:0.0.0.0]:25']) {
    it(`Given the relay ${relay} typed on the command line Then it is exit 2, nothing dialled`, async () => {
      const run = await runCli([relay, '--allow-private', '--resolver', `${dns.host}:${dns.port}`]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^mxready: target ".*" is in a range mxready never dials: .*\n$/);
    });
  }
});

describe('canonical addresses', () => {
  it('Given an A record and the same address as an IPv4-mapped AAAA Then the MX host lists it once, in IPv4 form', () => {
    const t = target(domain('dual'));
    assert.deepEqual(t.mx[0]?.addresses.map((a) => a.ip), [GOOD]);
  });

  it('Given two MX hosts reaching the same address in two spellings Then it is probed once and reported in one spelling', () => {
    const t = target(domain('pair'));
    assert.deepEqual(t.mx.map((m) => m.addresses.map((a) => a.ip)), [[GOOD], [GOOD]]);
    // dual and pair share it too: one session in all
    assert.equal(smtp.server(GOOD).connections.length, 1);
    assert.equal(report.summary.probes, 1);
  });

  it('Given a relay typed as an IPv4-mapped literal Then it is reported as the IPv4 address', async () => {
    const run = await runCli([`[::ffff:${GOOD}]:${smtp.port}`, '--format', 'json', '--timeout', '3000']);
    const relay = (JSON.parse(run.stdout) as Report).targets[0];
    assert.equal(relay?.mx[0]?.addresses[0]?.ip, GOOD);
    assert.equal(relay?.mx[0]?.addresses[0]?.probe.status, 'no-starttls');
  });
});
