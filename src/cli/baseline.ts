/**
 * --baseline FILE: a saved scan (a JSON report or an NDJSON stream, read as a
 * stream) whose findings are the known ones. A finding's identity is (target
 * key, finding id, MX host or ""): addresses, ports and messages are left out,
 * since MX addresses rotate and messages carry day counts. Each finding of this
 * scan is marked `new` or `existing`; identities the baseline held that this
 * scan lacks are `fixed`. The exit code then counts only new findings
 * (src/policy/exit-code.ts); `status` and `deliverable` do not change.
 */
import type { BaselineIdentity, BaselineSummary, PolicyReport, Report, TargetReport } from '../model/report.js';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { keyOfTarget } from '../model/target-key.js';
import { firstLineOf, readTextInput, textLines } from './files.js';
import { isNdjsonHeader, ndjsonLines } from './ndjson-io.js';
import { parseSavedReport } from './saved-report.js';

/** The fixed identities listed at most. */
export const MAX_FIXED_LISTED = 1000;

const SEP = '\u0000';

function identity(key: string, id: string, host: string | undefined): string {
  return `${key}${SEP}${id}${SEP}${host ?? ''}`;
}

export class Baseline {
  readonly #known = new Set<string>();
  readonly #seen = new Set<string>();
  #new = 0;
  #existing = 0;

  constructor(
    readonly file: string,
    readonly policy: PolicyReport | null,
  ) {}

  /** Adds a saved target's findings to the known ones. */
  learn(target: TargetReport): void {
    const key = keyOfTarget(target);
    for (const f of target.findings) this.#known.add(identity(key, f.id, f.host));
  }

  /** The target with each finding marked new or existing. */
  mark(target: TargetReport): TargetReport {
    const key = keyOfTarget(target);
    const findings = target.findings.map((f) => {
      const id = identity(key, f.id, f.host);
      this.#seen.add(id);
      const known = this.#known.has(id);
      if (known) this.#existing += 1;
      else this.#new += 1;
      return { ...f, baseline: known ? ('existing' as const) : ('new' as const) };
    });
    return { ...target, findings };
  }

  /** The report with every target marked and the comparison's summary. */
  apply(report: Report): Report {
    const targets = report.targets.map((t) => this.mark(t));
    return { ...report, targets, baseline: this.summary() };
  }

  /** New, existing and fixed so far. */
  summary(): BaselineSummary {
    const fixed: BaselineIdentity[] = [];
    let count = 0;
    for (const id of this.#known) {
      if (this.#seen.has(id)) continue;
      count += 1;
      if (fixed.length < MAX_FIXED_LISTED) {
        const [key = '', findingId = '', host = ''] = id.split(SEP);
        fixed.push({ key, id: findingId, host });
      }
    }
    return { file: this.file, new: this.#new, existing: this.#existing, fixed: count, fixedList: fixed };
  }

  /** One stderr line when the baseline was judged under another policy (its findings may differ for that reason alone), else null. */
  policyWarning(current: PolicyReport): string | null {
    if (this.policy === null || JSON.stringify(this.policy) === JSON.stringify(current)) return null;
    return `mxready: --baseline ${quoted(this.file)} was judged under policy ${quoted(this.policy.name)} with other settings than this run's ${quoted(current.name)}: findings that only the policy changed count as new or fixed`;
  }
}

/** Reads a baseline before any traffic; an unreadable or invalid one is a usage error (exit 2). */
export async function loadBaseline(path: string, stdin: NodeJS.ReadableStream): Promise<Baseline> {
  if (path === '-') throw new UsageError('--baseline reads a file, not stdin');
  try {
    if (isNdjsonHeader(firstLineOf(path))) {
      let baseline: Baseline | null = null;
      for await (const line of ndjsonLines(textLines(path), path)) {
        if (line.type === 'header') baseline ??= new Baseline(path, line.policy);
        else if (line.type === 'target') baseline?.learn(line.target);
      }
      return baseline ?? new Baseline(path, null);
    }
    const saved = parseSavedReport(await readTextInput(path, stdin), path);
    const baseline = new Baseline(path, saved.report.policy);
    for (const target of saved.report.targets) baseline.learn(target);
    return baseline;
  } catch (error) {
    // Said as the option: "cannot read --baseline PATH: no such file", "--baseline: PATH: not a report".
    const unreadable = `cannot read ${quoted(path)}: `;
    if (error instanceof UsageError) throw new UsageError(error.message.startsWith(unreadable) ? `cannot read --baseline ${quoted(path)}: ${error.message.slice(unreadable.length)}` : `--baseline: ${error.message}`);
    throw error;
  }
}
