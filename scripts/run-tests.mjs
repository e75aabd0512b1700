#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's test runner (Node 20's
// runner takes no globs, so the files are listed here), then the interop tier.
// Arguments filter the files by substring and skip the interop tier.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const only = process.argv.slice(2);
const files = collect('build/test', []).filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no compiled test files under build/test');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
if (result.status !== 0 || only.length > 0) process.exit(result.status ?? 1);

// The interop tier (real Postfix, Exim and nsd on loopback: test/interop/README.md) runs
// after the rest. It needs root to install and start the servers; on a developer's
// machine without root it says it skips, and CI (root) always runs it.
const interop = spawnSync('bash', ['test/interop/run.sh', '--if-root'], { stdio: 'inherit' });
process.exit(interop.status ?? 1);
