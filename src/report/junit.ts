/**
 * --format junit: one test case per target for CI test reports. A `fail`
 * target is a <failure> naming its first fail finding and listing every one
 * (with a baseline: only when a fail finding is new); an `error` target is an
 * <error>; warnings and info go to <system-out>. Text is XML-escaped and the
 * characters XML 1.0 forbids become `\xNN` text. Pure.
 */
import type { Finding, Report, TargetReport } from '../model/report.js';
import type { Format } from './catalog.js';
import { bySeverity, longestProbeSeconds } from './facts.js';

const FORBIDDEN = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

/** Text for an XML 1.0 attribute or element: escaped, forbidden characters as \xNN (\uNNNN above 0xFF). */
export function escapeXml(text: string): string {
  return text
    .replace(FORBIDDEN, (ch) => {
      const code = ch.codePointAt(0) ?? 0;
      return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    })
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** One finding as a line: its severity, id, whether it is new, and its message (which names where). */
function findingLine(f: Finding): string {
  return `${f.severity} ${f.id}${f.baseline === 'new' ? ' (new)' : ''}: ${f.message}`;
}

/** Whether the target counts as a failure: it fails, and (with a baseline) a fail finding is new. */
function failed(target: TargetReport, baseline: boolean): boolean {
  if (target.status !== 'fail') return false;
  return !baseline || target.findings.some((f) => f.severity === 'fail' && f.baseline === 'new');
}

function testcase(target: TargetReport, baseline: boolean): string {
  const attrs = `classname="mxready.${target.kind}" name="${escapeXml(target.input)}" time="${longestProbeSeconds(target).toFixed(3)}"`;
  const body: string[] = [];
  const fails = target.findings.filter((f) => f.severity === 'fail');
  if (failed(target, baseline)) {
    const first = (baseline ? fails.find((f) => f.baseline === 'new') : undefined) ?? fails[0];
    const message = first?.message ?? 'the target fails the policy';
    body.push(`      <failure type="${escapeXml(first?.id ?? 'fail')}" message="${escapeXml(message)}">${escapeXml(fails.map(findingLine).join('\n'))}</failure>`);
  } else if (target.status === 'error') {
    body.push(`      <error type="${escapeXml(target.error?.code ?? 'error')}" message="${escapeXml(target.error?.message ?? 'not assessed')}"/>`);
  }
  const rest = bySeverity(target.findings.filter((f) => f.severity !== 'fail' || !failed(target, baseline)));
  if (rest.length > 0) body.push(`      <system-out>${escapeXml(rest.map(findingLine).join('\n'))}</system-out>`);
  return body.length === 0 ? `    <testcase ${attrs}/>\n` : `    <testcase ${attrs}>\n${body.join('\n')}\n    </testcase>\n`;
}

export function* renderJunit(report: Report): Iterable<string> {
  const baseline = report.baseline !== undefined;
  const failures = report.targets.filter((t) => failed(t, baseline)).length;
  const errors = report.targets.filter((t) => t.status === 'error').length;
  const seconds = Math.max(0, (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000);
  const counts = `tests="${report.targets.length}" failures="${failures}" errors="${errors}" time="${(Number.isFinite(seconds) ? seconds : 0).toFixed(3)}"`;
  yield '<?xml version="1.0" encoding="UTF-8"?>\n';
  yield `<testsuites name="mxready" ${counts}>\n`;
  yield `  <testsuite name="${escapeXml(`mxready policy ${report.policy.name}`)}" ${counts} timestamp="${escapeXml(report.startedAt)}">\n`;
  for (const target of report.targets) yield testcase(target, baseline);
  yield '  </testsuite>\n</testsuites>\n';
}

export const JUNIT_FORMAT = {
  name: 'junit',
  description: 'JUnit XML for CI test reports: one test case per target',
  render: (report: Report) => renderJunit(report),
} as const satisfies Format;
