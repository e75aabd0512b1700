/**
 * Rules on how the session ended before any TLS judgement: what could not be
 * assessed (a warning that leaves the address not assessed) and what is a gap.
 */
import type { AddressRule, AddressView, RuleFinding } from '../../../model/check.js';
import type { ProbeResult } from '../../../model/probe.js';
import { at, where } from './context.js';

/**
 * The session ended after a completed handshake (the EHLO inside TLS, or an
 * implicit-TLS greeting): a refusal there is a gap, not "could not be assessed".
 */
function refusedAfterTls(probe: ProbeResult): boolean {
  return probe.error?.phase === 'ehlo-after-tls' || (probe.tls !== undefined && probe.error?.phase !== 'tls');
}

function describe(probe: ProbeResult): string {
  return probe.error ? `${probe.error.message} (${probe.error.phase})` : probe.status;
}

/** A finding that leaves the address not assessed, with the probe's error as the reason. */
function unassessed(address: AddressView, id: string, message: string): RuleFinding {
  const error = address.probe.error;
  const reason = { code: error?.code ?? address.probe.status, message: `${address.host} [${address.ip}]: ${error?.message ?? address.probe.status}` };
  return { id, message, ...at(address), unassessed: reason };
}

export const sessionRule: AddressRule = (address) => {
  const { probe } = address;
  const text = `${where(address)}: ${describe(probe)}`;
  switch (probe.status) {
    case 'refused-private':
      return [unassessed(address, 'address.private', `${where(address)}: not connected: ${describe(probe)}`)];
    case 'connection-refused':
    case 'connection-timeout':
      return [unassessed(address, 'probe.unreachable', text)];
    case 'timeout':
      return [unassessed(address, 'probe.timeout', text)];
    case 'protocol-error':
      return [unassessed(address, 'probe.protocol-error', text)];
    case 'internal-error':
      return [unassessed(address, 'probe.internal-error', text)];
    case 'connection-closed':
      if (refusedAfterTls(probe)) {
        return [{ id: 'smtp.rejected-after-tls', message: `${where(address)}: closed the session right after the TLS handshake`, ...at(address) }];
      }
      return [unassessed(address, 'probe.connection-closed', text)];
    case 'smtp-rejected':
      if (refusedAfterTls(probe)) {
        return [{ id: 'smtp.rejected-after-tls', message: `${where(address)}: refused the session inside TLS: ${describe(probe)}`, ...at(address) }];
      }
      return [unassessed(address, 'probe.smtp-rejected', text)];
    case 'no-starttls':
      return [{ id: 'starttls.missing', message: `${where(address)}: STARTTLS not offered${probe.error ? ` (${probe.error.message})` : ''}`, ...at(address) }];
    case 'starttls-rejected':
      return [{ id: 'starttls.rejected', message: `${where(address)}: STARTTLS refused: ${describe(probe)}`, ...at(address) }];
    case 'tls-failed':
    case 'ok':
      return [];
  }
};
