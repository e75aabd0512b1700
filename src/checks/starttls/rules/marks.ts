/** The STARTTLS check's marks: the negotiated version against the minimum, the suite's class, the certificate's problems. */
import { markOf, type AddressMarker } from '../../../model/check.js';
import { classifyCipher } from '../../../model/cipher-classes.js';
import type { ProbeResult } from '../../../model/probe.js';
import type { CertificateProblem } from '../../../model/report.js';

const PROTOCOL_IDS: ReadonlySet<string> = new Set(['tls.version.below-minimum']);
const CERTIFICATE_IDS: ReadonlySet<string> = new Set([
  'cert.unreadable',
  'cert.expired',
  'cert.not-yet-valid',
  'cert.untrusted',
  'cert.hostname-mismatch',
  'cert.chain.incomplete',
]);

function certificateProblems(probe: ProbeResult): CertificateProblem[] {
  const cert = probe.certificate;
  if (!cert) return ['unreadable'];
  const problems: CertificateProblem[] = [];
  const expired = cert.daysRemaining < 0 || cert.validationError === 'CERT_HAS_EXPIRED';
  const notYetValid = cert.validationError === 'CERT_NOT_YET_VALID';
  if (expired) problems.push('expired');
  if (notYetValid) problems.push('not-yet-valid');
  if (!cert.trusted && !expired && !notYetValid) problems.push(cert.selfSigned ? 'self-signed' : 'untrusted');
  if (!cert.hostnameMatch) problems.push('name-mismatch');
  return problems;
}

export const starttlsMarks: AddressMarker = (address, findings, policy) => {
  const tls = address.probe.tls;
  if (!tls) return {};
  const cipherClass = classifyCipher(tls.cipher.standardName);
  return {
    protocol: markOf(findings, PROTOCOL_IDS),
    cipher: { class: cipherClass, allowed: policy.allowedCipherClasses.includes(cipherClass) },
    certificate: { mark: markOf(findings, CERTIFICATE_IDS), problems: certificateProblems(address.probe) },
  };
};
