/**
 * The enumeration check's rules: weak suites the server still accepts (NCSC-NL
 * phase-out or insufficient); and its marks: each accepted version's, each suite's class.
 */
import { markOf, type AddressMarker, type AddressRule } from '../../model/check.js';
import { classifyCipher } from '../../model/cipher-classes.js';

const WEAK_CLASSES: ReadonlySet<string> = new Set(['insufficient', 'phase-out']);

export const weakSuitesRule: AddressRule = (address) => {
  const enumeration = address.probe.enumeration;
  if (!enumeration) return [];
  const weak = Object.values(enumeration.ciphers)
    .flat()
    .map((c) => ({ name: c.standardName, class: classifyCipher(c.standardName) }))
    .filter((c) => WEAK_CLASSES.has(c.class));
  if (weak.length === 0) return [];
  const names = [...new Set(weak.map((c) => `${c.name} (${c.class})`))];
  const context = { host: address.host, ip: address.ip, port: address.port };
  return [{ id: 'tls.cipher.weak-accepted', message: `${address.host} [${address.ip}]:${address.port}: also accepts ${names.join(', ')}`, ...context }];
};

const LEGACY_IDS: ReadonlySet<string> = new Set(['tls.legacy-protocol.accepted']);
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(['TLSv1', 'TLSv1.1', 'SSLv3']);

export const enumerationMarks: AddressMarker = (address, findings) => {
  const enumeration = address.probe.enumeration;
  if (!enumeration) return {};
  const accepted = Object.entries(enumeration.protocols).filter(([, yes]) => yes === true);
  return {
    enumeration: {
      versions: Object.fromEntries(accepted.map(([version]) => [version, LEGACY_VERSIONS.has(version) ? markOf(findings, LEGACY_IDS) : 'ok'])),
      classes: Object.fromEntries(Object.values(enumeration.ciphers).flat().map((c) => [c.standardName, classifyCipher(c.standardName)])),
    },
  };
};
