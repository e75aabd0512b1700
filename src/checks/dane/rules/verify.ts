/**
 * DANE verification for SMTP (RFC 7672 §3), pure: does a usable TLSA record
 * match the chain a server sent? Digests in the report (the certificate's and
 * its SubjectPublicKeyInfo's SHA-256 and SHA-512) stand for the DER, which the
 * report does not keep; a record of matching type 0 (the data itself) is
 * compared through the SHA-256 of its data (`dataSha256` when the report cut
 * the data).
 */
import { createHash } from 'node:crypto';
import type { DaneVerdict, TlsaFacts, TlsaRecord } from '../../../model/dane.js';
import { matchesHostname } from '../../../model/hostname.js';
import type { CertificateFacts, ChainCertificate, ProbeResult } from '../../../model/probe.js';

const DANE_TA = 2;
const DANE_EE = 3;
/** Longest issuer chain walked from the leaf to a trust anchor. */
const MAX_CHAIN_WALK = 16;

/** Whether SMTP DANE can use a record (RFC 6698 §2.1, RFC 7672 §3.1), and why not when it cannot. */
export function usability(record: Pick<TlsaRecord, 'usage' | 'selector' | 'matchingType' | 'data'>): { usable: boolean; reason?: string } {
  if (record.usage === 0 || record.usage === 1) {
    return { usable: false, reason: `usage ${record.usage} (PKIX-${record.usage === 0 ? 'TA' : 'EE'}) is not used by SMTP DANE (RFC 7672 §3.1.3)` };
  }
  if (record.usage !== DANE_TA && record.usage !== DANE_EE) return { usable: false, reason: `unknown usage ${record.usage}` };
  if (record.selector !== 0 && record.selector !== 1) return { usable: false, reason: `unknown selector ${record.selector}` };
  if (record.matchingType > 2) return { usable: false, reason: `unknown matching type ${record.matchingType}` };
  const bytes = record.data.length / 2;
  if (record.matchingType === 1 && bytes !== 32) return { usable: false, reason: `a SHA-256 digest of ${bytes} bytes (32 expected)` };
  if (record.matchingType === 2 && bytes !== 64) return { usable: false, reason: `a SHA-512 digest of ${bytes} bytes (64 expected)` };
  if (record.matchingType === 0 && bytes === 0) return { usable: false, reason: 'empty association data' };
  return { usable: true };
}

/** A TLSA record as "U S M" (the way posttls-finger and the RFCs write it). */
export function describeRecord(record: Pick<TlsaRecord, 'usage' | 'selector' | 'matchingType'>): string {
  return `${record.usage} ${record.selector} ${record.matchingType}`;
}

/** The digest of a certificate (selector 0) or its key (1) a record of this matching type compares with. */
function digestOf(cert: ChainCertificate, selector: number, matchingType: number): string | undefined {
  if (selector === 0) return matchingType === 2 ? cert.fingerprintSha512 : cert.fingerprintSha256.replace(/:/g, '').toLowerCase();
  return matchingType === 2 ? cert.spkiSha512 : cert.spkiSha256;
}

function matches(record: TlsaRecord, cert: ChainCertificate): boolean {
  const digest = digestOf(cert, record.selector, record.matchingType);
  if (digest === undefined) return false;
  // A record whose data was cut to the report's limit carries the SHA-256 of the whole data.
  const wanted = record.matchingType === 0 ? (record.dataSha256 ?? createHash('sha256').update(Buffer.from(record.data, 'hex')).digest('hex')) : record.data.toLowerCase();
  return digest === wanted;
}

/** Valid at `at` (ISO 8601; unknown time: not checked). */
function validAt(cert: ChainCertificate, at: string | undefined): boolean {
  if (at === undefined) return true;
  return cert.notBefore <= at && at <= cert.notAfter;
}

/**
 * The path from the leaf to the certificate at `depth` through the sent
 * chain's issuer links, or null when the leaf does not reach it.
 */
function pathTo(chain: readonly ChainCertificate[], depth: number): ChainCertificate[] | null {
  const path: ChainCertificate[] = [];
  let at = 0;
  for (let steps = 0; steps <= MAX_CHAIN_WALK; steps += 1) {
    const cert = chain[at];
    if (cert === undefined) return null;
    if (at === depth) return path;
    path.push(cert);
    const next = cert.issuerIndex;
    if (next === null || next === undefined || next === at) return null;
    at = next;
  }
  return null;
}

/** The TLSA base domain: the owner name without its `_PORT._tcp.` prefix. */
function baseDomain(owner: string): string {
  return owner.replace(/^_\d+\._tcp\./, '');
}

/** Whether a DANE-TA record matches the certificate at `depth` and the leaf chains to it, names the host, and is valid below it. */
function taMatches(record: TlsaRecord, cert: CertificateFacts, depth: number, names: readonly string[], at: string | undefined): boolean {
  const chain = cert.chain;
  const anchor = chain[depth];
  if (anchor === undefined || !matches(record, anchor)) return false;
  const path = pathTo(chain, depth);
  if (path === null) return false;
  if (!names.some((name) => matchesHostname(cert, name))) return false;
  return path.every((c) => validAt(c, at));
}

/**
 * What a DANE sender decides for one address (RFC 7672 §3): undefined when DANE
 * does not apply (no secure TLSA RRset with a usable record); `no-tls` without
 * a completed handshake; `valid` with the first record that matches (DANE-EE:
 * the leaf, names and dates ignored; DANE-TA: a certificate the server sent at
 * depth ≥ 1, reached from the leaf through issuer links, with the leaf naming
 * the TLSA base domain or the MX host and every certificate below it valid at
 * `at`); `indeterminate` when only DANE-TA records were left unevaluated (the
 * chain was not read as sent); else `mismatch`.
 */
export function daneVerdict(tlsa: TlsaFacts | undefined, probe: ProbeResult, host: string, at: string | undefined): DaneVerdict | undefined {
  if (tlsa === undefined || tlsa.status !== 'secure') return undefined;
  const usable = tlsa.records.filter((r) => r.usable);
  if (usable.length === 0) return undefined;
  const cert = probe.certificate;
  if (probe.tls === undefined || cert === undefined) return { status: 'no-tls' };
  const names = [...new Set([baseDomain(tlsa.name), host])];
  let unevaluated = 0;
  for (const record of usable) {
    if (record.usage === DANE_EE) {
      if (cert.chain[0] !== undefined && matches(record, cert.chain[0])) return { status: 'valid', matched: { ...recordKey(record), depth: 0 } };
      continue;
    }
    // DANE-TA: only over the chain as the server sent it (Node's rebuilt chain may end in a local root).
    if (cert.chainAsSent !== true) {
      unevaluated += 1;
      continue;
    }
    for (let depth = 1; depth < cert.chain.length; depth += 1) {
      if (taMatches(record, cert, depth, names, at)) return { status: 'valid', matched: { ...recordKey(record), depth } };
    }
  }
  return unevaluated === usable.length ? { status: 'indeterminate' } : { status: 'mismatch' };
}

function recordKey(record: TlsaRecord): { usage: number; selector: number; matchingType: number } {
  return { usage: record.usage, selector: record.selector, matchingType: record.matchingType };
}
