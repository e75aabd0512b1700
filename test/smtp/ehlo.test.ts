import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extensionLines, hasStartTls, parseEhlo } from '../../src/smtp/ehlo.js';

describe('parseEhlo', () => {
  const cases: ReadonlyArray<{ name: string; lines: string[]; keywords: [string, string[]][]; starttls: boolean }> = [
    {
      name: 'a typical reply',
      lines: ['mx.example.com Hello [192.0.2.1]', 'PIPELINING', 'SIZE 52428800', 'AUTH PLAIN LOGIN', 'STARTTLS', 'SMTPUTF8'],
      keywords: [['PIPELINING', []], ['SIZE', ['52428800']], ['AUTH', ['PLAIN', 'LOGIN']], ['STARTTLS', []], ['SMTPUTF8', []]],
      starttls: true,
    },
    { name: 'keywords are upper-cased', lines: ['mx', 'starttls', '8bitmime'], keywords: [['STARTTLS', []], ['8BITMIME', []]], starttls: true },
    { name: 'surrounding spaces are ignored', lines: ['mx', '  STARTTLS  ', 'SIZE   100 '], keywords: [['STARTTLS', []], ['SIZE', ['100']]], starttls: true },
    { name: 'no extensions', lines: ['mx.example.com'], keywords: [], starttls: false },
    { name: 'STARTTLS only in the greeting line does not count', lines: ['mx STARTTLS', 'PIPELINING'], keywords: [['PIPELINING', []]], starttls: false },
    { name: 'a look-alike keyword is not STARTTLS', lines: ['mx', 'XSTARTTLS', 'STARTTLSX'], keywords: [['XSTARTTLS', []], ['STARTTLSX', []]], starttls: false },
    { name: 'a line that is not a keyword is left out', lines: ['mx', 'AUTH=LOGIN PLAIN', '-BAD', '', 'STARTTLS'], keywords: [['STARTTLS', []]], starttls: true },
    { name: 'the first occurrence of a keyword wins', lines: ['mx', 'SIZE 1', 'SIZE 2'], keywords: [['SIZE', ['1']]], starttls: false },
  ];

  for (const { name, lines, keywords, starttls } of cases) {
    it(name, () => {
      // Given an EHLO reply's lines, When parsed
      const ehlo = parseEhlo({ lines });
      // Then the keyword map and the STARTTLS decision follow the grammar
      assert.deepEqual([...ehlo.keywords], keywords);
      assert.equal(hasStartTls(ehlo), starttls);
    });
  }

  it('keeps the extension lines as the server wrote them', () => {
    assert.deepEqual(extensionLines({ lines: ['mx Hello', 'size 10', 'STARTTLS'] }), ['size 10', 'STARTTLS']);
  });
});
