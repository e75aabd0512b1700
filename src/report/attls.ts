/**
 * --format attls: z/OS Communications Server AT-TLS policy statements (Policy
 * Agent configuration syntax: `Statement name { Parameter value … }`) for an
 * outbound SMTP client that upgrades with STARTTLS, such as CSSMTP. One
 * TTLSRule per address of an enforced destination that meets the policy:
 * RemoteAddr, RemotePortRange (the port probed), Direction Outbound, a shared
 * TTLSGroupAction and a TTLSEnvironmentAction with HandshakeRole Client.
 * TTLSEnvironmentAdvancedParms enable only TLS 1.2 and 1.3 (1.3 only for the
 * addresses the scan saw negotiate it) with ApplicationControlled On, as a
 * STARTTLS client requires; TTLSCipherParms list the IANA suite names the scan
 * saw negotiated. The keyring is a placeholder. Exceptions, destinations left
 * out and addresses that do not meet the policy are comments, and so is every
 * destination's list of findings. AT-TLS matches
 * addresses, and MX addresses change: the header says when the scan was taken.
 * Pure.
 */
import type { AddressReport, Report } from '../model/report.js';
import type { Format } from './catalog.js';
import { commentText, destinations, findingComments, headerLines, ipToken } from './enforce.js';

/** A keyring the user must replace: a RACF key ring (userid/ringname) holding the CAs that sign the MX hosts' certificates. */
export const KEYRING_PLACEHOLDER = 'CSSMTP/MXREADY_REPLACE_ME';

const SUITE = /^TLS_[A-Z0-9_]{4,80}$/;

interface Rule {
  readonly ip: string;
  readonly port: number;
  readonly tls13: boolean;
  readonly domains: string[];
}

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
  const ciphers = { tls13: new Set<string>(), tls12: new Set<string>() };
  const comments: string[] = [];
  const add = (address: AddressReport, domain: string): void => {
    const ip = ipToken(address.ip);
    if (ip === null) return;
    const key = `${ip}|${address.port}`;
    const tls13 = address.probe.tls?.protocol === 'TLSv1.3';
    const existing = rules.get(key);
    if (existing) {
      if (!existing.domains.includes(domain)) existing.domains.push(domain);
      return;
    }
    rules.set(key, { ip, port: address.port, tls13, domains: [domain] });
    const suite = address.probe.tls?.cipher.standardName;
    if (suite !== undefined && SUITE.test(suite)) (tls13 ? ciphers.tls13 : ciphers.tls12).add(suite);
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
  // TLS 1.3 only where the scan saw it: the other addresses get an environment with 1.2 alone.
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
          ['TTLSEnvironmentActionRef', rule.tls13 ? 'mxready_env_tls13' : 'mxready_env_tls12'],
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
  for (const version of ['tls13', 'tls12'] as const) {
    if (!list.some((r) => r.tls13 === (version === 'tls13'))) continue;
    const suites = [...ciphers[version]].sort();
    yield `\n${statement('TTLSEnvironmentAction', `mxready_env_${version}`, [
      ['HandshakeRole', 'Client'],
      ['TTLSKeyringParmsRef', 'mxready_keyring'],
      ['TTLSCipherParmsRef', `mxready_ciphers_${version}`],
      ['TTLSEnvironmentAdvancedParmsRef', `mxready_adv_${version}`],
    ])}`;
    yield `\n${statement(
      'TTLSCipherParms',
      `mxready_ciphers_${version}`,
      suites.length > 0 ? suites.map((s) => ['V3CipherSuites', s] as const) : [['V3CipherSuites', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'] as const],
    )}`;
    yield `\n${statement('TTLSEnvironmentAdvancedParms', `mxready_adv_${version}`, [
      ['SSLv2', 'Off'],
      ['SSLv3', 'Off'],
      ['TLSv1', 'Off'],
      ['TLSv1.1', 'Off'],
      ['TLSv1.2', 'On'],
      ['TLSv1.3', version === 'tls13' ? 'On' : 'Off'],
      ['ApplicationControlled', 'On'],
    ])}`;
  }
}

export const ATTLS_FORMAT = {
  name: 'attls',
  description: 'z/OS AT-TLS policy statements: a TTLSRule for each address of the destinations ready for mandatory TLS (outbound, STARTTLS)',
  render: (report: Report) => renderAttls(report),
} as const satisfies Format;
