import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesHostname } from '../../src/tls/certificate.js';

interface Row {
  readonly given: string;
  readonly sans: readonly string[];
  readonly cns?: readonly string[];
  readonly host: string;
  readonly match: boolean;
}

const rows: readonly Row[] = [
  { given: 'an exact DNS SAN', sans: ['DNS:mx.example.com'], host: 'mx.example.com', match: true },
  { given: 'a DNS SAN in upper case', sans: ['DNS:MX.Example.COM'], host: 'mx.example.com', match: true },
  { given: 'a host name in upper case', sans: ['DNS:mx.example.com'], host: 'MX.EXAMPLE.COM', match: true },
  { given: 'a trailing dot on the host', sans: ['DNS:mx.example.com'], host: 'mx.example.com.', match: true },
  { given: 'a trailing dot on the SAN', sans: ['DNS:mx.example.com.'], host: 'mx.example.com', match: true },
  { given: 'a second DNS SAN that matches', sans: ['DNS:a.example.com', 'DNS:mx.example.com'], host: 'mx.example.com', match: true },
  { given: 'a different name', sans: ['DNS:mx1.example.com'], host: 'mx2.example.com', match: false },
  { given: 'a suffix only', sans: ['DNS:example.com'], host: 'mx.example.com', match: false },
  { given: 'a wildcard over one label', sans: ['DNS:*.example.com'], host: 'mx.example.com', match: true },
  { given: 'a wildcard against the bare domain', sans: ['DNS:*.example.com'], host: 'example.com', match: false },
  { given: 'a wildcard against two labels', sans: ['DNS:*.example.com'], host: 'a.b.example.com', match: false },
  { given: 'a partial-label wildcard', sans: ['DNS:f*.example.com'], host: 'foo.example.com', match: false },
  { given: 'a suffix-partial wildcard', sans: ['DNS:*o.example.com'], host: 'foo.example.com', match: false },
  { given: 'a wildcard not in the left-most label', sans: ['DNS:mx.*.example.com'], host: 'mx.a.example.com', match: false },
  { given: 'two wildcards', sans: ['DNS:*.*.example.com'], host: 'a.b.example.com', match: false },
  { given: 'a wildcard on a two-label name', sans: ['DNS:*.com'], host: 'example.com', match: false },
  { given: 'a wildcard alone', sans: ['DNS:*'], host: 'localhost', match: false },
  { given: 'a wildcard over an A-label host label', sans: ['DNS:*.example.com'], host: 'xn--mnchen-3ya.example.com', match: true },
  { given: 'an A-label SAN compared as given', sans: ['DNS:xn--mnchen-3ya.example'], host: 'XN--MNCHEN-3YA.example', match: true },
  { given: 'a U-label host against its A-label SAN', sans: ['DNS:xn--mnchen-3ya.example'], host: 'münchen.example', match: false },
  { given: 'a host name that is itself a wildcard', sans: ['DNS:*.example.com'], host: '*.example.com', match: false },
  { given: 'an empty host name', sans: ['DNS:example.com'], host: '', match: false },
  { given: 'a host with an empty label', sans: ['DNS:a..example.com'], host: 'a..example.com', match: false },
  { given: 'no SAN and a matching CN', sans: [], cns: ['mx.example.com'], host: 'mx.example.com', match: true },
  { given: 'no SAN and a wildcard CN', sans: [], cns: ['*.example.com'], host: 'mx.example.com', match: true },
  { given: 'no SAN, only the first of two CNs matching', sans: [], cns: ['mx.example.com', 'other.example.com'], host: 'mx.example.com', match: false },
  { given: 'no SAN, the last of two CNs matching', sans: [], cns: ['other.example.com', 'mx.example.com'], host: 'mx.example.com', match: true },
  { given: 'a DNS SAN and a matching CN', sans: ['DNS:other.example.com'], cns: ['mx.example.com'], host: 'mx.example.com', match: false },
  { given: 'only IP SANs and a matching CN', sans: ['IP:192.0.2.1'], cns: ['mx.example.com'], host: 'mx.example.com', match: true },
  { given: 'an email SAN with the host name', sans: ['email:mx.example.com'], host: 'mx.example.com', match: false },
  { given: 'an IPv4 host and a matching IP SAN', sans: ['DNS:mx.example.com', 'IP:192.0.2.1'], host: '192.0.2.1', match: true },
  { given: 'an IPv4 host and a different IP SAN', sans: ['IP:192.0.2.2'], host: '192.0.2.1', match: false },
  { given: 'an IPv4 host and a DNS SAN with the same text', sans: ['DNS:192.0.2.1'], host: '192.0.2.1', match: false },
  { given: 'an IPv4 host and a CN with the same text', sans: [], cns: ['192.0.2.1'], host: '192.0.2.1', match: false },
  { given: 'an IPv6 host in another spelling', sans: ['IP:2001:db8::1'], host: '2001:0DB8:0:0:0:0:0:1', match: true },
  { given: 'a bracketed IPv6 host', sans: ['IP:2001:db8::1'], host: '[2001:db8::1]', match: true },
  { given: 'an IPv4-mapped IPv6 SAN against the IPv6 text', sans: ['IP:::ffff:c000:201'], host: '::ffff:192.0.2.1', match: true },
  { given: 'an IPv4 host and its IPv4-mapped IPv6 SAN', sans: ['IP:::ffff:192.0.2.1'], host: '192.0.2.1', match: false },
];

describe('matchesHostname (RFC 6125 §6.4)', () => {
  for (const row of rows) {
    it(`given ${row.given}, when matching ${JSON.stringify(row.host)}, then ${row.match}`, () => {
      const cert = { subjectAltNames: row.sans, commonNames: row.cns ?? [] };
      assert.equal(matchesHostname(cert, row.host), row.match);
    });
  }
});
