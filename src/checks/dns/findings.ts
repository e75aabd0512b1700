/** The DNS check's finding catalogue (see ../starttls/findings.ts for the conventions). */
import type { FindingKind } from '../../model/check.js';

export const DNS_FINDINGS = {
  'dnssec.bogus': {
    severity: 'warn',
    resultType: 'dnssec-invalid',
    description: 'The MX lookup or an MX host\'s address lookup failed DNSSEC validation (the resolver answered SERVFAIL, and answered with checking disabled): validating senders cannot deliver.',
  },
  'dns.nxdomain': {
    severity: 'warn',
    description: 'The domain does not exist (NXDOMAIN): not assessed.',
  },
  'dns.lookup-failed': {
    severity: 'warn',
    description: 'The DNS lookup failed (SERVFAIL, REFUSED, timeout or a malformed answer): not assessed; usually temporary.',
  },
  'dns.no-address': {
    severity: 'warn',
    description: 'The domain has no MX and no address, or no MX host has an address: nothing to probe.',
  },
  'dns.null-mx': {
    severity: 'info',
    description: 'The domain publishes a null MX (RFC 7505): it accepts no mail.',
  },
  'dns.null-mx.mixed': {
    severity: 'warn',
    description: 'A null MX stands beside other MX records (RFC 7505 §3); the null entry is ignored.',
  },
  'dns.implicit-mx': {
    severity: 'info',
    description: 'The domain has no MX record; mail goes to its own address (RFC 5321 §5.1 implicit MX).',
  },
  'dns.mx.cname': {
    severity: 'warn',
    description: 'An MX record points at an alias (CNAME); RFC 2181 §10.3 forbids it, some senders refuse it.',
  },
  'address.excluded': {
    severity: 'info',
    description: 'The opt-out list (--exclude) names the MX host or holds the address: it was never connected to.',
  },
  'dns.mx.no-address': {
    severity: 'warn',
    description: 'An MX host has no usable address.',
  },
  'dns.mx.ip-literal': {
    severity: 'warn',
    description: 'An MX exchange looks like an IP address; it must be a host name and was resolved as one.',
  },
  'dns.mx.truncated': {
    severity: 'warn',
    description: 'The domain has more MX hosts than mxready probes; the rest were not assessed.',
  },
  'dns.addresses.truncated': {
    severity: 'info',
    description: 'An MX host has more addresses than mxready probes per host; the rest were not assessed.',
  },
  'dns.name.invalid': {
    severity: 'warn',
    description:
      'A name from DNS (an MX exchange, a CNAME target of an MX host, of _mta-sts or of _smtp._tls) is not a host name: a label holds a dot or a byte other than letters, digits, "-" and "_". It is shown in RFC 4343 presentation form and never looked up, dialled or used as SNI.',
  },
} as const satisfies Record<string, FindingKind>;
