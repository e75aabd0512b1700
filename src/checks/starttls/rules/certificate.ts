/**
 * Certificate rules. Under `encrypt` they are warnings (an enforcing client
 * that does not verify still delivers); `verify` makes them gaps.
 */
import { isWeakSignature } from './chain.js';
import type { AddressRule, RuleFinding } from '../../../model/check.js';
import { at, finding, where as whereOf } from './context.js';

const EXPIRY_ERRORS = new Set(['CERT_HAS_EXPIRED']);
const NOT_YET_VALID_ERRORS = new Set(['CERT_NOT_YET_VALID']);

/**
 * OpenSSL's reason, with a hint where Node only says UNSPECIFIED (it has no name
 * for some OpenSSL 3 codes, e.g. "CA signature digest algorithm too weak").
 */
function describeValidationError(cert: { validationError: string | null; chain: readonly { signatureAlgorithm: string }[]; signatureAlgorithm: string }): string {
  const code = cert.validationError ?? 'unknown reason';
  if (code !== 'UNSPECIFIED') return code;
  const weak = [cert.signatureAlgorithm, ...cert.chain.map((c) => c.signatureAlgorithm)].find(isWeakSignature);
  return weak ? `UNSPECIFIED; the chain is signed with ${weak}, which OpenSSL rejects at its default security level` : 'UNSPECIFIED';
}


export const certificateRule: AddressRule = (facts, policy) => {
  const { probe } = facts;
  const context = at(facts);
  const where = whereOf(facts);
  if (!probe.tls) return [];
  const cert = probe.certificate;
  if (!cert) {
    const severity = policy.requireTrustedChain ? 'fail' : undefined;
    return [finding('cert.unreadable', `${where}: no readable certificate`, context, severity)];
  }
  const out: RuleFinding[] = [];
  const expired = cert.daysRemaining < 0 || EXPIRY_ERRORS.has(cert.validationError ?? '');
  const notYetValid = NOT_YET_VALID_ERRORS.has(cert.validationError ?? '');
  if (expired) {
    out.push(
      finding(
        'cert.expired',
        `${where}: certificate expired on ${cert.notAfter.slice(0, 10)}`,
        context,
        policy.requireUnexpired ? 'fail' : 'warn',
      ),
    );
  } else if (cert.daysRemaining < policy.expiryWarnDays) {
    out.push(finding('cert.expiring-soon', `${where}: certificate expires in ${cert.daysRemaining} days (${cert.notAfter.slice(0, 10)})`, context));
  }
  if (notYetValid) {
    out.push(
      finding('cert.not-yet-valid', `${where}: certificate not valid before ${cert.notBefore.slice(0, 10)}`, context, policy.requireUnexpired ? 'fail' : 'warn'),
    );
  }
  // An expired or not-yet-valid but otherwise good chain is reported once, as such.
  const dateError = EXPIRY_ERRORS.has(cert.validationError ?? '') || NOT_YET_VALID_ERRORS.has(cert.validationError ?? '');
  const untrustedForOtherReasons = !cert.trusted && !dateError;
  if (untrustedForOtherReasons) {
    const why = cert.selfSigned ? 'self-signed' : describeValidationError(cert);
    out.push(
      finding('cert.untrusted', `${where}: certificate not trusted (${why})`, context, policy.requireTrustedChain ? 'fail' : 'warn'),
    );
  }
  if (cert.chainLength !== undefined) {
    out.push(finding('cert.chain-too-long', `${where}: the server sent ${cert.chainLength} certificates; the first ${cert.chain.length} are kept`, context));
  }
  if (!cert.hostnameMatch) {
    const names = cert.subjectAltNames.length > 0 ? cert.subjectAltNames.join(', ') : `CN=${cert.commonNames.join(', CN=')}`;
    out.push(
      finding(
        'cert.hostname-mismatch',
        `${where}: certificate does not name ${facts.host} (it names ${names})`,
        context,
        policy.requireHostnameMatch ? 'fail' : 'warn',
      ),
    );
  }
  return out;
};
