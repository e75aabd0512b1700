/**
 * --format postfix-policy: an smtp_tls_policy_maps table (postconf(5);
 * TLS_README "Per-site TLS policies"): one entry a destination. Enforced
 * domains get `encrypt` (`verify match=hostname` when the policy authenticates;
 * `ciphers=high` when it allows only the strongest suites) with the policy's
 * minimum protocol; exceptions `may`, with why on the comment line above; a
 * destination not assessed only a comment. Each destination's findings are
 * comment lines above its entry. A relay (host:port) is the next hop
 * `[host]:port`. Lookup tables take comments on lines of their own only. Pure.
 */
import type { Report } from '../model/report.js';
import type { Format } from './catalog.js';
import { authenticates, commentText, destinations, findingComments, headerLines, highCiphersOnly, hostToken, ipToken, probedPort, type Destination } from './enforce.js';

/** The table key: the domain, or `[host]:port` for a relay; null when the name is no plain host name. */
function key(d: Destination): string | null {
  const t = d.target;
  if (t.kind === 'domain') return hostToken(t.domain);
  const host = ipToken(t.domain) ?? hostToken(t.domain);
  const port = probedPort(t);
  return host === null || port === null ? null : `[${host}]:${port}`;
}

export function* renderPostfixPolicy(report: Report): Iterable<string> {
  const p = report.policy;
  const protocols = `protocols=>=${p.minTlsVersion}`;
  const level = authenticates(p) ? `verify match=hostname ${protocols}${highCiphersOnly(p) ? ' ciphers=high' : ''}` : `encrypt ${protocols}${highCiphersOnly(p) ? ' ciphers=high' : ''}`;
  const header = headerLines(report, 'postfix-policy', [
    'main.cf: smtp_tls_policy_maps = hash:/etc/postfix/tls_policy (then: postmap /etc/postfix/tls_policy; postfix reload)',
    'with smtp_tls_security_level = may for every destination not listed here.',
  ]);
  yield `${header.map((l) => `# ${l}`).join('\n')}\n`;
  for (const d of destinations(report)) {
    const k = key(d);
    const name = commentText(d.target.domain);
    // Every finding of the destination, on comment lines of their own above its entry.
    const found = findingComments(d.target).map((line) => `# ${line}\n`).join('');
    if (d.decision === 'left-out') {
      yield `\n# left out: ${name}: ${commentText(d.reason)}\n${found}`;
      continue;
    }
    if (k === null) {
      yield `\n# left out: ${name}: not a plain host name, so not written as a table key\n${found}`;
      continue;
    }
    if (d.decision === 'exception') {
      yield `\n# ${commentText(d.reason)}\n${found}${k}\tmay\n`;
      continue;
    }
    const notes = d.skipped.map((host) => `# note: no address of ${commentText(host)} meets the policy: enforced mail skips it`);
    yield `\n${notes.length > 0 ? `${notes.join('\n')}\n` : ''}${found}${k}\t${level}\n`;
  }
}

export const POSTFIX_POLICY_FORMAT = {
  name: 'postfix-policy',
  description: 'a Postfix smtp_tls_policy_maps table: mandatory TLS for the destinations ready for it, may for the rest',
  render: (report: Report) => renderPostfixPolicy(report),
} as const satisfies Format;
