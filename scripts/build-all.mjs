#!/usr/bin/env node
// Compiles the package and the tests for `npm test` in one TypeScript run: src/ and test/ into
// build/ (with source maps, for the tests' stack traces, and declarations). dist/ (what
// bin/mxready.js runs and the tarball ships) is then the src/ part of it without the source
// maps, as `npm run build` makes it: the same compiler options, one compile instead of two.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
for (const dir of ['dist', 'build']) rmSync(dir, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.test.json', '--declaration'], { stdio: 'inherit' });
if (compiled.status !== 0) process.exit(compiled.status ?? 1);

cpSync(join('build', 'src'), 'dist', { recursive: true, filter: (source) => !source.endsWith('.map') });

// The copied modules still name their maps in a trailing comment; a build without maps has none.
const MAP_TRAILER = /\n\/\/# sourceMappingURL=[^\n]*\n?$/;
function stripTrailers(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) stripTrailers(path);
    else if (entry.name.endsWith('.js')) {
      const text = readFileSync(path, 'utf8');
      if (MAP_TRAILER.test(text)) writeFileSync(path, text.replace(MAP_TRAILER, '\n'));
    }
  }
}
stripTrailers('dist');
