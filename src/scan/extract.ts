/**
 * --extract-domains: the domains of the mail addresses in any text, such as mail
 * log lines (Postfix `to=<user@example.com>`, Exim `=> user@example.com`). Every
 * `local@domain` occurrence yields its domain: IDN to A-label, lower case,
 * trailing dot dropped, at least one dot, a valid host name. Pure.
 */
import { domainToASCII } from 'node:url';
import { normalizeHostName } from './targets.js';

/**
 * local@domain: a local part of dot-atom characters, or a quoted string; the domain
 * a run of letters (any script), digits, '-', '.', up to a character that cannot be in one.
 */
const ADDRESS = /(?:"(?:[^"\\\r\n]|\\.)*"|[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]+)@([\p{L}\p{N}\p{M}.-]+)/gu;

/** The domains of every mail address in one line of text, in order (repeats kept). */
export function domainsInLine(line: string): string[] {
  const out: string[] = [];
  for (const match of line.matchAll(ADDRESS)) {
    const raw = (match[1] ?? '').replace(/\.+$/, '').replace(/^[.-]+/, '');
    if (!raw.includes('.')) continue;
    const ascii = domainToASCII(raw);
    if (ascii === '') continue;
    const name = normalizeHostName(ascii);
    if (name !== null && name.includes('.')) out.push(name);
  }
  return out;
}
