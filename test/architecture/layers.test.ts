/** The import lines of src/ keep the layers (test/architecture/layers.ts); planted violations are caught. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, layerViolations } from './layers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts')) out.set(relative(ROOT, path), readFileSync(path, 'utf8'));
  }
  return out;
}

describe('layers of src/', () => {
  it('Given the tree When its imports are read Then no import runs up a layer, sideways, between checks, or round a folder cycle', () => {
    const files = sources(join(ROOT, 'src'));
    assert.ok(files.size > 50, `read ${files.size} files`);
    assert.deepEqual(layerViolations(files), []);
  });

  it('Given an import line of each kind Then each is read', () => {
    const source = [
      "import { a } from '../model/a.js';",
      "import type { B } from './b.js';",
      "export { c } from '../net/c.js';",
      "export type * from './d.js';",
      "import './side-effect.js';",
      "const e = await import('../lab/e.js');",
      "import { f } from 'node:fs';",
      'import {\n  g,\n  h,\n} from "../dns/g.js";',
    ].join('\n');
    assert.deepEqual(importsOf(source), ['../model/a.js', './b.js', '../net/c.js', './d.js', './side-effect.js', '../lab/e.js', '../dns/g.js']);
  });

  const planted: [string, Record<string, string>, RegExp][] = [
    ['an upward import (model → cli)', { 'src/model/a.ts': "import { run } from '../cli/main.js';" }, /upward import: model may not import cli/],
    ['a dynamic upward import (smtp → scan)', { 'src/smtp/a.ts': "const s = await import('../scan/scan.js');" }, /upward import: smtp may not import scan/],
    ['a sideways import (dns → tls)', { 'src/dns/a.ts': "import { x } from '../tls/x.js';" }, /sideways import: dns and tls share a layer/],
    ['a renderer that calls into policy', { 'src/report/t.ts': "import { x } from '../policy/evaluate.js';" }, /upward import|report\/ imports only model/],
    ['a rule that imports the policy', { 'src/checks/x/rules.ts': "import { y } from '../../scan/defaults.js';" }, /a check's rules import only the model/],
    [
      'a cycle between two checks',
      { 'src/checks/a/x.ts': "import { y } from '../b/y.js';", 'src/checks/b/y.ts': "import { x } from '../a/x.js';" },
      /folder cycle/,
    ],
    ['a check that imports another', { 'src/checks/a/x.ts': "import { y } from '../b/y.js';", 'src/checks/b/y.ts': '' }, /a check imports another check \(checks\/a → checks\/b\)/],
    ['a folder outside the layers', { 'src/util/a.ts': "import { x } from '../model/x.js';" }, /a folder outside the layers \(util\)/],
  ];
  for (const [name, files, rule] of planted) {
    it(`Given ${name} planted Then it is a violation`, () => {
      const violations = layerViolations(new Map(Object.entries(files)));
      assert.ok(violations.some((v) => rule.test(v.rule)), JSON.stringify(violations));
    });
  }

  it('Given allowed imports (down a layer, within a folder, index.ts anywhere, a check to the shared contract) Then nothing is reported', () => {
    const files = {
      'src/index.ts': "export { run } from './cli/main.js';",
      'src/cli/main.ts': "import { scan } from '../scan/scan.js';\nimport { x } from './x.js';",
      'src/checks/a/check.ts': "import type { Check } from '../types.js';\nimport { r } from './rules.js';",
      'src/checks/a/rules.ts': "import type { AddressRule } from '../../model/check.js';",
      'src/checks/registry.ts': "import { a } from './a/check.js';",
    };
    assert.deepEqual(layerViolations(new Map(Object.entries(files))), []);
  });
});
