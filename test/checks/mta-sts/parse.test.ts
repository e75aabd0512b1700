/**
 * MTA-STS and TLS-RPT, the pure rules (RFC 8461 §3.1, §3.2, §4.1; RFC 8460 §3),
 * as Given/When/Then tables: which TXT record a sender uses, the policy
 * grammar, MX matching, and the TLS-RPT record.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { matchingPattern, mxMatches, parsePolicy, stsTxt } from '../../../src/checks/mta-sts/rules/parse.js';
import { rptTxt } from '../../../src/checks/tls-rpt/rules/parse.js';

describe('MTA-STS TXT records (RFC 8461 §3.1)', () => {
  const cases: [string, string[], string, string?][] = [
    // given records, then kind, and the id (valid) or a word of the reason (invalid)
    ['one valid record', ['v=STSv1; id=20160831085700Z;'], 'valid', '20160831085700Z'],
    ['no trailing delimiter, no spaces', ['v=STSv1;id=abc123'], 'valid', 'abc123'],
    ['tabs and spaces around delimiters', ['v=STSv1 \t;\t id=A1 ; ext=1 ;'], 'valid', 'A1'],
    ['unknown fields', ['v=STSv1; foo=bar; id=x9; baz=qux'], 'valid', 'x9'],
    ['other TXT records beside it', ['google-site-verification=abc', 'v=spf1 -all', 'v=STSv1; id=1'], 'valid', '1'],
    ['an id of 32 letters and digits', [`v=STSv1; id=${'a'.repeat(32)}`], 'valid', 'a'.repeat(32)],
    ['no record', [], 'none'],
    ['only records of other kinds', ['v=spf1 -all', 'v=TLSRPTv1; rua=mailto:a@b.test'], 'none'],
    ['two records', ['v=STSv1; id=1', 'v=STSv1; id=2'], 'invalid', 'exactly one'],
    ['no id', ['v=STSv1;'], 'invalid', 'no "id"'],
    ['an id of 33 characters', [`v=STSv1; id=${'a'.repeat(33)}`], 'invalid', 'not 1 to 32'],
    ['an id with a dash', ['v=STSv1; id=2016-08-31'], 'invalid', 'not 1 to 32'],
    ['an empty id', ['v=STSv1; id='], 'invalid', 'not 1 to 32'],
    ['two ids', ['v=STSv1; id=1; id=2'], 'invalid', 'more than one'],
    ['another version that starts alike', ['v=STSv10; id=1'], 'invalid', 'does not start'],
    ['a field without "="', ['v=STSv1; id=1; garbage'], 'invalid', 'not key=value'],
    ['an empty field between delimiters', ['v=STSv1;; id=1'], 'invalid', 'empty field'],
  ];
  for (const [given, records, kind, detail] of cases) {
    it(`Given ${given} When a sender reads them Then ${kind}${detail ? ` (${detail})` : ''}`, () => {
      const result = stsTxt(records);
      assert.equal(result.kind, kind);
      if (result.kind === 'valid') assert.equal(result.id, detail);
      if (result.kind === 'invalid') assert.ok(result.reason.includes(detail ?? ''), result.reason);
    });
  }
});

describe('MTA-STS policies (RFC 8461 §3.2)', () => {
  const ok = (lines: string[], eol = '\r\n') => lines.join(eol) + eol;
  const base = ['version: STSv1', 'mode: enforce', 'mx: mail.example.test', 'max_age: 86400'];
  const valid: [string, string, { mode: string; mx: string[]; maxAge: number }][] = [
    ['CRLF lines', ok(base), { mode: 'enforce', mx: ['mail.example.test'], maxAge: 86400 }],
    ['LF lines', ok(base, '\n'), { mode: 'enforce', mx: ['mail.example.test'], maxAge: 86400 }],
    ['no final line end', base.join('\n'), { mode: 'enforce', mx: ['mail.example.test'], maxAge: 86400 }],
    ['spaces after the colon and at the end', ok(['version:   STSv1', 'mode:\tenforce  ', 'mx:  mail.example.test', 'max_age: 0']), { mode: 'enforce', mx: ['mail.example.test'], maxAge: 0 }],
    ['mx repeated, a wildcard, upper case and a trailing dot', ok(['version: STSv1', 'mode: testing', 'mx: MAIL.example.test.', 'mx: *.backup.example.test', 'max_age: 31557600']), { mode: 'testing', mx: ['mail.example.test', '*.backup.example.test'], maxAge: 31557600 }],
    ['mode none without mx', ok(['version: STSv1', 'mode: none', 'max_age: 86400']), { mode: 'none', mx: [], maxAge: 86400 }],
    ['unknown keys', ok([...base, 'foo: bar', 'x-extension: 1']), { mode: 'enforce', mx: ['mail.example.test'], maxAge: 86400 }],
    ['keys in another order', ok(['max_age: 5', 'mx: a.example.test', 'mode: enforce', 'version: STSv1']), { mode: 'enforce', mx: ['a.example.test'], maxAge: 5 }],
  ];
  for (const [given, body, policy] of valid) {
    it(`Given ${given} When parsed Then the policy`, () => {
      const parsed = parsePolicy(body);
      assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
      assert.deepEqual(parsed.policy, policy);
    });
  }
  const invalid: [string, string, string][] = [
    ['no version', ok(base.slice(1)), 'version'],
    ['version STSv2', ok(['version: STSv2', ...base.slice(1)]), 'not STSv1'],
    ['an unknown mode', ok(['version: STSv1', 'mode: strict', 'mx: a.test', 'max_age: 1']), 'mode'],
    ['no mode', ok(['version: STSv1', 'mx: a.test', 'max_age: 1']), 'no "mode"'],
    ['no max_age', ok(base.slice(0, 3)), 'max_age'],
    ['max_age over a year', ok(['version: STSv1', 'mode: enforce', 'mx: a.test', 'max_age: 31557601']), 'max_age'],
    ['a negative max_age', ok(['version: STSv1', 'mode: enforce', 'mx: a.test', 'max_age: -1']), 'max_age'],
    ['max_age not a number', ok(['version: STSv1', 'mode: enforce', 'mx: a.test', 'max_age: 1d']), 'max_age'],
    ['enforce without mx', ok(['version: STSv1', 'mode: enforce', 'max_age: 1']), 'no "mx"'],
    ['testing without mx', ok(['version: STSv1', 'mode: testing', 'max_age: 1']), 'no "mx"'],
    ['version twice', ok([...base, 'version: STSv1']), 'twice'],
    ['mode twice', ok([...base, 'mode: testing']), 'twice'],
    ['max_age twice', ok([...base, 'max_age: 1']), 'twice'],
    ['a line that is not key: value', ok([...base, 'this is not a field']), 'not "key: value"'],
    ['an HTML page', '<html><body>Not found</body></html>', 'not "key: value"'],
    ['an mx with a space', ok(['version: STSv1', 'mode: enforce', 'mx: a b.test', 'max_age: 1']), 'host name'],
    ['an mx with a wildcard inside', ok(['version: STSv1', 'mode: enforce', 'mx: a.*.test', 'max_age: 1']), 'host name'],
  ];
  for (const [given, body, reason] of invalid) {
    it(`Given ${given} When parsed Then invalid (${reason})`, () => {
      const parsed = parsePolicy(body);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.ok(parsed.reason.includes(reason), parsed.reason);
    });
  }
  it('Given bidi and format characters in an mx pattern and a mode Then the pattern and the reason quote them escaped, never raw', () => {
    const parsed = parsePolicy(ok(['version: STSv1', 'mode: enforce', 'mx: mx\u202e.example.test', 'mx: a\u{e0041}.example.test', 'max_age: 1']));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
    assert.deepEqual(parsed.policy.mx, ['mx\\u202e.example.test', 'a\\u{e0041}.example.test']);
    const mode = parsePolicy(ok(['version: STSv1', 'mode: enf\u2066orce\u2028', 'mx: a.test', 'max_age: 1']));
    assert.equal(mode.ok, false);
    if (!mode.ok) assert.equal(mode.reason, 'mode "enf\\u2066orce\\u2028" is not enforce, testing or none');
  });
});

describe('MX matching (RFC 8461 §4.1)', () => {
  const cases: [string, string, boolean][] = [
    ['mx.example.test', 'mx.example.test', true],
    ['MX.Example.TEST', 'mx.example.test', true],
    ['mx.example.test.', 'mx.example.test', true],
    ['mx.example.test', 'MX.EXAMPLE.TEST.', true],
    ['mx.example.test', 'mx2.example.test', false],
    ['mx.example.test', 'example.test', false],
    ['*.example.test', 'mx.example.test', true],
    ['*.example.test', 'MX.example.test.', true],
    ['*.example.test', 'example.test', false],
    ['*.example.test', 'a.b.example.test', false],
    ['*.example.test', 'mxexample.test', false],
    ['*.example.test', '.example.test', false],
    ['*.mx.example.test', 'a.mx.example.test', true],
    ['*.mx.example.test', 'mx.example.test', false],
  ];
  for (const [pattern, host, matches] of cases) {
    it(`Given pattern ${pattern} When matched against ${host} Then ${matches ? 'a match' : 'no match'}`, () => {
      assert.equal(mxMatches(pattern, host), matches);
    });
  }
  it('Given several patterns Then the first that matches is named, or null', () => {
    assert.equal(matchingPattern(['a.test', '*.example.test', 'mx.example.test'], 'mx.example.test'), '*.example.test');
    assert.equal(matchingPattern(['a.test'], 'mx.example.test'), null);
  });
});

describe('TLS-RPT records (RFC 8460 §3)', () => {
  const cases: [string, string[], string, string[]?][] = [
    ['one mailto', ['v=TLSRPTv1; rua=mailto:reports@example.test'], 'valid', ['mailto:reports@example.test']],
    ['mailto and https, spaces after the comma', ['v=TLSRPTv1;rua=mailto:a@example.test, https://reports.example.test/tlsrpt;'], 'valid', ['mailto:a@example.test', 'https://reports.example.test/tlsrpt']],
    ['other records beside it', ['v=spf1 -all', 'v=TLSRPTv1; rua=mailto:a@example.test'], 'valid', ['mailto:a@example.test']],
    ['none', [], 'none'],
    ['only other kinds', ['v=STSv1; id=1'], 'none'],
    ['two records', ['v=TLSRPTv1; rua=mailto:a@example.test', 'v=TLSRPTv1; rua=mailto:b@example.test'], 'duplicate'],
    ['no rua', ['v=TLSRPTv1; ruf=mailto:a@example.test'], 'invalid'],
    ['an http: URI', ['v=TLSRPTv1; rua=http://reports.example.test/'], 'invalid'],
    ['an ftp: URI', ['v=TLSRPTv1; rua=ftp://reports.example.test/'], 'invalid'],
    ['a mailto without an address', ['v=TLSRPTv1; rua=mailto:'], 'invalid'],
    ['an empty rua', ['v=TLSRPTv1; rua='], 'invalid'],
    ['two rua fields', ['v=TLSRPTv1; rua=mailto:a@example.test; rua=mailto:b@example.test'], 'invalid'],
    ['another version (discarded)', ['v=TLSRPTv2; rua=mailto:a@example.test'], 'none'],
    ['a version that only starts alike', ['v=TLSRPTv10; rua=mailto:a@example.test'], 'invalid'],
  ];
  for (const [given, records, kind, rua] of cases) {
    it(`Given ${given} When a sender reads them Then ${kind}`, () => {
      const result = rptTxt(records);
      assert.equal(result.kind, kind);
      if (result.kind === 'valid') assert.deepEqual(result.rua, rua);
    });
  }
});
