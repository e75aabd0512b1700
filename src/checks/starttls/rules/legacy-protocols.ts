/**
 * TLS 1.0 and 1.1 (RFC 8996): whether the server still accepts them from a
 * client that offers only those. A modern client never offers them, so only a
 * session that does can tell: the enumeration, the legacy-acceptance session,
 * or the legacy check's session (which offered only TLS 1.0-1.1). Without one,
 * a policy that forbids them gets "not measured", never a guess.
 */
import { NOT_MEASURED, type AddressRule } from '../../../model/check.js';
import type { ProbeResult } from '../../../model/probe.js';
import { at, where } from './context.js';

const LEGACY: readonly string[] = ['TLSv1', 'TLSv1.1'];

/**
 * The legacy versions the server accepted, or null when no session could tell.
 * The legacy-acceptance session is depth a policy asks for: only a policy that
 * forbids legacy protocols judges it, so that a report made with it and judged
 * under another policy says what a scan under that policy says.
 */
function acceptedLegacy(probe: ProbeResult, forbidden: boolean): string[] | null {
  if (probe.enumeration) return LEGACY.filter((v) => probe.enumeration?.protocols[v as 'TLSv1'] === true);
  if (probe.legacyCheck === 'negotiated' && probe.tls) return [probe.tls.protocol];
  if (probe.legacyAccepted !== undefined) return probe.legacyAccepted === null || !forbidden ? [] : [probe.legacyAccepted];
  return null;
}

export const legacyProtocolRule: AddressRule = (address, policy) => {
  const { probe } = address;
  if (!probe.tls) return [];
  const accepted = acceptedLegacy(probe, policy.forbidLegacyProtocols);
  if (accepted === null) {
    if (!policy.forbidLegacyProtocols) return [];
    const message = `${where(address)}: not measured: whether it still accepts TLSv1 or TLSv1.1 (run with --legacy-acceptance or --enumerate)`;
    return [{ id: NOT_MEASURED, message, ...at(address), unassessed: { code: 'not-measured', message } }];
  }
  if (accepted.length === 0) return [];
  return [
    {
      id: 'tls.legacy-protocol.accepted',
      message: `${where(address)}: still accepts ${accepted.join(' and ')} from a client that offers only old versions`,
      ...at(address),
      ...(policy.forbidLegacyProtocols ? { severity: 'fail' as const } : {}),
    },
  ];
};
