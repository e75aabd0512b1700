/** The tool's name and version, read once from the package's own package.json. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageJson(): { name: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'mxready' && typeof parsed.version === 'string') return { name: parsed.name, version: parsed.version };
    }
    dir = dirname(dir);
  }
  return { name: 'mxready', version: '0.0.0' };
}

export const TOOL = findPackageJson();
