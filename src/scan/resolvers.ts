/** Which DNS servers a scan asks: --resolver's addresses, or the operating system's (dns.getServers()). */
import { getServers } from 'node:dns';
import { isIP } from 'node:net';
import type { DnsServerAddress } from '../dns/types.js';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';

/** Parses "IP", "IP:PORT", "[IPv6]:PORT" (as --resolver and dns.getServers() give them). */
export function parseServerAddress(text: string): DnsServerAddress {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  let host: string;
  let port = 53;
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(text) !== 0) {
    host = text;
  } else {
    const colon = text.lastIndexOf(':');
    host = text.slice(0, colon);
    const portText = text.slice(colon + 1);
    if (colon === -1 || isIP(host) !== 4 || !/^\d{1,5}$/.test(portText)) {
      throw new UsageError(`invalid resolver ${quoted(text)} (expected IP, IP:PORT or [IPv6]:PORT)`);
    }
    port = Number(portText);
  }
  if (isIP(host) === 0 || port < 1 || port > 65535) {
    throw new UsageError(`invalid resolver ${quoted(text)} (expected IP, IP:PORT or [IPv6]:PORT)`);
  }
  return { host, port };
}

/** The operating system's DNS servers; none is a usage error. */
export function systemResolvers(): DnsServerAddress[] {
  const servers = getServers().map(parseServerAddress);
  if (servers.length === 0) throw new UsageError('no DNS server configured on this system; give one with --resolver');
  return servers;
}
