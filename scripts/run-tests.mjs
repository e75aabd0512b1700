#!/usr/bin/env node
// Runs the compiled tests under build/test with Node's test runner (Node 20's runner
// takes no globs, so the files are listed here).
//
//   node scripts/run-tests.mjs            every *.test.js but the fleet tier's (property suites at 1,000 runs),
//                                         then the interop tier when CI=true or MXREADY_INTEROP=1 (it needs root
//                                         and changes the machine: test/interop/README.md); otherwise one line
//                                         says how to enable it
//   node scripts/run-tests.mjs NAME...    only the files whose path contains a NAME (either tier); no interop tier
//   node scripts/run-tests.mjs --fleet    only the fleet tier: scans at scale (FLEET_TIER below)
//   node scripts/run-tests.mjs --deep     only the property suites, at PROPERTY_RUNS (default 100,000)
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

/**
 * The fleet tier (npm run test:fleet): scans at scale, each a minute or more of CLI runs over
 * thousands of lab domains (fleet scans, resume, shards and merge, politeness, the docs' fleet
 * recipes, one hostile server shared by 1,000 domains), and the packed tarball (npm pack and an
 * install from it). Kept out of `npm test`, which stays
 * within a minute; .ci/run runs both.
 */
const FLEET_TIER = ['build/test/fleet/', 'build/test/docs/fleet-docs.test.js', 'build/test/hostile/multiplied', 'build/test/package/'];
const inFleetTier = (f) => FLEET_TIER.some((prefix) => f.startsWith(prefix));

const args = process.argv.slice(2);
const deep = args.includes('--deep');
const fleet = args.includes('--fleet');
const only = args.filter((a) => a !== '--deep' && a !== '--fleet');
const all = collect('build/test', []);
const files = deep
  ? all.filter((f) => f.endsWith('.property.test.js'))
  : fleet
    ? all.filter(inFleetTier)
    : all.filter((f) => (only.length === 0 ? !inFleetTier(f) : only.some((o) => f.includes(o))));
if (files.length === 0) {
  console.error('run-tests: no compiled test files under build/test match');
  process.exit(1);
}
const env = deep ? { ...process.env, PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? '100000' } : process.env;
if (deep) console.error(`run-tests: the property suites at ${env.PROPERTY_RUNS} runs`);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=3', ...files], { stdio: 'inherit', env });
if (result.status !== 0 || only.length > 0 || deep || fleet) process.exit(result.status ?? 1);

// The interop tier (real Postfix, Exim and nsd on loopback, nmap: test/interop/README.md)
// runs after the rest, and only when asked: as root it installs Debian packages, adds a
// system user and starts servers, which a developer's `npm test` must not do unasked.
// CI (.ci/run) sets MXREADY_INTEROP=1; then a missing root fails the run loudly.
if (process.env.CI !== 'true' && process.env.MXREADY_INTEROP !== '1') {
  console.error(
    'interop: not run — MXREADY_INTEROP=1 npm test (as root) adds it: real Postfix, Exim, nsd and nmap, installed from Debian and started on loopback (test/interop/README.md)',
  );
  process.exit(0);
}
const interop = spawnSync('bash', ['test/interop/run.sh'], { stdio: 'inherit' });
process.exit(interop.status ?? 1);
