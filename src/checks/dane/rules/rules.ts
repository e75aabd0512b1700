/**
 * The DANE check's rules (RFC 7672): per address, what a DANE sender decides
 * (a match, a mismatch, a TLSA lookup that failed); per MX host, what is wrong
 * with the records themselves. With the policy's honorDane, a mismatch and a
 * failed lookup are gaps (a DANE sender would not deliver there); without it,
 * warnings.
 */
import { NOT_MEASURED, type AddressAnnotator, type AddressRule, type MxRule, type RuleFinding } from '../../../model/check.js';
import type { TlsaRecord } from '../../../model/dane.js';
import { daneVerdict, describeRecord } from './verify.js';

function where(host: string, ip: string, port: number): string {
  return `${host} [${ip}]:${port}`;
}

/** The DANE verdict of one address, kept beside its record (`dane`). */
export const daneAnnotations: AddressAnnotator = (address) => {
  const dane = daneVerdict(address.tlsa, address.probe, address.host, address.scannedAt);
  return dane === undefined ? {} : { dane };
};

/** Per address: the match, the mismatch, or the failed TLSA lookup a DANE sender defers on. */
export const daneAddressRule: AddressRule = (address, policy, depth) => {
  const at = { host: address.host, ip: address.ip, port: address.port };
  const place = where(address.host, address.ip, address.port);
  const tlsa = address.tlsa;
  if (tlsa === undefined) {
    // Not looked up (--no-dane, or a report made before DANE, whose depth has no dane) is not measured.
    if (!policy.honorDane || depth.dane === true || address.probe.status === 'refused-private') return [];
    const message = `${place}: the policy honors DANE, but TLSA records were not looked up (--no-dane, or a report made before DANE)`;
    return [{ id: NOT_MEASURED, message, ...at, unassessed: { code: 'not-measured', message } }];
  }
  if (tlsa.status === 'bogus' || tlsa.status === 'lookup-failed') {
    const why = tlsa.status === 'bogus' ? 'failed DNSSEC validation' : `failed (${tlsa.error?.message ?? 'no answer'})`;
    return [
      {
        id: 'dane.dnssec-bogus',
        message: `${place}: the TLSA lookup of ${tlsa.name} ${why}: a DANE sender defers mail to this host`,
        ...at,
        ...(policy.honorDane ? { severity: 'fail' as const } : {}),
      },
    ];
  }
  const verdict = daneVerdict(tlsa, address.probe, address.host, address.scannedAt);
  if (verdict === undefined) return [];
  const findings: RuleFinding[] = [];
  if (verdict.status === 'valid' && verdict.matched) {
    const m = verdict.matched;
    findings.push({ id: 'dane.valid', message: `${place}: TLSA ${describeRecord(m)} at ${tlsa.name} matched the certificate at depth ${m.depth}`, ...at });
  } else if (verdict.status === 'mismatch') {
    const records = tlsa.records.filter((r) => r.usable).map(describeRecord).join(', ');
    findings.push({
      id: 'dane.mismatch',
      message: `${place}: no usable TLSA record at ${tlsa.name} (${records}) matches the chain the server sent: a DANE sender does not deliver here`,
      ...at,
      ...(policy.honorDane ? { severity: 'fail' as const } : {}),
    });
  }
  return findings;
};

const usableOf = (records: readonly TlsaRecord[]): TlsaRecord[] => records.filter((r) => r.usable);

/** Per MX host: records that cannot be used, records that are not secure, a lone DANE-EE record. */
export const daneMxRule: MxRule = (mx) => {
  const tlsa = mx.tlsa;
  if (tlsa === undefined) return [];
  const host = { host: mx.host };
  if (tlsa.status === 'insecure') {
    return [{ id: 'dane.insecure-tlsa-ignored', message: `${mx.host}: TLSA records at ${tlsa.name} are not DNSSEC-secure: senders ignore them`, ...host }];
  }
  if (tlsa.status !== 'secure') return [];
  const usable = usableOf(tlsa.records);
  const unusable = tlsa.records.filter((r) => !r.usable);
  const findings: RuleFinding[] = [];
  if (usable.length === 0) {
    const why = unusable.map((r) => `${describeRecord(r)}: ${r.reason ?? 'unusable'}`).join('; ');
    findings.push({
      id: 'dane.unusable-records',
      message: `${mx.host}: the secure TLSA RRset at ${tlsa.name} has no usable record (${why}): DANE senders still insist on TLS, unauthenticated`,
      ...host,
    });
    return findings;
  }
  if (unusable.length > 0) {
    findings.push({ id: 'dane.records-ignored', message: `${mx.host}: ${unusable.length} unusable TLSA record(s) at ${tlsa.name} ignored (${unusable.map((r) => `${describeRecord(r)}: ${r.reason ?? 'unusable'}`).join('; ')})`, ...host });
  }
  if (usable.length === 1 && usable[0]?.usage === 3) {
    findings.push({
      id: 'dane.rollover.single-record',
      message: `${mx.host}: one DANE-EE record (${describeRecord(usable[0])}) and no DANE-TA at ${tlsa.name}: publish the next key's record before the key changes`,
      ...host,
    });
  }
  return findings;
};
