import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/model/errors.js';
import { loadPolicy as loadLoaded, loadPolicyFile as loadFile } from '../../src/cli/policy-file.js';
import { policyNotes, policyProblems } from '../../src/policy/file.js';
import type { Policy } from '../../src/policy/presets.js';
import { PRESETS } from '../../src/policy/presets.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-policy-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const loadPolicyFile = (path: string): Policy => loadFile(path).policy;
const loadPolicy = (nameOrPath: string): Policy => loadLoaded(nameOrPath).policy;

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('policyProblems', () => {
  const bad: [string, unknown, RegExp][] = [
    ['an unknown key', { minTls: '1.2' }, /unknown key "minTls" \(allowed: extends, minTlsVersion, /],
    ['a bad version', { minTlsVersion: 'SSL3' }, /"minTlsVersion" is "SSL3"; expected a TLS version: 1\.0, 1\.1, 1\.2 or 1\.3, spelt "1\.2", "TLSv1\.2" or "TLS1\.2"/],
    ['a version with a space', { minTlsVersion: 'TLS 1.2' }, /"minTlsVersion" is "TLS 1\.2"; expected a TLS version/],
    ['a bare major version', { minTlsVersion: '1' }, /"minTlsVersion" is "1"; expected a TLS version/],
    ['a string for a boolean', { requireTrustedChain: 'yes' }, /"requireTrustedChain" is "yes"; expected true or false/],
    ['an unknown preset', { extends: 'paranoid' }, /"extends" is "paranoid"; expected a preset name: encrypt, verify, strict, dane/],
    ['an unknown class', { allowedCipherClasses: ['good', 'great'] }, /"allowedCipherClasses" is \["good","great"\]; expected a non-empty list/],
    ['an empty class list', { allowedCipherClasses: [] }, /"allowedCipherClasses" is \[\]/],
    ['bits out of range', { minRsaBits: 99999 }, /"minRsaBits" is 99999; expected a whole number from 0 to 16384/],
    ['fractional days', { expiryWarnDays: 1.5 }, /"expiryWarnDays" is 1\.5; expected a whole number/],
    ['an unknown finding id', { findings: { 'cert.bogus': 'off' } }, /"findings" names an unknown finding id "cert\.bogus"/],
    ['a bad finding severity', { findings: { 'tls.no-tls13': 'error' } }, /"findings\.tls\.no-tls13" is "error"; expected "fail", "warn", "info" or "off"/],
    ['STARTTLS not required', { requireStartTls: false }, /"requireStartTls" is false; expected true, or better left out/],
    ['not an object', ['encrypt'], /the policy must be a JSON object/],
  ];
  for (const [name, data, message] of bad) {
    it(`Given ${name} Then the problem names the key and what is allowed`, () => {
      const problems = policyProblems(data);
      assert.equal(problems.length, 1, problems.join(' | '));
      assert.match(problems[0] ?? '', message);
    });
  }
  it('Given the TLS version spellings the flag takes Then the file takes them too', () => {
    for (const spelling of ['1.2', 'TLS1.2', 'tlsv1.2', 'TLSv1.2', 'TLSv1', 'TLSv1.0', '1.0', 'tls1.3']) assert.deepEqual(policyProblems({ minTlsVersion: spelling }), [], spelling);
  });
  it('Given requireStartTls: true Then it is accepted with a one-line note and changes nothing', () => {
    assert.deepEqual(policyProblems({ requireStartTls: true }), []);
    const notes = policyNotes({ requireStartTls: true });
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /no longer a knob and is ignored/);
    assert.doesNotMatch(notes[0] ?? '', /\n/);
    assert.deepEqual(policyNotes({ minTlsVersion: 'TLSv1.3' }), []);
    const loaded = loadFile(file('starttls.json', '{"requireStartTls": true}'));
    assert.deepEqual({ ...loaded.policy, name: 'x' }, { ...PRESETS.encrypt, name: 'x' });
    assert.equal(loaded.notes.length, 1);
  });
  it('Given several bad keys Then each is reported', () => {
    assert.equal(policyProblems({ a: 1, minRsaBits: 'x', findings: { nope: 'off' } }).length, 3);
  });
});

describe('loadPolicyFile', () => {
  it('Given a file that extends verify Then the effective policy is verify with the overrides, named after the file', () => {
    const path = file('p.json', JSON.stringify({ extends: 'verify', minTlsVersion: 'TLSv1.3', minRsaBits: 3072, findings: { 'tls.no-tls13': 'fail', 'cert.expiring-soon': 'off' } }));
    const policy = loadPolicyFile(path);
    assert.equal(policy.name, `file:${path}`);
    assert.equal(policy.requireTrustedChain, true);
    assert.equal(policy.minTlsVersion, 'TLSv1.3');
    assert.equal(policy.minRsaBits, 3072);
    assert.deepEqual(policy.findings, { 'tls.no-tls13': 'fail', 'cert.expiring-soon': 'off' });
  });
  it('Given a file extending strict Then its finding overrides merge over strict\'s', () => {
    const policy = loadPolicyFile(file('s.json', JSON.stringify({ extends: 'strict', findings: { 'tls.no-tls13': 'warn' } })));
    assert.deepEqual(policy.findings, { 'cert.sha1-signature': 'fail', 'tls.no-tls13': 'warn' });
    assert.equal(policy.forbidLegacyProtocols, true);
  });
  it('Given no extends Then the base is encrypt', () => {
    const policy = loadPolicyFile(file('e.json', '{"requireForwardSecrecy": true}'));
    assert.deepEqual({ ...policy, name: 'x' }, { ...PRESETS.encrypt, requireForwardSecrecy: true, name: 'x' });
  });
  const broken: [string, string, RegExp][] = [
    ['invalid JSON', '{"extends": ', /not valid JSON/],
    ['a bad key', '{"minTlsVersion": "TLS1.4"}', /policy file .*: "minTlsVersion" is "TLS1\.4"; expected a TLS version/],
  ];
  for (const [name, content, message] of broken) {
    it(`Given ${name} Then one usage error line`, () => {
      const path = file(`${name.replace(/\W/g, '')}.json`, content);
      assert.throws(() => loadPolicyFile(path), (e: unknown) => e instanceof UsageError && message.test(e.message) && !e.message.includes('\n'));
    });
  }
  it('Given a missing file or an unknown bare name Then a usage error says which', () => {
    assert.throws(() => loadPolicy(join(dir, 'missing.json')), /cannot read policy file ".*missing\.json": no such file/);
    assert.throws(() => loadPolicy('paranoid'), /unknown policy "paranoid"/);
    assert.equal(loadPolicy('strict'), PRESETS.strict);
  });
});
