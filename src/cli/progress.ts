/**
 * Progress on stderr (a TTY only, never with --no-progress or --quiet): one line,
 * rewritten in place at most 10 times a second, cleared at the end. It is fed by
 * the scan's events; the scan never prints. A batch scan shows its phases
 * (resolving, probing); a streaming one its targets:
 *
 *   12,345/1,000,000 targets · 812/s · 96 in flight · waiting 3 · ETA 20m13s · fail 1,234 · error 56
 *
 * "waiting N": probes sitting in back-off before a retry (--retries).
 */
import type { ScanEvent } from '../scan/scan.js';

export interface Progress {
  update(event: ScanEvent): void;
  done(): void;
}

const number = (n: number): string => n.toLocaleString('en-US');

/** "20m13s", "1h02m", "45s". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** The targets line: written/total, rate, in flight, ETA when the total is known, failures and errors so far. */
export function targetsLine(state: { written: number; total: number | null; inFlight: number; fail: number; error: number; elapsedMs: number; waiting?: number }): string {
  const rate = state.elapsedMs > 0 ? (state.written * 1000) / state.elapsedMs : 0;
  const parts = [
    `${number(state.written)}${state.total !== null ? `/${number(state.total)}` : ''} targets`,
    `${number(Math.round(rate))}/s`,
    `${number(state.inFlight)} in flight`,
  ];
  if ((state.waiting ?? 0) > 0) parts.push(`waiting ${number(state.waiting ?? 0)}`);
  if (state.total !== null && rate > 0) parts.push(`ETA ${duration((state.total - state.written) / rate)}`);
  parts.push(`fail ${number(state.fail)}`, `error ${number(state.error)}`);
  return parts.join(' · ');
}

export function createProgress(stream: NodeJS.WritableStream, enabled: boolean, clock: () => number = Date.now): Progress {
  if (!enabled) return { update: () => undefined, done: () => undefined };
  let shown = false;
  let last = 0;
  const started = clock();
  const counts = { fail: 0, error: 0 };
  const show = (text: string, force = false) => {
    const now = clock();
    if (!force && now - last < 100) return;
    last = now;
    shown = true;
    stream.write(`\r\x1b[2K${text}`);
  };
  return {
    update(event) {
      if (event.type === 'resolved') show(`resolving ${event.done}/${event.total}`, event.done === 0 || event.done === event.total);
      else if (event.type === 'planned') show(`probing 0/${event.probes} addresses`, true);
      else if (event.type === 'probed') {
        if (event.total > 0) show(`probing ${event.done}/${event.total} addresses${(event.waiting ?? 0) > 0 ? ` · waiting ${number(event.waiting ?? 0)}` : ''}`, event.done === event.total);
      } else {
        if (event.status === 'fail') counts.fail += 1;
        else if (event.status === 'error') counts.error += 1;
        show(targetsLine({ written: event.written, total: event.total, inFlight: event.inFlight, ...counts, elapsedMs: clock() - started, ...(event.waiting !== undefined ? { waiting: event.waiting } : {}) }), event.written === 0);
      }
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
