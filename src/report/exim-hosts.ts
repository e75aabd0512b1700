/**
 * --format exim-hosts: two named host lists for Exim's smtp transport:
 * `mxready_require_tls` holds the MX host names, and their addresses, of the
 * enforced destinations (for hosts_require_tls, and tls_verify_hosts when the
 * policy authenticates); `mxready_exceptions` those of the rest. The lists use
 * ';' as separator (`<;`), so IPv6 addresses need no doubled colons. A name that
 * is no plain host name is left out with a comment. Each destination's line in
 * the comments above the lists has its findings indented under it. Pure.
 */
import type { Report, TargetReport } from '../model/report.js';
import type { Format } from './catalog.js';
import { authenticates, commentText, destinations, findingComments, headerLines, hostToken, ipToken } from './enforce.js';

/** The tokens of a destination's MX hosts and addresses, and the comments for what was left out. */
function tokens(target: TargetReport, into: Set<string>, notes: string[]): void {
  for (const mx of target.mx) {
    const host = mx.ipLiteral === true ? ipToken(mx.host) : hostToken(mx.host);
    if (host === null) notes.push(`left out: ${commentText(mx.host)} (of ${commentText(target.domain)}): not a plain host name`);
    else into.add(host);
    for (const a of mx.addresses) {
      const ip = ipToken(a.ip);
      if (ip !== null) into.add(ip);
    }
  }
}

function hostlist(name: string, items: ReadonlySet<string>): string {
  return `hostlist ${name} = <; ${[...items].join(' ; ')}\n`;
}

export function* renderEximHosts(report: Report): Iterable<string> {
  const verify = authenticates(report.policy);
  const header = headerLines(report, 'exim-hosts', [
    'in the smtp transport:  hosts_require_tls = +mxready_require_tls',
    ...(verify ? ['                         tls_verify_hosts = +mxready_require_tls'] : []),
    'Exim applies these per host: every MX host of an enforced destination is listed.',
  ]);
  yield `${header.map((l) => `# ${l}`).join('\n')}\n\n`;
  const enforced = new Set<string>();
  const exceptions = new Set<string>();
  const notes: string[] = [];
  const held: string[] = [];
  for (const d of destinations(report)) {
    if (d.decision === 'enforced') {
      tokens(d.target, enforced, notes);
      held.push(`enforced: ${commentText(d.target.domain)}`);
      for (const host of d.skipped) notes.push(`note: no address of ${commentText(host)} (of ${commentText(d.target.domain)}) meets the policy`);
    } else if (d.decision === 'exception') {
      tokens(d.target, exceptions, notes);
      held.push(`exception: ${commentText(d.target.domain)}: ${commentText(d.reason)}`);
    } else held.push(`left out: ${commentText(d.target.domain)}: ${commentText(d.reason)}`);
    // The destination's findings, indented under its line.
    held.push(...findingComments(d.target).map((line) => `  ${line}`));
  }
  // A host that serves an enforced destination is enforced, whatever else it serves.
  for (const host of enforced) exceptions.delete(host);
  yield held.map((l) => `# ${l}\n`).join('');
  if (notes.length > 0) yield notes.map((l) => `# ${l}\n`).join('');
  yield '\n';
  yield hostlist('mxready_require_tls', enforced);
  yield hostlist('mxready_exceptions', exceptions);
}

export const EXIM_HOSTS_FORMAT = {
  name: 'exim-hosts',
  description: "Exim host lists: the MX hosts and addresses of the destinations ready for mandatory TLS, and of the rest",
  render: (report: Report) => renderEximHosts(report),
} as const satisfies Format;
