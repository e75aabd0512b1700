/**
 * Certificate-depth rules over the chain as sent: order and completeness,
 * SHA-1/MD5 signatures and small keys below the root (RFC 9325 §4.2, BCP 195).
 */
import type { ChainCertificate } from '../../../model/probe.js';
import type { AddressRule, RuleFinding } from '../../../model/check.js';
import { at, finding, where as whereOf } from './context.js';

/** OpenSSL's verdicts that mean "the issuer of some certificate was not found". */
const MISSING_ISSUER = new Set(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT']);
const WEAK_SIGNATURE = /sha1|md5|md2/i;

/** SHA-1, MD5 or MD2 signatures: RFC 9325 §4.2 wants SHA-2, OpenSSL's default security level refuses them. */
export function isWeakSignature(signatureAlgorithm: string): boolean {
  return WEAK_SIGNATURE.test(signatureAlgorithm);
}
const RECOMMENDED = { rsa: 2048, ec: 256 } as const;

/** Certificates below the root: a self-signed one is a trust anchor, its own signature and key matter less. */
function belowRoot(chain: readonly ChainCertificate[]): ChainCertificate[] {
  return chain.filter((c) => !c.selfSigned);
}

function orderProblem(chain: readonly ChainCertificate[]): string | null {
  for (let i = 0; i + 1 < chain.length; i += 1) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (child && parent && (child.selfSigned || child.issuer !== parent.subject)) {
      return `certificate ${i + 2} (${parent.subject}) did not issue certificate ${i + 1} (${child.subject})`;
    }
  }
  return null;
}

export const chainRule: AddressRule = (facts, policy) => {
  const { probe } = facts;
  const cert = probe.certificate;
  if (!probe.tls || !cert) return [];
  const context = at(facts);
  const where = whereOf(facts);
  const out: RuleFinding[] = [];
  const chain = cert.chain;

  if (cert.chainAsSent === true) {
    const problem = orderProblem(chain);
    if (problem) out.push(finding('cert.chain.order', `${where}: chain not in order: ${problem}`, context));
    const last = chain[chain.length - 1];
    if (!cert.trusted && last && !last.selfSigned && MISSING_ISSUER.has(cert.validationError ?? '')) {
      out.push(
        finding(
          'cert.chain.incomplete',
          `${where}: the issuer of ${last.subject} (${last.issuer}) is not sent and not a known root: a missing intermediate`,
          context,
          policy.requireTrustedChain ? 'fail' : undefined,
        ),
      );
    }
  }

  for (const c of belowRoot(chain)) {
    if (isWeakSignature(c.signatureAlgorithm)) {
      out.push(finding('cert.sha1-signature', `${where}: ${c.subject} is signed with ${c.signatureAlgorithm}`, context));
    }
    const recommended = c.keyType === 'rsa' ? RECOMMENDED.rsa : c.keyType === 'ec' ? RECOMMENDED.ec : null;
    const required = c.keyType === 'rsa' ? policy.minRsaBits : c.keyType === 'ec' ? policy.minEcBits : 0;
    if (recommended === null || c.keyBits === null) continue;
    if (c.keyBits < Math.max(recommended, required)) {
      const severity = c.keyBits < required ? 'fail' : undefined;
      const wanted = c.keyBits < required ? `the policy requires ${required}` : `${recommended} is recommended`;
      out.push(finding('cert.key.weak', `${where}: ${c.subject} has a ${c.keyType.toUpperCase()} ${c.keyBits}-bit key; ${wanted}`, context, severity));
    }
  }
  return out;
};
