/** The exit code a report calls for (DESIGN.md): the CLI and `mxready report` use it; library users may too. */
import type { Finding, Report } from '../model/report.js';

export const EXIT = { ok: 0, gap: 1, usage: 2, unassessed: 3, internal: 70, ioError: 74, sigint: 130, stdoutClosed: 141, sigterm: 143 } as const;

/** What makes exit 1: a gap (a fail finding, the default), or with "warn" also any warning. */
export type FailOn = 'fail' | 'warn';

/**
 * 1 when any target fails (or, with failOn "warn", has a warning), else 3 when
 * any could not be assessed, else 0. Against a baseline (findings marked `new`
 * or `existing`), only a new finding that reaches failOn makes 1.
 */
export function exitCodeFor(report: Pick<Report, 'targets'> & Partial<Pick<Report, 'baseline'>>, failOn: FailOn = 'fail'): number {
  if (report.baseline !== undefined || report.targets.some((t) => t.findings.some((f) => f.baseline !== undefined))) {
    const reaches = (f: Finding): boolean => f.baseline !== 'existing' && (f.severity === 'fail' || (failOn === 'warn' && f.severity === 'warn'));
    if (report.targets.some((t) => t.findings.some(reaches))) return EXIT.gap;
    return report.targets.some((t) => t.status === 'error') ? EXIT.unassessed : EXIT.ok;
  }
  if (report.targets.some((t) => t.status === 'fail')) return EXIT.gap;
  if (failOn === 'warn' && report.targets.some((t) => t.findings.some((f) => f.severity === 'warn'))) return EXIT.gap;
  if (report.targets.some((t) => t.status === 'error')) return EXIT.unassessed;
  return EXIT.ok;
}
