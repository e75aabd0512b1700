/**
 * A reported target's key, as NDJSON lines, shards, resume and baselines name
 * it (src/scan/targets.ts targetKey makes the same from a parsed input):
 * `domain:DOMAIN` for a domain, `host:HOST:PORT` for a relay (PORT empty when the
 * input gave none). Pure; read off the report, so renderers can use it.
 */
export function keyOfTarget(target: { readonly input: string; readonly domain: string; readonly kind: 'domain' | 'host' }): string {
  if (target.kind === 'domain') return `domain:${target.domain}`;
  const input = target.input.trim();
  let port = '';
  if (input.startsWith('[')) {
    const m = /\]:([0-9]{1,5})$/.exec(input);
    if (m) port = String(Number(m[1]));
  } else if (input.split(':').length === 2) {
    const m = /:([0-9]{1,5})$/.exec(input);
    if (m) port = String(Number(m[1]));
  }
  return `host:${target.domain}:${port}`;
}
