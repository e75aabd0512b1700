/** Holds a report to the committed JSON Schema of its version, as `mxready report` does: the problems, one line each. */
import { schemaValidator } from '../../src/cli/saved-report.js';
import { SCHEMA_VERSION } from '../../src/model/report.js';

export function contractViolations(report: unknown, version: number = SCHEMA_VERSION): string[] {
  const validate = schemaValidator(version);
  if (validate(JSON.parse(JSON.stringify(report)))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
}
