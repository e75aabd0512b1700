/** Rules on the TLS handshake and the negotiated protocol. */
import { finding } from '../findings.js';
import { meetsMinimum } from '../../model/tls-versions.js';
import type { AddressRule } from './types.js';

export const tlsVersionRule: AddressRule = (facts, policy) => {
  const { probe } = facts;
  const context = { host: facts.host, ip: facts.ip, port: facts.port };
  const where = `${facts.host} [${facts.ip}]:${facts.port}`;
  if (probe.status === 'tls-failed') {
    if (probe.legacyProtocol) {
      return [
        finding(
          'tls.version.below-minimum',
          `${where}: speaks only ${probe.legacyProtocol}; the policy requires ${policy.minTlsVersion} or better`,
          context,
        ),
      ];
    }
    return [finding('tls.handshake.failed', `${where}: TLS handshake failed: ${probe.error?.message ?? 'unknown reason'}`, context)];
  }
  if (!probe.tls) return [];
  const out = [];
  if (!meetsMinimum(probe.tls.protocol, policy.minTlsVersion)) {
    out.push(
      finding(
        'tls.version.below-minimum',
        `${where}: negotiated ${probe.tls.protocol}; the policy requires ${policy.minTlsVersion} or better`,
        context,
      ),
    );
  } else if (probe.tls.protocol !== 'TLSv1.3') {
    out.push(finding('tls.no-tls13', `${where}: negotiated ${probe.tls.protocol}, not TLSv1.3`, context));
  }
  if (!probe.tls.forwardSecrecy) {
    const severity = policy.requireForwardSecrecy ? 'fail' : undefined;
    out.push(finding('tls.forward-secrecy.missing', `${where}: ${probe.tls.cipher.name} has no forward secrecy`, context, severity));
  }
  if ((probe.plaintextDiscardedBytes ?? 0) > 0) {
    out.push(
      finding(
        'tls.plaintext-injected',
        `${where}: ${probe.plaintextDiscardedBytes} bytes of plaintext followed the 220 to STARTTLS and were discarded`,
        context,
      ),
    );
  }
  return out;
};
