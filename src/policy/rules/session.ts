/**
 * Rules on how the session ended before any TLS judgement: what could not be
 * assessed (a warning, the target becomes "error") and what is a gap.
 */
import { refusedAfterTls } from '../after-tls.js';
import { finding } from '../findings.js';
import type { AddressRule } from './types.js';

function describe(facts: Parameters<AddressRule>[0]): string {
  const error = facts.probe.error;
  return error ? `${error.message} (${error.phase})` : facts.probe.status;
}

export const sessionRule: AddressRule = (facts) => {
  const { probe } = facts;
  const context = { host: facts.host, ip: facts.ip, port: facts.port };
  const where = `${facts.host} [${facts.ip}]:${facts.port}`;
  switch (probe.status) {
    case 'refused-private':
      return [finding('address.private', `${where}: not connected: ${describe(facts)}`, context)];
    case 'connection-refused':
    case 'connection-timeout':
      return [finding('probe.unreachable', `${where}: ${describe(facts)}`, context)];
    case 'timeout':
      return [finding('probe.timeout', `${where}: ${describe(facts)}`, context)];
    case 'protocol-error':
      return [finding('probe.protocol-error', `${where}: ${describe(facts)}`, context)];
    case 'internal-error':
      return [finding('probe.internal-error', `${where}: ${describe(facts)}`, context)];
    case 'connection-closed':
      if (refusedAfterTls(probe)) {
        return [finding('smtp.rejected-after-tls', `${where}: closed the session right after the TLS handshake`, context)];
      }
      return [finding('probe.connection-closed', `${where}: ${describe(facts)}`, context)];
    case 'smtp-rejected':
      if (refusedAfterTls(probe)) {
        return [finding('smtp.rejected-after-tls', `${where}: refused the session inside TLS: ${describe(facts)}`, context)];
      }
      return [finding('probe.smtp-rejected', `${where}: ${describe(facts)}`, context)];
    case 'no-starttls':
      return [finding('starttls.missing', `${where}: STARTTLS not offered${probe.error ? ` (${probe.error.message})` : ''}`, context)];
    case 'starttls-rejected':
      return [finding('starttls.rejected', `${where}: STARTTLS refused: ${describe(facts)}`, context)];
    case 'tls-failed':
    case 'ok':
      return [];
  }
};
