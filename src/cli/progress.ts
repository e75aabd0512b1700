/** Progress on stderr (a TTY only): one line, rewritten in place, cleared at the end. */
import type { ScanEvent } from '../scan/scan.js';

export interface Progress {
  update(event: ScanEvent): void;
  done(): void;
}

export function createProgress(stream: NodeJS.WritableStream, enabled: boolean): Progress {
  if (!enabled) return { update: () => undefined, done: () => undefined };
  let shown = false;
  let last = 0;
  const show = (text: string, force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    shown = true;
    stream.write(`\r\x1b[2K${text}`);
  };
  return {
    update(event) {
      if (event.type === 'resolved') show(`resolving ${event.done}/${event.total}`, event.done === 0 || event.done === event.total);
      else if (event.type === 'planned') show(`probing 0/${event.probes} addresses`, true);
      else show(`probing ${event.done}/${event.total} addresses`, event.done === event.total);
    },
    done() {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
