/** Targets → resolved targets: a domain's MX hosts and addresses, a relay's addresses, an IP literal as it is. */
import type { Resolver } from '../dns/types.js';
import { describeBug } from '../model/errors.js';
import type { ResolvedTarget } from './plan.js';
import type { Target } from './targets.js';

export async function resolveTarget(target: Target, resolver: Resolver, port: number): Promise<ResolvedTarget> {
  if (target.kind === 'domain') {
    const resolution = await resolver.resolveDomain(target.domain);
    return {
      input: target.input,
      domain: target.domain,
      kind: 'domain',
      mxSource: resolution.mxSource,
      ...(resolution.dnssec ? { dnssec: resolution.dnssec } : {}),
      ...(resolution.error ? { error: resolution.error } : {}),
      nullMxMixed: resolution.nullMxMixed,
      mxSkipped: resolution.mxSkipped,
      port,
      fromDns: true,
      ipLiteral: false,
      hosts: resolution.mx,
    };
  }
  const relayPort = target.port ?? port;
  const relay = { input: target.input, domain: target.host, kind: 'host' as const, mxSource: 'none' as const, nullMxMixed: false, mxSkipped: 0, port: relayPort };
  if (target.isIp) {
    return { ...relay, fromDns: false, ipLiteral: true, hosts: [{ name: target.host, preference: 0, addresses: [target.host] }] };
  }
  const host = await resolver.resolveHost(target.host);
  return {
    ...relay,
    ...(host.error && host.addresses.length === 0 ? { error: host.error } : {}),
    // A relay named by the user is trusted as given, even when its name resolves privately.
    fromDns: false,
    ipLiteral: false,
    hosts: [{ ...host, preference: 0 }],
  };
}

/** One target resolved; a bug while resolving it stays with that target (an internal error), and the scan goes on. */
export function resolveConfined(target: Target, resolver: Parameters<typeof resolveTarget>[1], port: number): Promise<ResolvedTarget> {
  return resolveTarget(target, resolver, port).catch((bug: unknown) => internalErrorResolution(target, port, bug));
}

/** A bug while resolving one target stays with that target: it becomes an internal error, the scan goes on. */
function internalErrorResolution(target: Target, port: number, bug: unknown): ResolvedTarget {
  return {
    input: target.input,
    domain: target.kind === 'domain' ? target.domain : target.host,
    kind: target.kind,
    mxSource: 'none',
    error: { code: 'internal-error', message: describeBug(bug) },
    nullMxMixed: false,
    mxSkipped: 0,
    port,
    fromDns: true,
    ipLiteral: false,
    hosts: [],
  };
}
