/**
 * --format attls: z/OS Communications Server AT-TLS policy statements (Policy
 * Agent configuration syntax: `Statement name { Parameter value … }`) for an
 * outbound SMTP client that upgrades with STARTTLS, such as CSSMTP. One
 * TTLSRule per address of an enforced destination that meets the policy:
 * RemoteAddr, RemotePortRange (the port probed), Direction Outbound, a shared
 * TTLSGroupAction and a TTLSEnvironmentAction with HandshakeRole Client.
 * TTLSEnvironmentAdvancedParms enable the versions from the policy's minimum
 * up to the one the scan saw the address negotiate (an environment per such
 * version), with ApplicationControlled On, as a STARTTLS client requires; TTLSCipherParms list the IANA suite names the scan
 * saw negotiated. The keyring is a placeholder. Exceptions, destinations left
 * out and addresses that do not meet the policy are comments, and so is every
 * destination's list of findings. AT-TLS matches
 * addresses, and MX addresses change: the header says when the scan was taken.
 * Pure.
 */
import type { AddressReport, Report, TlsVersionSetting } from '../model/report.js';
import { TLS_VERSIONS, tlsVersionRank } from '../model/tls-versions.js';
import type { Format } from './catalog.js';
import { commentText, destinations, findingComments, headerLines, ipToken } from './enforce.js';

/** A keyring the user must replace: a RACF key ring (userid/ringname) holding the CAs that sign the MX hosts' certificates. */
export const KEYRING_PLACEHOLDER = 'CSSMTP/MXREADY_REPLACE_ME';

const SUITE = /^TLS_[A-Z0-9_]{4,80}$/;

interface Rule {
  readonly ip: string;
  readonly port: number;
  /** The version the scan saw the address negotiate: the highest its environment enables. */
  readonly version: TlsVersionSetting;
  readonly domains: string[];
}

/** An environment's name part for the highest version it enables: tls13, tls12, tls11, tls10. */
const envName = (version: TlsVersionSetting): string => (version === 'TLSv1' ? 'tls10' : version.replace('TLSv1.', 'tls1'));

/** A statement: its type, name and parameters, aligned as IBM's samples are. */
function statement(type: string, name: string, params: readonly (readonly [string, string])[]): string {
  const width = Math.max(...params.map(([p]) => p.length), 10) + 2;
  return `${type} ${name}\n{\n${params.map(([p, v]) => `  ${p.padEnd(width)}${v}`).join('\n')}\n}\n`;
}

export function* renderAttls(report: Report): Iterable<string> {
  const header = headerLines(report, 'attls', [
    'AT-TLS matches remote addresses, and MX addresses change: this reflects the scan above.',
    'Scan again before each policy refresh, and replace the keyring placeholder',
    `(${KEYRING_PLACEHOLDER}) with the key ring that holds the CAs of your destinations.`,
  ]);
  yield `${header.map((l) => `# ${l}`).join('\n')}\n\n`;
  const rules = new Map<string, Rule>();
  const ciphers = new Map<TlsVersionSetting, Set<string>>();
  const minimum = report.policy.minTlsVersion;
  const comments: string[] = [];
  const add = (address: AddressReport, domain: string): void => {
    const ip = ipToken(address.ip);
    if (ip === null) return;
    const key = `${ip}|${address.port}`;
    // An address that meets the policy negotiated a version at or above its minimum (evaluation said so).
    const negotiated = TLS_VERSIONS.find((v) => v === address.probe.tls?.protocol);
    const version = negotiated !== undefined && tlsVersionRank(negotiated) >= tlsVersionRank(minimum) ? negotiated : minimum;
    const existing = rules.get(key);
    if (existing) {
      if (!existing.domains.includes(domain)) existing.domains.push(domain);
      return;
    }
    rules.set(key, { ip, port: address.port, version, domains: [domain] });
    const suite = address.probe.tls?.cipher.standardName;
    if (suite !== undefined && SUITE.test(suite)) {
      const set = ciphers.get(version) ?? new Set<string>();
      set.add(suite);
      ciphers.set(version, set);
    }
  };
  for (const d of destinations(report)) {
    const name = commentText(d.target.domain);
    if (d.decision === 'exception') comments.push(`exception: ${name}: ${commentText(d.reason)}`);
    else if (d.decision === 'left-out') comments.push(`left out: ${name}: ${commentText(d.reason)}`);
    else {
      comments.push(`enforced: ${name}`);
      for (const mx of d.target.mx) {
        for (const a of mx.addresses) {
          if (a.assessment.outcome === 'meets') add(a, d.target.domain);
          else comments.push(`not enforced: ${commentText(mx.host)} ${commentText(a.ip)}:${a.port} (of ${name}): does not meet the policy`);
        }
      }
    }
    // The destination's findings, indented under its line.
    comments.push(...findingComments(d.target).map((line) => `  ${line}`));
  }
  if (comments.length > 0) yield `${comments.map((c) => `# ${c}`).join('\n')}\n\n`;
  // Each address's environment enables the policy's minimum up to the version the scan saw it negotiate.
  const list = [...rules.values()];
  let index = 0;
  const out: string[] = [];
  for (const rule of list) {
    index += 1;
    out.push(
      `# ${commentText(rule.domains.join(', '))}\n` +
        statement('TTLSRule', `mxready_rule_${index}`, [
          ['RemoteAddr', rule.ip],
          ['RemotePortRange', String(rule.port)],
          ['Direction', 'Outbound'],
          ['TTLSGroupActionRef', 'mxready_group'],
          ['TTLSEnvironmentActionRef', `mxready_env_${envName(rule.version)}`],
        ]),
    );
  }
  yield out.join('\n');
  if (list.length === 0) {
    yield '# no destination is enforced: no TTLSRule, and no action is needed\n';
    return;
  }
  yield `\n${statement('TTLSGroupAction', 'mxready_group', [['TTLSEnabled', 'On']])}`;
  yield `\n${statement('TTLSKeyringParms', 'mxready_keyring', [['Keyring', KEYRING_PLACEHOLDER]])}`;
  for (const version of [...TLS_VERSIONS].reverse()) {
    if (!list.some((r) => r.version === version)) continue;
    const name = envName(version);
    const suites = [...(ciphers.get(version) ?? [])].sort();
    yield `\n${statement('TTLSEnvironmentAction', `mxready_env_${name}`, [
      ['HandshakeRole', 'Client'],
      ['TTLSKeyringParmsRef', 'mxready_keyring'],
      ['TTLSCipherParmsRef', `mxready_ciphers_${name}`],
      ['TTLSEnvironmentAdvancedParmsRef', `mxready_adv_${name}`],
    ])}`;
    yield `\n${statement(
      'TTLSCipherParms',
      `mxready_ciphers_${name}`,
      suites.length > 0 ? suites.map((s) => ['V3CipherSuites', s] as const) : [['V3CipherSuites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] as const],
    )}`;
    const on = (v: TlsVersionSetting): 'On' | 'Off' => (tlsVersionRank(v) >= tlsVersionRank(minimum) && tlsVersionRank(v) <= tlsVersionRank(version) ? 'On' : 'Off');
    yield `\n${statement('TTLSEnvironmentAdvancedParms', `mxready_adv_${name}`, [
      ['SSLv2', 'Off'],
      ['SSLv3', 'Off'],
      ...TLS_VERSIONS.map((v) => [v, on(v)] as const),
      ['ApplicationControlled', 'On'],
    ])}`;
  }
}

export const ATTLS_FORMAT = {
  name: 'attls',
  description: 'z/OS AT-TLS policy statements: a TTLSRule for each address of the destinations ready for mandatory TLS (outbound, STARTTLS)',
  render: (report: Report) => renderAttls(report),
} as const satisfies Format;
