/**
 * What the terminal formats share: paints (colour applied after layout, by the
 * marks evaluation stored), inert text, and the words for verdicts, delivery and
 * the policy. Pure; imports only the model.
 */
import { Chalk } from 'chalk';
import type { Mark, PolicyReport, Report, TargetReport } from '../model/report.js';
import { sanitizeText } from '../model/sanitize.js';

export interface Paint {
  readonly ok: (s: string) => string;
  readonly gap: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly plain: (s: string) => string;
}

export function paints(color: boolean): Paint {
  const chalk = new Chalk({ level: color ? 1 : 0 });
  return { ok: chalk.green, gap: chalk.red, warn: chalk.yellow, dim: chalk.dim, bold: chalk.bold, plain: (s) => s };
}

/** Paints text by the mark evaluation gave it. */
export function byMark(paint: Paint, mark: Mark): (s: string) => string {
  return mark === 'gap' ? paint.gap : mark === 'warn' ? paint.warn : paint.ok;
}

/** Text made inert (idempotent: text already escaped stays as it is). Every cell passes here before layout and colour. */
export const inert = (text: string): string => sanitizeText(text);

export const VERDICT: Readonly<Record<TargetReport['status'], string>> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR' };

export function verdictPaint(paint: Paint, status: TargetReport['status']): (s: string) => string {
  return status === 'pass' ? paint.ok : status === 'fail' ? paint.gap : paint.warn;
}

/** Whether mail to the target would flow under the policy: delivers, stuck (deliverable false), unknown, or no mail (null MX). */
export function delivery(target: TargetReport): 'delivers' | 'stuck' | 'unknown' | 'no mail' {
  if (target.deliverable === true) return 'delivers';
  if (target.deliverable === false) return 'stuck';
  return target.dns.mxSource === 'null' && target.status === 'pass' ? 'no mail' : 'unknown';
}

export function deliveryPaint(paint: Paint, word: ReturnType<typeof delivery>): (s: string) => string {
  return word === 'delivers' ? paint.ok : word === 'stuck' ? (s) => paint.bold(paint.gap(s)) : word === 'unknown' ? paint.warn : paint.dim;
}

/** What the policy requires, in a few words. */
export function requirements(p: PolicyReport): string {
  return [
    `${p.minTlsVersion}+`,
    'STARTTLS',
    p.requireTrustedChain ? 'trusted chain' : null,
    p.requireHostnameMatch ? 'name match' : null,
    p.requireUnexpired ? 'unexpired' : null,
    p.requireForwardSecrecy ? 'forward secrecy' : null,
    p.allowedCipherClasses && p.allowedCipherClasses.length < 4 ? `${p.allowedCipherClasses.join('/')} ciphers` : null,
    p.forbidLegacyProtocols ? 'no TLS 1.0/1.1 accepted' : null,
    p.minRsaBits > 0 || p.minEcBits > 0 ? `keys RSA ${p.minRsaBits}+ / EC ${p.minEcBits}+` : null,
    p.honorDane === true ? 'DANE honored' : null,
    p.honorMtaSts === true ? 'MTA-STS honored' : null,
    p.requireDane === true ? 'DANE on every MX' : null,
    p.requireMtaSts === true ? 'MTA-STS enforce' : null,
    p.requireDaneOrMtaSts === true ? 'DANE or MTA-STS enforce' : null,
    p.requireTlsRpt === true ? 'TLS-RPT' : null,
  ]
    .filter((x) => x !== null)
    .join(', ');
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '—' : `${Math.round((part / whole) * 100)}%`;
}

function countsLine(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? '—' : entries.map(([k, v]) => `${inert(k)} ×${v}`).join(', ');
}

/** The summary as [label, text, paint of the text] rows: the renderer lays them out. */
export function summaryRows(report: Report): { label: string; text: string }[] {
  const s = report.summary;
  return [
    { label: 'Policy', text: `${inert(report.policy.name)}: requires ${requirements(report.policy)}` },
    {
      label: 'Targets',
      text: `${s.targets}: ${s.pass} pass, ${s.fail} fail, ${s.error} could not be assessed; ${s.stuck} stuck (every address assessed, none meets the policy: the mail would be held)`,
    },
    {
      label: 'Probes',
      text: `${s.probes} addresses: ${s.tlsProbes} negotiated TLS (${percent(s.tlsProbes, s.probes)}), ${s.tls12OrBetterProbes} TLS 1.2 or better (${percent(s.tls12OrBetterProbes, s.probes)})`,
    },
    { label: 'Protocols', text: countsLine(s.byProtocol) },
    ...(s.protection ? [{ label: 'Protection', text: protectionLine(s.protection) }] : []),
    ...(report.baseline
      ? [{ label: 'Baseline', text: `${report.baseline.new} new, ${report.baseline.existing} existing, ${report.baseline.fixed} fixed findings against ${inert(report.baseline.file)}` }]
      : []),
  ];
}

/** Domain targets by protection level, strongest first, those with none left out. */
function protectionLine(p: NonNullable<Report['summary']['protection']>): string {
  const order = ['dane', 'mta-sts-enforce', 'mta-sts-testing', 'opportunistic', 'none', 'unknown'] as const;
  const parts = order.filter((k) => p[k] > 0).map((k) => `${PROTECTION_LABEL[k]} ×${p[k]}`);
  return parts.length === 0 ? '—' : `${parts.join(', ')} (domains, by their weakest MX host)`;
}

/** How the table writes a protection level. */
export const PROTECTION_LABEL = {
  dane: 'dane',
  'mta-sts-enforce': 'mta-sts enforce',
  'mta-sts-testing': 'mta-sts testing',
  opportunistic: 'opportunistic',
  none: 'none',
  unknown: 'unknown',
} as const;
