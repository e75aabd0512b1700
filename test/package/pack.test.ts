/**
 * The package as a user gets it: `npm pack` makes the tarball (dist/ is already
 * built by the test run, so its scripts are not run again here), it is unpacked
 * into a fresh project's node_modules, and README's library example is
 * type-checked against the shipped types and run. The project sits inside the
 * repository, so the package's own dependencies resolve to the repository's
 * node_modules: nothing is fetched.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = createRequire(join(REPO, 'package.json')).resolve('typescript/bin/tsc');
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
  name: string;
  license: string;
  scripts: Record<string, string>;
  exports: Record<string, unknown>;
};

let project: string;
let tarball: string;
let files: string[];

/** README's library example: the first ```ts block of the "## Library" section. */
function readmeExample(): string {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(block?.[1], 'README has a ```ts block under ## Library');
  return block[1];
}

before(() => {
  mkdirSync(join(REPO, 'build'), { recursive: true });
  project = mkdtempSync(join(REPO, 'build', 'pack-test-'));
  // --ignore-scripts: dist/ was built by this run; prepack would rebuild it under the other tests' feet.
  const out = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', project], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
  assert.ok(packed);
  tarball = join(project, packed.filename);
  files = packed.files.map((f) => f.path);
  const into = join(project, 'node_modules', pkg.name);
  mkdirSync(into, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', into, '--strip-components=1'], { timeout: 30_000 });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-mxready', private: true, type: 'module' }));
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], skipLibCheck: false, outDir: 'out' },
      files: ['example.ts'],
    }),
  );
  writeFileSync(join(project, 'example.ts'), readmeExample());
});

after(() => {
  rmSync(project, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('Given the tarball Then it ships LICENSE, the CLI, the types and both schemas, and no source map', () => {
    for (const file of ['LICENSE', 'README.md', 'package.json', 'bin/mxready.js', 'dist/index.js', 'dist/index.d.ts', 'dist/lab/index.js', 'schema/report.v2.schema.json', 'schema/report.v1.schema.json']) {
      assert.ok(files.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(files.filter((f) => f.endsWith('.map')), []);
    assert.deepEqual(files.filter((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('build/')), []);
    assert.match(readFileSync(join(REPO, 'LICENSE'), 'utf8'), new RegExp(`^${pkg.license} License`));
  });

  it('Given an install Then no script runs: the build is prepack, and nothing hooks install', () => {
    assert.equal(pkg.scripts['prepack'], 'npm run build');
    for (const hook of ['prepare', 'preinstall', 'install', 'postinstall']) assert.equal(pkg.scripts[hook], undefined, hook);
  });

  it('Given the entry points Then the lab, the schema and policy loading can be imported', () => {
    const script = `
      const main = await import('mxready');
      const lab = await import('mxready/lab');
      const { createRequire } = await import('node:module');
      const schema = createRequire(import.meta.url)('mxready/schema/report.schema.json');
      const { policy } = main.loadPolicy('strict');
      console.log(JSON.stringify({
        startDemoLab: typeof lab.startDemoLab, createCa: typeof lab.createCa, loadPolicyFile: typeof main.loadPolicyFile,
        policy: policy.name, schemaVersion: schema.properties.schemaVersion.const,
      }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { startDemoLab: 'function', createCa: 'function', loadPolicyFile: 'function', policy: 'strict', schemaVersion: 2 });
  });

  it("Given README's library example Then it type-checks against the shipped types and runs: the demo lab scanned, judged again, printed", () => {
    const check = spawnSync(process.execPath, [TSC, '-p', project], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.ok(existsSync(join(project, 'out', 'example.js')));
    const run = spawnSync(process.execPath, [join(project, 'out', 'example.js')], { cwd: project, encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 1, `exit code from exitCodeFor: ${run.stderr}`);
    assert.match(run.stdout, /^modern\.mxready\.test: pass, deliverable: true$/m);
    assert.match(run.stdout, /^missing\.mxready\.test: error, deliverable: null$/m);
    const stuck = /stuck under encrypt: (\d+), under verify: (\d+)/.exec(run.stdout);
    assert.ok(stuck, run.stdout);
    assert.ok(Number(stuck[2]) > Number(stuck[1]), 'verify holds more mail than encrypt in the demo');
    assert.match(run.stdout, /^VERDICT +DELIVERY/m);
  });
});
