/**
 * The enforcement formats over hand-built reports: which destinations are
 * enforced, exceptions or left out, the level each policy asks for, relays as
 * next hops, AT-TLS statements whose every reference resolves, and hostile
 * names that come out as one harmless token or as a comment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ProbeResult } from '../../src/model/probe.js';
import type { Report } from '../../src/model/report.js';
import { PRESETS } from '../../src/policy/presets.js';
import { KEYRING_PLACEHOLDER } from '../../src/report/attls.js';
import { render } from '../../src/report/index.js';
import { rejudge } from '../../src/scan/rejudge.js';
import { planScan, type ResolvedTarget } from '../../src/scan/plan.js';
import { reportFrom } from '../helpers/checks.js';
import { certificate, failedProbe, okProbe, tlsFacts } from '../helpers/factories.js';

function domain(name: string, hosts: [string, string[]][]): ResolvedTarget {
  return {
    input: name, domain: name, kind: 'domain', mxSource: 'mx', nullMxMixed: false, mxSkipped: 0, port: 25, fromDns: true, ipLiteral: false,
    hosts: hosts.map(([host, addresses], i) => ({ name: host, preference: 10 * (i + 1), addresses })),
  };
}

const HOSTILE_MX = 'evil\nhost # { } ; "q" \'s\' x';

/** ready (TLS 1.3 and 1.2 hosts), backup (a plaintext backup MX), stuck (TLS 1.0 only), gone (NXDOMAIN), a relay, a hostile MX name. */
function sample(): Report {
  const plan = planScan(
    [
      domain('ready.example', [['mx1.ready.example', ['8.8.8.1']], ['mx2.ready.example', ['2001:4860::2']]]),
      domain('backup.example', [['mx.ready.example', ['8.8.8.1']], ['mx.plain.example', ['8.8.8.3']]]),
      domain('stuck.example', [['mx.stuck.example', ['8.8.8.4']]]),
      { ...domain('gone.example', []), mxSource: 'none', error: { code: 'nxdomain', message: 'gone.example does not exist (NXDOMAIN)' } },
      { input: 'relay.example.net:587', domain: 'relay.example.net', kind: 'host', mxSource: 'none', nullMxMixed: false, mxSkipped: 0, port: 587, fromDns: false, ipLiteral: false,
        hosts: [{ name: 'relay.example.net', preference: 0, addresses: ['8.8.8.5'] }] },
      domain('hostile.example', [[HOSTILE_MX, ['8.8.8.6']]]),
    ],
    { allowPrivate: false },
  );
  // Certificates that name every MX host and the relay, and legacy protocols refused (measured), so verify and strict can pass.
  const named = certificate({ subjectAltNames: ['DNS:*.ready.example', 'DNS:relay.example.net', 'DNS:mx.stuck.example'] });
  const probes = new Map<string, ProbeResult>([
    ['8.8.8.1|25', okProbe({ certificate: named, legacyAccepted: null })],
    ['2001:4860::2|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1.2', cipher: { name: 'ECDHE-RSA-AES128-GCM-SHA256', standardName: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' } }), certificate: { ...named, keyType: 'rsa', keyBits: 2048 }, legacyAccepted: null })],
    ['8.8.8.3|25', failedProbe('no-starttls', 'ehlo', 'starttls-not-offered', { banner: 'plain' })],
    ['8.8.8.4|25', okProbe({ tls: tlsFacts({ protocol: 'TLSv1' }), legacyCheck: 'negotiated' })],
    ['8.8.8.5|587', okProbe({ certificate: named, legacyAccepted: null })],
    ['8.8.8.6|25', okProbe()],
  ]);
  return reportFrom(plan, probes, PRESETS.encrypt);
}

/** Lines that are not comments or blank. */
const entries = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));

describe('--format postfix-policy', () => {
  const report = sample();

  it('Given encrypt Then ready destinations get encrypt with the minimum protocol, the stuck one may with why, the one not assessed only a comment, the relay [host]:port', () => {
    const text = render(report, 'postfix-policy', { color: false });
    assert.match(text, /^# mxready \S+ --format postfix-policy\n# policy: encrypt/);
    assert.deepEqual(entries(text), [
      'ready.example\tencrypt protocols=>=TLSv1.2',
      'backup.example\tencrypt protocols=>=TLSv1.2',
      'stuck.example\tmay',
      '[relay.example.net]:587\tencrypt protocols=>=TLSv1.2',
      'hostile.example\tencrypt protocols=>=TLSv1.2',
    ]);
    // The deciding finding first, then every finding of the destination on comment lines, then its entry
    assert.match(text, /# stuck: tls\.version\.below-minimum on mx\.stuck\.example\n(# finding: [^\n]*\n)+stuck\.example\tmay/);
    assert.match(text, /# finding: fail tls\.version\.below-minimum on mx\.stuck\.example 8\.8\.8\.4:25: [^\n]*speaks only TLSv1[^\n]*\n(# finding: [^\n]*\n)*stuck\.example\tmay/);
    assert.match(text, /# left out: gone\.example: not assessed: nxdomain/);
    assert.match(text, /# note: no address of mx\.plain\.example meets the policy: enforced mail skips it\n(# finding: [^\n]*\n)*backup\.example/);
  });

  it('Given verify and strict Then the level authenticates, and strict asks for high ciphers', () => {
    const verify = entries(render(rejudge(report, PRESETS.verify), 'postfix-policy', { color: false }));
    assert.ok(verify.includes('ready.example\tverify match=hostname protocols=>=TLSv1.2'), verify.join('\n'));
    assert.ok(verify.includes('[relay.example.net]:587\tverify match=hostname protocols=>=TLSv1.2'), verify.join('\n'));
    assert.ok(verify.includes('hostile.example\tmay'), 'its certificate does not name the MX host: under verify, an exception');
    const strict = entries(render(rejudge(report, PRESETS.strict), 'postfix-policy', { color: false }));
    assert.ok(strict.includes('ready.example\tverify match=hostname protocols=>=TLSv1.2 ciphers=high'), strict.join('\n'));
    assert.ok(strict.every((l) => l.endsWith('\tmay') || l.endsWith('verify match=hostname protocols=>=TLSv1.2 ciphers=high')), strict.join('\n'));
  });

  it('Given a hostile MX name Then no line but comments and entries comes out: the name stays inside one comment line', () => {
    const text = render(report, 'postfix-policy', { color: false });
    for (const line of text.split('\n')) assert.ok(line === '' || line.startsWith('#') || /^\S+\t[a-z]+( [a-z]+=\S+)*$/.test(line), JSON.stringify(line));
  });
});

describe('--format exim-hosts', () => {
  const text = render(sample(), 'exim-hosts', { color: false });

  it('Given the sample Then require_tls holds the enforced destinations\' MX hosts and addresses, exceptions the rest, IPv6 without doubled colons', () => {
    const lists = Object.fromEntries(entries(text).map((l) => {
      const m = /^hostlist (\S+) = <; (.*)$/.exec(l);
      assert.ok(m, l);
      return [m[1], (m[2] ?? '').split(' ; ').filter(Boolean)];
    }));
    assert.deepEqual(lists['mxready_require_tls']?.sort(), ['2001:4860::2', '8.8.8.1', '8.8.8.3', '8.8.8.5', '8.8.8.6', 'mx.plain.example', 'mx.ready.example', 'mx1.ready.example', 'mx2.ready.example', 'relay.example.net'].sort());
    assert.deepEqual(lists['mxready_exceptions']?.sort(), ['8.8.8.4', 'mx.stuck.example']);
    assert.match(text, /# left out: evil\\x0Ahost # \{ \} ; "q" 's' x \(of hostile\.example\): not a plain host name/);
    assert.match(text, /hosts_require_tls = \+mxready_require_tls/);
    assert.doesNotMatch(text, /tls_verify_hosts/);
    assert.match(render(rejudge(sample(), PRESETS.verify), 'exim-hosts', { color: false }), /tls_verify_hosts = \+mxready_require_tls/);
  });
});

describe('--format attls', () => {
  const text = render(sample(), 'attls', { color: false });

  /** Policy Agent statements: `Type name { Param value … }`, comments from '#'. */
  function parse(source: string): { type: string; name: string; params: [string, string][] }[] {
    const lines = source.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    const out: { type: string; name: string; params: [string, string][] }[] = [];
    for (let i = 0; i < lines.length; i += 1) {
      const head = /^(\w+) (\w+)$/.exec(lines[i] as string);
      assert.ok(head, `a statement head: ${lines[i]}`);
      assert.equal(lines[i + 1], '{');
      const params: [string, string][] = [];
      for (i += 2; lines[i] !== '}'; i += 1) {
        const m = /^([\w.]+)\s+(\S+)$/.exec(lines[i] as string);
        assert.ok(m, `a parameter: ${lines[i]}`);
        params.push([m[1] as string, m[2] as string]);
      }
      out.push({ type: head[1] as string, name: head[2] as string, params });
    }
    return out;
  }

  /** The parameters each statement takes (z/OS Communications Server IP Configuration Reference, "AT-TLS policy statements"). */
  const GRAMMAR: Record<string, string[]> = {
    TTLSRule: ['RemoteAddr', 'RemotePortRange', 'Direction', 'TTLSGroupActionRef', 'TTLSEnvironmentActionRef'],
    TTLSGroupAction: ['TTLSEnabled'],
    TTLSEnvironmentAction: ['HandshakeRole', 'TTLSKeyringParmsRef', 'TTLSCipherParmsRef', 'TTLSEnvironmentAdvancedParmsRef'],
    TTLSKeyringParms: ['Keyring'],
    TTLSCipherParms: ['V3CipherSuites'],
    TTLSEnvironmentAdvancedParms: ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3', 'ApplicationControlled'],
  };

  it('Given the sample Then one outbound rule per address that meets the policy, every reference names a statement of its type, TLS 1.3 only where seen', () => {
    const statements = parse(text);
    for (const s of statements) for (const [p] of s.params) assert.ok(GRAMMAR[s.type]?.includes(p), `${s.type} takes ${p}`);
    const byName = new Map(statements.map((s) => [s.name, s]));
    const rules = statements.filter((s) => s.type === 'TTLSRule');
    assert.deepEqual(rules.map((r) => Object.fromEntries(r.params)['RemoteAddr']).sort(), ['2001:4860::2', '8.8.8.1', '8.8.8.5', '8.8.8.6']);
    for (const rule of rules) {
      const p = Object.fromEntries(rule.params);
      assert.equal(p['Direction'], 'Outbound');
      assert.equal(byName.get(p['TTLSGroupActionRef'] ?? '')?.type, 'TTLSGroupAction');
      const env = byName.get(p['TTLSEnvironmentActionRef'] ?? '');
      assert.equal(env?.type, 'TTLSEnvironmentAction');
      const e = Object.fromEntries(env?.params ?? []);
      assert.equal(e['HandshakeRole'], 'Client');
      assert.equal(byName.get(e['TTLSKeyringParmsRef'] ?? '')?.type, 'TTLSKeyringParms');
      assert.equal(byName.get(e['TTLSCipherParmsRef'] ?? '')?.type, 'TTLSCipherParms');
      const adv = Object.fromEntries(byName.get(e['TTLSEnvironmentAdvancedParmsRef'] ?? '')?.params ?? []);
      assert.equal(adv['ApplicationControlled'], 'On');
      assert.deepEqual([adv['TLSv1'], adv['TLSv1.1'], adv['TLSv1.2']], ['Off', 'Off', 'On']);
      assert.equal(adv['TLSv1.3'], p['RemoteAddr'] === '2001:4860::2' ? 'Off' : 'On', 'TLS 1.3 only where the scan saw it');
    }
    assert.equal(Object.fromEntries(rules.find((r) => r.params.some(([, v]) => v === '8.8.8.5'))?.params ?? [])['RemotePortRange'], '587');
    const tls12 = byName.get('mxready_ciphers_tls12');
    assert.deepEqual(tls12?.params, [['V3CipherSuites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']]);
    assert.ok(text.includes(KEYRING_PLACEHOLDER));
    assert.match(text, /# exception: stuck\.example: stuck: tls\.version\.below-minimum/);
    assert.match(text, /# not enforced: mx\.plain\.example 8\.8\.8\.3:25 \(of backup\.example\): does not meet the policy/);
    assert.match(text, /Scan again before each policy refresh/);
  });

  it('Given another minimum Then each environment enables the versions from the policy\'s minimum up to the one its addresses negotiated, the renderer judging nothing', () => {
    const versionsOf = (report: Report): Map<string, Record<string, string>> => {
      const statements = parse(render(report, 'attls', { color: false }));
      const byName = new Map(statements.map((s) => [s.name, s]));
      const out = new Map<string, Record<string, string>>();
      for (const rule of statements.filter((s) => s.type === 'TTLSRule')) {
        const p = Object.fromEntries(rule.params);
        const env = Object.fromEntries(byName.get(p['TTLSEnvironmentActionRef'] ?? '')?.params ?? []);
        const adv = Object.fromEntries(byName.get(env['TTLSEnvironmentAdvancedParmsRef'] ?? '')?.params ?? []);
        out.set(p['RemoteAddr'] ?? '', { TLSv1: adv['TLSv1'] ?? '', 'TLSv1.1': adv['TLSv1.1'] ?? '', 'TLSv1.2': adv['TLSv1.2'] ?? '', 'TLSv1.3': adv['TLSv1.3'] ?? '' });
      }
      return out;
    };
    // --min-tls 1.0: the TLS 1.0-only host is enforced now, with TLS 1.0 alone; the others from 1.0 up
    const low = versionsOf(rejudge(sample(), { ...PRESETS.encrypt, minTlsVersion: 'TLSv1' }));
    assert.deepEqual(low.get('8.8.8.4'), { TLSv1: 'On', 'TLSv1.1': 'Off', 'TLSv1.2': 'Off', 'TLSv1.3': 'Off' });
    assert.deepEqual(low.get('2001:4860::2'), { TLSv1: 'On', 'TLSv1.1': 'On', 'TLSv1.2': 'On', 'TLSv1.3': 'Off' });
    assert.deepEqual(low.get('8.8.8.1'), { TLSv1: 'On', 'TLSv1.1': 'On', 'TLSv1.2': 'On', 'TLSv1.3': 'On' });
    // --min-tls 1.3: only the TLS 1.3 addresses meet it, with TLS 1.3 alone
    const high = versionsOf(rejudge(sample(), { ...PRESETS.encrypt, minTlsVersion: 'TLSv1.3' }));
    assert.equal(high.has('2001:4860::2'), false);
    assert.deepEqual(high.get('8.8.8.1'), { TLSv1: 'Off', 'TLSv1.1': 'Off', 'TLSv1.2': 'Off', 'TLSv1.3': 'On' });
  });
});
