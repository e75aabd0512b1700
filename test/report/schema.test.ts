/**
 * The JSON Schema of the report (schema/report.v2.schema.json) is generated from
 * the model types and committed; this keeps it current and holds real reports to
 * it. The schemaVersion 1 schema stays committed beside it, for `mxready report`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createGenerator } from 'ts-json-schema-generator';
import { Ajv } from 'ajv';
import { startDemoLab } from '../../src/lab/demo.js';
import { scan } from '../../src/scan/scan.js';
import { PRESETS } from '../../src/policy/presets.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const committed = JSON.parse(readFileSync(root('schema/report.v2.schema.json'), 'utf8')) as object;

/** The schema of a model type, generated as `npm run schema` does. */
function generate(path: string, type: string): unknown {
  const schema = createGenerator({ path: root(path), type, tsconfig: root('tsconfig.build.json'), topRef: false, additionalProperties: true }).createSchema(type);
  return JSON.parse(JSON.stringify(schema));
}

describe('report JSON Schema', () => {
  it('Given the schemaVersion 1 schema Then it is still committed and describes version 1', () => {
    const v1 = JSON.parse(readFileSync(root('schema/report.v1.schema.json'), 'utf8')) as { properties: { schemaVersion: { const?: number; type?: string } } };
    assert.equal(v1.properties.schemaVersion.const, 1);
  });

  it('Given the model types When the schema is generated again Then it equals the committed one (run `npm run schema` after changing the model)', () => {
    assert.deepEqual(generate('src/model/report.ts', 'Report'), committed);
  });

  it('Given the NDJSON line types When their schema is generated again Then it equals the committed schema/ndjson-line.schema.json', () => {
    assert.deepEqual(generate('src/model/ndjson.ts', 'NdjsonLine'), JSON.parse(readFileSync(root('schema/ndjson-line.schema.json'), 'utf8')));
  });

  it('Given a scan of the whole demo lab under each preset Then every report validates against the schema', async () => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
    const lab = await startDemoLab();
    try {
      for (const policy of Object.values(PRESETS)) {
        const report = JSON.parse(JSON.stringify(await scan(lab.targets, { ...lab.scanOptions, policy }))) as { schemaVersion: number };
        assert.ok(validate(report), JSON.stringify(validate.errors?.slice(0, 5)));
        assert.equal(report.schemaVersion, 2);
      }
    } finally {
      await lab.close();
    }
  });
});
