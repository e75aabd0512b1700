/**
 * Which provider an MX host belongs to, for the per-provider cap (--per-provider):
 * its registrable domain under the Public Suffix List's ICANN section
 * (aspmx.l.google.com and alt1.aspmx.l.google.com are both google.com;
 * mx.example.co.uk is example.co.uk). The list comes from tldts, which ships it
 * compiled and is updated with it; a hand-kept copy would go stale. A name the
 * list gives no registrable domain for (a single label, a bare suffix) is its own
 * provider, as are relays and IP literals.
 */
import { createRequire } from 'node:module';

type GetDomain = (name: string, options: { allowPrivateDomains: boolean; validateHostname: boolean }) => string | null;

/** tldts, loaded on the first provider asked for (its CommonJS build, synchronously): commands that plan no probe never pay for the list. */
let getDomain: GetDomain | undefined;

/** The provider key of an MX host name. */
export function providerOfMxHost(host: string): string {
  getDomain ??= (createRequire(import.meta.url)('tldts') as { getDomain: GetDomain }).getDomain;
  const name = host.toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowPrivateDomains: false, validateHostname: false }) ?? name;
}

/** The provider key of a relay target or an IP literal: itself. */
export function providerOfRelay(host: string): string {
  return `relay:${host.toLowerCase()}`;
}
