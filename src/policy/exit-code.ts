/** The exit code a report calls for (DESIGN.md): the CLI and `mxready report` use it; library users may too. */
import type { Report } from '../model/report.js';

export const EXIT = { ok: 0, gap: 1, usage: 2, unassessed: 3, internal: 70, sigint: 130, sigterm: 143 } as const;

/** 1 when any target fails, else 3 when any could not be assessed, else 0. */
export function exitCodeFor(report: Pick<Report, 'targets'>): number {
  if (report.targets.some((t) => t.status === 'fail')) return EXIT.gap;
  if (report.targets.some((t) => t.status === 'error')) return EXIT.unassessed;
  return EXIT.ok;
}
