/**
 * GitHub Actions annotations: when GITHUB_ACTIONS is "true" (and without
 * --no-annotations), whatever the format, one `::error` per fail finding and
 * one `::warning` per warn finding (with a baseline: new ones only), at most 10
 * of each, errors first, then one `::notice::K more findings`. They go to
 * stderr, so stdout stays the report: the runner reads workflow commands on both.
 */
import type { Finding, TargetReport } from '../model/report.js';
import { sanitizeText } from '../model/sanitize.js';

export const MAX_ANNOTATIONS_PER_KIND = 10;

/** A workflow command's data: %, CR and LF escaped. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: the data escapes, and ':' and ','. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

interface Kept {
  readonly target: TargetReport;
  readonly finding: Finding;
}

export class Annotations {
  readonly #errors: Kept[] = [];
  readonly #warnings: Kept[] = [];
  #more = 0;

  /** Notes a target's fail and warn findings (new ones only, when marked against a baseline). */
  add(target: TargetReport): void {
    for (const finding of target.findings) {
      if (finding.baseline === 'existing') continue;
      const into = finding.severity === 'fail' ? this.#errors : finding.severity === 'warn' ? this.#warnings : null;
      if (into === null) continue;
      if (into.length < MAX_ANNOTATIONS_PER_KIND) into.push({ target, finding });
      else this.#more += 1;
    }
  }

  /** The workflow command lines, errors first, each ending in a newline. */
  lines(): string[] {
    const line = (command: 'error' | 'warning', { target, finding }: Kept): string => {
      const properties = [
        ...(target.source ? [`file=${escapeProperty(target.source.file)}`, `line=${target.source.line}`] : []),
        `title=${escapeProperty(finding.id)}`,
      ];
      const where = [finding.host, finding.ip].filter((x) => x !== undefined).join(' ');
      const text = `${target.domain}${where ? ` (${where})` : ''}: ${finding.message}`;
      return `::${command} ${properties.join(',')}::${sanitizeText(escapeData(text))}\n`;
    };
    const out = [...this.#errors.map((k) => line('error', k)), ...this.#warnings.map((k) => line('warning', k))];
    if (this.#more > 0) out.push(`::notice::${this.#more} more findings\n`);
    return out;
  }
}

/** Whether annotations are wanted: on GitHub Actions, and not switched off. */
export function annotationsWanted(env: NodeJS.ProcessEnv, enabled: boolean): boolean {
  return enabled && env['GITHUB_ACTIONS'] === 'true';
}
