/**
 * Cipher-suite rules: the negotiated suite against the policy's allowed NCSC-NL
 * classes, and, with --enumerate, the weak suites the server still accepts.
 */
import type { Finding } from '../../model/report.js';
import { classifyCipher } from '../cipher-classes.js';
import { finding } from '../findings.js';
import type { AddressRule } from './types.js';

const WEAK_CLASSES = new Set(['insufficient', 'phase-out']);

export const cipherRule: AddressRule = (facts, policy) => {
  const { probe } = facts;
  if (!probe.tls) return [];
  const context = { host: facts.host, ip: facts.ip, port: facts.port };
  const where = `${facts.host} [${facts.ip}]:${facts.port}`;
  const out: Finding[] = [];
  const negotiated = classifyCipher(probe.tls.cipher.standardName);
  if (!policy.allowedCipherClasses.includes(negotiated)) {
    out.push(
      finding(
        'tls.cipher.not-allowed',
        `${where}: negotiated ${probe.tls.cipher.standardName} (${negotiated}); the policy allows ${policy.allowedCipherClasses.join(', ')}`,
        context,
      ),
    );
  }
  const weak = Object.values(probe.enumeration?.ciphers ?? {})
    .flat()
    .filter((c) => WEAK_CLASSES.has(c.class));
  if (weak.length > 0) {
    const names = [...new Set(weak.map((c) => `${c.standardName} (${c.class})`))];
    out.push(finding('tls.cipher.weak-accepted', `${where}: also accepts ${names.join(', ')}`, context));
  }
  return out;
};
