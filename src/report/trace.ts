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

/** Every address with a transcript, once (headed by every MX name that led to it): its sessions and, with --enumerate, one line per handshake. */
export function traceLines(report: Report, width: number, paint: Paint): string[] {
  const addresses = new Map<string, { hosts: string[]; ip: string; port: number; sessions: TranscriptSession[] }>();
  for (const target of report.targets) {
    for (const mx of target.mx) {
      for (const address of mx.addresses) {
        const sessions = [...(address.probe.transcript ?? []), ...(address.probe.enumeration?.transcript ? [address.probe.enumeration.transcript] : [])];
        if (sessions.length === 0) continue;
        const key = `${address.ip}|${address.port}`;
        const seen = addresses.get(key);
        if (seen === undefined) addresses.set(key, { hosts: [mx.host], ip: address.ip, port: address.port, sessions });
        else if (!seen.hosts.includes(mx.host)) seen.hosts.push(mx.host);
      }
    }
  }
  const out: string[] = [];
  for (const { hosts, ip, port, sessions } of addresses.values()) {
    const [first = '', ...others] = hosts.map(inert);
    const also = others.length === 0 ? '' : ` (also ${others.join(', ')})`;
    out.push(...wrap(`${first} [${ip}]:${port}${also}`, width).map((l) => paint.bold(l)));
    for (const session of sessions) out.push(...sessionLines(session, width, paint));
  }
  return out;
}
