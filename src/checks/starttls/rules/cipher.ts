/** The negotiated cipher suite against the policy's allowed NCSC-NL classes. */
import type { AddressRule } from '../../../model/check.js';
import { classifyCipher } from '../../../model/cipher-classes.js';
import { at, where } from './context.js';

export const cipherRule: AddressRule = (address, policy) => {
  const { probe } = address;
  if (!probe.tls) return [];
  const negotiated = classifyCipher(probe.tls.cipher.standardName);
  if (policy.allowedCipherClasses.includes(negotiated)) return [];
  return [
    {
      id: 'tls.cipher.not-allowed',
      message: `${where(address)}: negotiated ${probe.tls.cipher.standardName} (${negotiated}); the policy allows ${policy.allowedCipherClasses.join(', ')}`,
      ...at(address),
    },
  ];
};
