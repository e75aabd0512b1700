/**
 * Host name matching (RFC 6125 §6.4), pure: whether a certificate's names
 * (subject alternative names, else the last CN) name a host. The TLS layer uses
 * it for hostnameMatch, the DANE check's rules for DANE-TA names.
 */
import { isIP } from 'node:net';

/**
 * Whether the certificate names `hostname`, per RFC 6125 §6.4 as browsers and
 * Node apply it: case-insensitive (ASCII), trailing dots ignored, A-labels
 * compared as given. DNS SANs, when there are any, are the only identifiers;
 * otherwise the last CN. A wildcard is allowed only as the whole left-most
 * label of a name with at least three labels and matches exactly one label.
 * An IP-literal host name matches only an IP SAN with the same address.
 */
export function matchesHostname(
  cert: { subjectAltNames: readonly string[]; commonNames: readonly string[] },
  hostname: string,
): boolean {
  const unbracketed = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const ip = parseIp(unbracketed);
  if (ip !== null) {
    return cert.subjectAltNames.some((san) => {
      if (!san.startsWith('IP:')) return false;
      const candidate = parseIp(san.slice(3));
      return candidate !== null && candidate.equals(ip);
    });
  }
  const host = normaliseDnsName(hostname);
  if (host === null || host.includes('*')) return false;
  const dnsNames = cert.subjectAltNames.filter((san) => san.startsWith('DNS:')).map((san) => san.slice(4));
  const lastCn = cert.commonNames[cert.commonNames.length - 1];
  const patterns = dnsNames.length > 0 ? dnsNames : lastCn === undefined ? [] : [lastCn];
  return patterns.some((pattern) => matchesPattern(host, pattern));
}

/** Lower-cases ASCII letters, drops one trailing dot; null for names that can never match. */
function normaliseDnsName(name: string): string | null {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '' || /[^\x21-\x7e]/.test(trimmed)) return null;
  const lower = trimmed.replace(/[A-Z]/g, (c) => c.toLowerCase());
  return lower.split('.').includes('') ? null : lower;
}

function matchesPattern(host: string, rawPattern: string): boolean {
  const pattern = normaliseDnsName(rawPattern);
  if (pattern === null) return false;
  if (!pattern.includes('*')) return pattern === host;
  const [first, ...rest] = pattern.split('.');
  if (first !== '*' || rest.some((label) => label.includes('*')) || rest.length < 2) return false;
  const hostLabels = host.split('.');
  return hostLabels.length === rest.length + 1 && hostLabels.slice(1).join('.') === rest.join('.');
}

/** Parses IPv4 dotted-quad or IPv6 text to bytes; null if `text` is not an IP literal. */
function parseIp(text: string): Buffer | null {
  const family = isIP(text);
  if (family === 4) return Buffer.from(text.split('.').map(Number));
  if (family !== 6) return null;
  const zoneless = text.split('%')[0] ?? '';
  let tail = zoneless;
  const bytes: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(tail);
  let v4Bytes: number[] = [];
  if (v4 !== null && v4[1] !== undefined) {
    v4Bytes = v4[1].split('.').map(Number);
    tail = `${tail.slice(0, -v4[1].length)}0:0`;
  }
  const [left = '', right] = tail.split('::');
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === undefined || right === '' ? [] : right.split(':');
  const missing = 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(right === undefined ? 0 : missing).fill('0'), ...rightGroups];
  for (const group of groups) {
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (v4Bytes.length === 4) bytes.splice(12, 4, ...v4Bytes);
  return bytes.length === 16 ? Buffer.from(bytes) : null;
}
