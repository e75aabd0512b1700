/**
 * TLS 1.0 and 1.1 (RFC 8996): whether the server still accepts them, from
 * --enumerate or from the separate legacy-acceptance session a policy with
 * forbidLegacyProtocols makes. A modern client never offers them, so only such
 * a probe can tell.
 */
import { finding } from '../findings.js';
import type { AddressRule } from './types.js';

const LEGACY = ['TLSv1', 'TLSv1.1'] as const;

export const legacyProtocolRule: AddressRule = (facts, policy) => {
  const { probe } = facts;
  if (!probe.tls) return []; // a server that speaks nothing newer is tls.version.below-minimum already
  const accepted = probe.enumeration
    ? LEGACY.filter((v) => probe.enumeration?.protocols[v] === true)
    : probe.legacyAccepted
      ? [probe.legacyAccepted]
      : [];
  if (accepted.length === 0) return [];
  return [
    finding(
      'tls.legacy-protocol.accepted',
      `${facts.host} [${facts.ip}]:${facts.port}: still accepts ${accepted.join(' and ')} from a client that offers only old versions`,
      { host: facts.host, ip: facts.ip, port: facts.port },
      policy.forbidLegacyProtocols ? 'fail' : undefined,
    ),
  ];
};
