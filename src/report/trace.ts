/** The --trace section of the table: each address's dialogue, session by session, after the report. */
import type { TranscriptSession } from '../model/probe.js';
import type { Report } from '../model/report.js';
import { hanging, wrap } from './layout.js';
import { inert, type Paint } from './text.js';

const ARROW = { sent: '>', received: '<', tls: '*', note: '-' } as const;

function sessionLines(session: TranscriptSession, width: number, paint: Paint): string[] {
  const lines = [`  ${paint.bold(session.session)}`];
  for (const entry of session.entries) {
    const time = `${entry.ms.toFixed(1).padStart(8)} ms ${ARROW[entry.kind]} `;
    const colour = entry.kind === 'sent' ? paint.plain : entry.kind === 'received' ? paint.dim : paint.plain;
    lines.push(...hanging(`    ${time}`, ' '.repeat(4 + time.length), inert(entry.text), width).map((l) => colour(l)));
  }
  if (session.omitted) lines.push(paint.dim(`    … ${session.omitted} more entries not kept`));
  return lines;
}

/** Every address with a transcript, once: its sessions and, with --enumerate, one line per handshake. */
export function traceLines(report: Report, width: number, paint: Paint): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const target of report.targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const key = `${address.ip}|${address.port}`;
        const sessions = [...(address.probe.transcript ?? []), ...(address.probe.enumeration?.transcript ? [address.probe.enumeration.transcript] : [])];
        if (sessions.length === 0 || seen.has(key)) continue;
        seen.add(key);
        out.push(...wrap(`${inert(mx.host)} [${address.ip}]:${address.port}`, width).map((l) => paint.bold(l)));
        for (const session of sessions) out.push(...sessionLines(session, width, paint));
      }
    }
  }
  return out;
}
