/**
 * Checks a JSON report against the schemaVersion 1 contract (DESIGN.md): every
 * field that must exist, with its documented type. Returns the violations, each
 * naming its path. `mxready report` refuses a file with any; the tests hold
 * every report the CLI writes to it.
 */
import { PROBE_STATUSES } from '../model/probe.js';

type Json = Record<string, unknown>;

export function contractViolations(report: unknown): string[] {
  const problems: string[] = [];
  const need = (cond: boolean, what: string) => {
    if (!cond) problems.push(what);
  };
  const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
  const isStr = (v: unknown) => typeof v === 'string';
  const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const isBool = (v: unknown) => typeof v === 'boolean';
  const numOrNull = (v: unknown) => v === null || isNum(v);

  if (!isObj(report)) return ['report is not an object'];
  need(report['schemaVersion'] === 1, 'schemaVersion 1');
  need(isObj(report['tool']) && isStr(report['tool']['name']) && isStr(report['tool']['version']), 'tool {name, version}');
  need(isStr(report['startedAt']) && !Number.isNaN(Date.parse(String(report['startedAt']))), 'startedAt ISO date');
  need(isStr(report['finishedAt']) && !Number.isNaN(Date.parse(String(report['finishedAt']))), 'finishedAt ISO date');
  need(isObj(report['policy']) && isStr(report['policy']['name']) && isStr(report['policy']['minTlsVersion']), 'policy {name, minTlsVersion}');
  const summary = report['summary'];
  need(isObj(summary), 'summary');
  if (isObj(summary)) {
    for (const k of ['targets', 'pass', 'fail', 'error', 'probes']) need(isNum(summary[k]), `summary.${k} number`);
    for (const k of ['byStatus', 'byProtocol', 'byCipher', 'byKeyExchange', 'byCertificateKey']) {
      const record = summary[k];
      if (record !== undefined || k === 'byProtocol') need(isObj(record) && Object.values(record).every(isNum), `summary.${k} {key: count}`);
    }
  }
  const targets = report['targets'];
  need(Array.isArray(targets), 'targets array');
  if (!Array.isArray(targets)) return problems;
  targets.forEach((t: unknown, ti) => {
    const at = `targets[${ti}]`;
    if (!isObj(t)) return problems.push(`${at} object`);
    need(isStr(t['input']) && isStr(t['domain']), `${at}.input/domain`);
    need(t['kind'] === 'domain' || t['kind'] === 'host', `${at}.kind`);
    need(['pass', 'fail', 'error'].includes(String(t['status'])), `${at}.status`);
    if (t['status'] === 'error') need(isObj(t['error']) && isStr(t['error']['code']) && isStr(t['error']['message']), `${at}.error {code, message} on error`);
    need(t['deliverable'] === null || isBool(t['deliverable']), `${at}.deliverable boolean|null`);
    need(isObj(t['dns']) && ['mx', 'implicit', 'null', 'none'].includes(String(t['dns']['mxSource'])), `${at}.dns.mxSource`);
    const dnsError = isObj(t['dns']) ? t['dns']['error'] : undefined;
    if (dnsError !== undefined) need(isObj(dnsError) && isStr(dnsError['code']) && isStr(dnsError['message']), `${at}.dns.error {code, message}`);
    need(Array.isArray(t['findings']), `${at}.findings`);
    for (const f of (t['findings'] as unknown[]) ?? []) {
      need(isObj(f) && isStr(f['id']) && ['fail', 'warn', 'info'].includes(String(f['severity'])) && isStr(f['message']), `${at}.findings[] {id, severity, message}`);
      if (isObj(f)) {
        for (const k of ['host', 'ip', 'resultType']) if (f[k] !== undefined) need(isStr(f[k]), `${at}.findings[].${k} string`);
      }
    }
    need(Array.isArray(t['mx']), `${at}.mx`);
    ((t['mx'] as unknown[]) ?? []).forEach((mx, mi) => {
      const mat = `${at}.mx[${mi}]`;
      if (!isObj(mx)) return problems.push(`${mat} object`);
      need(isStr(mx['host']) && isNum(mx['preference']) && Array.isArray(mx['addresses']), `${mat} {host, preference, addresses}`);
      ((mx['addresses'] as unknown[]) ?? []).forEach((a, ai) => {
        const aat = `${mat}.addresses[${ai}]`;
        if (!isObj(a)) return problems.push(`${aat} object`);
        need(isStr(a['ip']) && isNum(a['port']), `${aat} {ip, port}`);
        const p = a['probe'];
        if (!isObj(p)) return problems.push(`${aat}.probe`);
        need((PROBE_STATUSES as readonly string[]).includes(String(p['status'])), `${aat}.probe.status closed list`);
        need(p['banner'] === null || isStr(p['banner']), `${aat}.probe.banner`);
        need(Array.isArray(p['extensions']) && (p['extensions'] as unknown[]).every(isStr), `${aat}.probe.extensions string[]`);
        need(isBool(p['starttls']), `${aat}.probe.starttls`);
        if (p['extensionsAfterTls'] !== undefined) {
          need(Array.isArray(p['extensionsAfterTls']) && (p['extensionsAfterTls'] as unknown[]).every(isStr), `${aat}.probe.extensionsAfterTls string[]`);
        }
        const timings = p['timings'];
        need(isObj(timings) && numOrNull(timings['connectMs']) && numOrNull(timings['greetingMs']) && numOrNull(timings['tlsMs']) && isNum(timings['totalMs']), `${aat}.probe.timings`);
        if (p['status'] !== 'ok') need(isObj(p['error']) && isStr(p['error']['phase']) && isStr(p['error']['code']) && isStr(p['error']['message']), `${aat}.probe.error {phase, code, message}`);
        const tls = p['tls'];
        if (tls !== undefined) {
          need(isObj(tls) && isStr(tls['protocol']) && isObj(tls['cipher']) && isStr((tls['cipher'] as Json)['name']) && isStr((tls['cipher'] as Json)['standardName']), `${aat}.probe.tls {protocol, cipher}`);
          need(isObj(tls) && isObj(tls['keyExchange']) && 'type' in (tls['keyExchange'] as Json) && 'group' in (tls['keyExchange'] as Json) && 'bits' in (tls['keyExchange'] as Json), `${aat}.probe.tls.keyExchange {type, group, bits}`);
          need(isObj(tls) && isBool(tls['forwardSecrecy']), `${aat}.probe.tls.forwardSecrecy`);
          need(p['tlsMode'] === 'starttls' || p['tlsMode'] === 'implicit', `${aat}.probe.tlsMode`);
        }
        const c = p['certificate'];
        if (c !== undefined) {
          if (!isObj(c)) return problems.push(`${aat}.probe.certificate object`);
          for (const k of ['subject', 'issuer', 'notBefore', 'notAfter', 'keyType', 'signatureAlgorithm', 'fingerprintSha256']) need(isStr(c[k]), `${aat}.probe.certificate.${k} string`);
          for (const k of ['selfSigned', 'trusted', 'hostnameMatch']) need(isBool(c[k]), `${aat}.probe.certificate.${k} boolean`);
          need(isNum(c['daysRemaining']), `${aat}.probe.certificate.daysRemaining`);
          need(numOrNull(c['keyBits']), `${aat}.probe.certificate.keyBits`);
          need(c['validationError'] === null || isStr(c['validationError']), `${aat}.probe.certificate.validationError`);
          need(Array.isArray(c['subjectAltNames']) && Array.isArray(c['chain']), `${aat}.probe.certificate.subjectAltNames/chain`);
        }
      });
    });
  });
  return problems;
}
