/**
 * What the enforcement formats (postfix-policy, exim-hosts, attls) share: the
 * rule that sorts destinations, the header every output starts with, and tokens
 * made safe for a configuration file. Pure; it never judges: `deliverable` was
 * stored by evaluation under the scan's policy.
 *
 *   enforced   deliverable true: an address meets the policy, so mandatory TLS
 *              keeps mail flowing (to the addresses that meet it);
 *   exception  deliverable false: mandatory TLS would hold the mail;
 *   left out   deliverable null: not assessed.
 */
import { isIP } from 'node:net';
import type { AddressReport, PolicyReport, Report, TargetReport } from '../model/report.js';
import { inert } from './text.js';

export type Decision = 'enforced' | 'exception' | 'left-out';

export interface Destination {
  readonly target: TargetReport;
  readonly decision: Decision;
  /** Why, in one line: the deciding finding for an exception, what stopped the assessment for one left out. */
  readonly reason: string;
  /** MX hosts of an enforced destination where no address meets the policy: mandatory TLS skips them. */
  readonly skipped: readonly string[];
}

/** A finding or error as a comment says it: "id on host". */
function deciding(target: TargetReport): string {
  const gap = target.findings.find((f) => f.severity === 'fail');
  if (gap) return `${gap.id}${gap.host ? ` on ${gap.host}` : ''}`;
  return target.error ? `${target.error.code}: ${target.error.message}` : 'no address meets the policy';
}

function meets(address: AddressReport): boolean {
  return address.assessment.outcome === 'meets';
}

export function decide(target: TargetReport): Destination {
  if (target.deliverable === true) {
    const skipped = target.mx.filter((mx) => !mx.addresses.some(meets)).map((mx) => mx.host);
    return { target, decision: 'enforced', reason: 'an address meets the policy', skipped };
  }
  if (target.deliverable === false) return { target, decision: 'exception', reason: `stuck: ${deciding(target)}`, skipped: [] };
  const why = target.error?.code ?? target.findings.find((f) => f.severity !== 'info')?.id ?? target.findings[0]?.id;
  return { target, decision: 'left-out', reason: why === undefined ? 'not assessed' : `not assessed: ${why}`, skipped: [] };
}

/** Whether the policy authenticates the server (a trusted chain that names the host): Postfix's verify, Exim's tls_verify_hosts. */
export function authenticates(policy: PolicyReport): boolean {
  return policy.requireTrustedChain && policy.requireHostnameMatch;
}

/** Whether the policy allows only the strongest suites (strict): Postfix's ciphers=high. */
export function highCiphersOnly(policy: PolicyReport): boolean {
  return !policy.allowedCipherClasses.includes('phase-out') && !policy.allowedCipherClasses.includes('insufficient');
}

/** Comment text: inert, so on one line (CR and LF come out as \x0D, \x0A: a newline from a server or DNS cannot end the comment). */
export function commentText(text: string): string {
  return inert(text);
}

const HOST = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

/** A host name as one harmless token (lower case, no trailing dot), or null when it is not a plain host name. */
export function hostToken(name: string): string | null {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return HOST.test(lower) ? lower : null;
}

/** An IP address as one token, or null. */
export function ipToken(ip: string): string | null {
  return isIP(ip) === 0 ? null : ip.toLowerCase();
}

/**
 * A destination's findings as comment text, worst first, one line each
 * ("finding: warn cert.expiring on mx.example.com 192.0.2.1:25: message"): the
 * enforcement formats write them as comments beside the destination's entry,
 * which the MTA ignores. Inert, so a server's text cannot end the comment.
 */
export function findingComments(target: TargetReport): string[] {
  const rank = { fail: 0, warn: 1, info: 2 } as const;
  return target.findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => rank[a.f.severity] - rank[b.f.severity] || a.i - b.i)
    .map(({ f }) => {
      const where = [f.host, f.ip !== undefined ? `${f.ip}${f.port !== undefined ? `:${f.port}` : ''}` : undefined].filter((x) => x !== undefined).join(' ');
      return commentText(`finding: ${f.severity} ${f.id}${where ? ` on ${where}` : ''}: ${f.message}`);
    });
}

/** The header every enforcement output starts with, as comment lines with the given prefix. */
export function headerLines(report: Report, format: string, extra: readonly string[] = []): string[] {
  return [
    `${report.tool.name} ${report.tool.version} --format ${format}`,
    `policy: ${report.policy.name} (${report.policy.minTlsVersion} or better${authenticates(report.policy) ? ', authenticated' : ''})`,
    `scan: ${report.startedAt} to ${report.finishedAt}`,
    'rule: a destination is enforced when deliverable is true under this policy (an address meets it),',
    '      an exception when deliverable is false (the deciding finding is named), left out when it',
    '      could not be assessed (deliverable null).',
    ...extra,
  ].map(commentText);
}

/** Each destination once, in report order, with its decision. */
export function destinations(report: Report): Destination[] {
  return report.targets.map(decide);
}

/** The port the target's addresses were probed on (the relay's own, or the scan's). */
export function probedPort(target: TargetReport): number | null {
  for (const mx of target.mx) for (const a of mx.addresses) return a.port;
  return null;
}
