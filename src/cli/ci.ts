/**
 * What CI runs add to any format: the baseline's marks (--baseline) and GitHub
 * annotations (on stderr). One object per command run, fed every target as it
 * is written, whole report or stream alike.
 */
import type { PolicyReport, Report, TargetReport } from '../model/report.js';
import { Annotations, annotationsWanted } from './annotations.js';
import { loadBaseline, type Baseline } from './baseline.js';
import { stdoutGone, type CliIo } from './output.js';

export interface CiOptions {
  baseline?: string;
  /** --no-annotations makes it false. */
  annotations?: boolean;
}

export class CiRun {
  readonly #annotations: Annotations | null;
  #warned = false;

  private constructor(
    readonly baseline: Baseline | null,
    annotate: boolean,
    private readonly io: CliIo,
  ) {
    this.#annotations = annotate ? new Annotations() : null;
  }

  /** Reads --baseline (exit 2 when it cannot be used) before any traffic. */
  static async open(opts: CiOptions, io: CliIo): Promise<CiRun> {
    const baseline = opts.baseline === undefined ? null : await loadBaseline(opts.baseline, io.stdin);
    return new CiRun(baseline, annotationsWanted(io.env, opts.annotations !== false), io);
  }

  /** One stderr warning, once, when the baseline was judged under another policy. */
  policy(current: PolicyReport): void {
    if (this.#warned || this.baseline === null) return;
    this.#warned = true;
    const warning = this.baseline.policyWarning(current);
    if (warning !== null) this.io.stderr.write(`${warning}\n`);
  }

  /** A target as it is written: marked against the baseline, noted for the annotations. */
  target(target: TargetReport): TargetReport {
    const marked = this.baseline === null ? target : this.baseline.mark(target);
    this.#annotations?.add(marked);
    return marked;
  }

  /** A whole report: every target marked and noted, and the baseline's summary. */
  report(report: Report): Report {
    this.policy(report.policy);
    const targets = report.targets.map((t) => this.target(t));
    return this.baseline === null ? { ...report, targets } : { ...report, targets, baseline: this.baseline.summary() };
  }

  /** The annotations, on stderr, after the report; none when stdout turned out closed (its reader went away). */
  async finish(): Promise<void> {
    if (this.#annotations === null) return;
    if (await stdoutGone(this.io)) return;
    for (const line of this.#annotations.lines()) this.io.stderr.write(line);
  }
}
