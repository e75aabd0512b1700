/** The tool's name and version, and the package's folder, read once from the package's own package.json. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackage(): { name: string; version: string; root: string | null } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i += 1) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'mxready' && typeof parsed.version === 'string') return { name: parsed.name, version: parsed.version, root: dir };
    }
    dir = dirname(dir);
  }
  return { name: 'mxready', version: '0.0.0', root: null };
}

const found = findPackage();

export const TOOL: { readonly name: string; readonly version: string } = { name: found.name, version: found.version };

/** The package's folder (where package.json and schema/ are), or null when it cannot be found. */
export const PACKAGE_ROOT: string | null = found.root;
