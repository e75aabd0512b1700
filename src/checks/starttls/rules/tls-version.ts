/** Rules on the TLS handshake and the negotiated protocol. */
import { NOT_MEASURED, type AddressRule, type RuleFinding } from '../../../model/check.js';
import { meetsMinimum } from '../../../model/tls-versions.js';
import { at, where } from './context.js';

/**
 * A server whose first session (TLS 1.2-1.3) failed for want of a common
 * version, and the legacy check did not tell what it speaks (off, or it did not
 * reach a handshake). Under a minimum of TLS 1.2 or more that is a gap either
 * way; under TLS 1.0/1.1 the answer was not measured.
 */
const handshakeRule: AddressRule = (address, policy) => {
  const { probe } = address;
  if (probe.status !== 'tls-failed') return [];
  const reason = probe.error?.message ?? 'unknown reason';
  const speaksOlderUnknown = probe.error?.code === 'tls-version-unsupported' && probe.legacyCheck !== 'refused';
  if (speaksOlderUnknown && !meetsMinimum(policy.minTlsVersion, 'TLSv1.2')) {
    const how =
      probe.legacyCheck === 'incomplete'
        ? 'the legacy check did not reach a handshake; scan again to measure it'
        : 'the legacy check was off: scan again without --no-legacy-check to measure it';
    const message = `${where(address)}: not measured: whether it speaks ${policy.minTlsVersion} (${how})`;
    return [{ id: NOT_MEASURED, message, ...at(address), unassessed: { code: 'not-measured', message } }];
  }
  const text = /^TLS handshake failed/.test(reason) ? reason : `TLS handshake failed: ${reason}`;
  return [{ id: 'tls.handshake.failed', message: `${where(address)}: ${text}`, ...at(address) }];
};

const negotiatedRule: AddressRule = (address, policy) => {
  const { probe } = address;
  if (!probe.tls) return [];
  const out: RuleFinding[] = [];
  if (!meetsMinimum(probe.tls.protocol, policy.minTlsVersion)) {
    const only = probe.legacyCheck === 'negotiated' ? `speaks only ${probe.tls.protocol}` : `negotiated ${probe.tls.protocol}`;
    out.push({ id: 'tls.version.below-minimum', message: `${where(address)}: ${only}; the policy requires ${policy.minTlsVersion} or better`, ...at(address) });
  } else if (probe.tls.protocol !== 'TLSv1.3') {
    out.push({ id: 'tls.no-tls13', message: `${where(address)}: negotiated ${probe.tls.protocol}, not TLSv1.3`, ...at(address) });
  }
  if (!probe.tls.forwardSecrecy) {
    out.push({
      id: 'tls.forward-secrecy.missing',
      message: `${where(address)}: ${probe.tls.cipher.name} has no forward secrecy`,
      ...at(address),
      ...(policy.requireForwardSecrecy ? { severity: 'fail' as const } : {}),
    });
  }
  if ((probe.plaintextDiscardedBytes ?? 0) > 0) {
    out.push({
      id: 'tls.plaintext-injected',
      message: `${where(address)}: ${probe.plaintextDiscardedBytes} bytes of plaintext followed the 220 to STARTTLS and were discarded`,
      ...at(address),
    });
  }
  return out;
};

export const tlsVersionRules: readonly AddressRule[] = [handshakeRule, negotiatedRule];
