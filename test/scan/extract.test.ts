/** --extract-domains: the domains of the mail addresses in log lines (Postfix, Exim), as a Given/Then table. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { domainsInLine } from '../../src/scan/extract.js';

describe('domains from mail log lines', () => {
  const cases: [string, string, string[]][] = [
    ['a Postfix delivery', 'Dec  7 05:12:01 mx postfix/smtp[123]: 4F2A: to=<alice@Example.COM>, relay=mx.example.com[192.0.2.7]:25, status=sent', ['example.com']],
    ['a Postfix sender and recipient', 'postfix/qmgr[9]: 4F2A: from=<bounce@lists.example.org>, size=1234, nrcpt=1', ['lists.example.org']],
    ['an Exim delivery', '2026-12-07 05:12:01 1rAbc-000 => bob@mail.example.net R=dnslookup T=remote_smtp H=mx.example.net', ['mail.example.net']],
    ['an Exim arrival with the sender', '2026-12-07 05:12:01 1rAbc-000 <= carol@sender.example.org H=localhost P=esmtp for dave@dest.example.com', ['sender.example.org', 'dest.example.com']],
    ['an IDN domain', 'to=<иван@пример.рф>, status=sent', ['xn--e1afmkfd.xn--p1ai']],
    ['a quoted local part', 'to=<"john doe"@quoted.example.com>', ['quoted.example.com']],
    ['a trailing dot', 'to=<x@example.com.>', ['example.com']],
    ['upper case', 'TO=<Y@EXAMPLE.ORG>', ['example.org']],
    ['no address', 'postfix/anvil[1]: statistics: max connection rate 1/60s', []],
    ['an address without a dot in its domain', 'to=<root@localhost>', []],
    ['an invalid domain', 'to=<a@-bad-.example>', []],
    ['a bare @', 'connect from unknown @ 192.0.2.1', []],
  ];
  for (const [given, line, domains] of cases) {
    it(`Given ${given} Then ${domains.join(', ') || 'no domain'}`, () => {
      assert.deepEqual(domainsInLine(line), domains);
    });
  }
});
