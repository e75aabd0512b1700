/** Reading nmap's ssl-enum-ciphers XML (-oX), for the cross-checks in the interop tier. */
import { ianaName } from '../../../src/checks/enumeration/suites.js';

/** Versions → IANA suite names, from nmap's XML output. */
export function parseNmapXml(xml: string): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const script = /<script id="ssl-enum-ciphers"[\s\S]*?<\/script>/.exec(xml)?.[0] ?? '';
  const versions = script.split(/<table key="(SSLv3|TLSv1\.[0-3])">/);
  for (let i = 1; i + 1 < versions.length; i += 2) {
    const version = versions[i] === 'TLSv1.0' ? 'TLSv1' : (versions[i] as string);
    const names = [...(versions[i + 1] ?? '').matchAll(/<elem key="name">([^<]+)<\/elem>/g)].map((m) => ianaName(m[1] ?? ''));
    result[version] = names.sort();
  }
  return result;
}
