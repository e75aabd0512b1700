/**
 * Reading a saved report: JSON, a schemaVersion this mxready reads (1 or 2),
 * valid against the committed JSON Schema of that version (schema/), and in the
 * version 2 shape afterwards. Anything else is a usage error naming the file.
 * Its text is made inert as network text is (model/sanitize.ts): a file made by an
 * older mxready, or edited by hand, may hold raw bidi or control characters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { SCHEMA_VERSION, type Report } from '../model/report.js';
import { sanitizeParsedJson } from '../model/sanitize.js';
import { PACKAGE_ROOT } from '../model/version.js';
import { upgradeV1 } from '../scan/rejudge.js';

/** The schema file of each version this mxready reads. */
export const SCHEMA_FILES: Readonly<Record<number, string>> = { 1: 'schema/report.v1.schema.json', 2: 'schema/report.v2.schema.json' };

const validators = new Map<number, ValidateFunction>();
/** Ajv is loaded when a saved report is first read, not by every scan that imports the library. */
const requireLazily = createRequire(import.meta.url);

/** The compiled validator of a schema version (compiled once). */
export function schemaValidator(version: number): ValidateFunction {
  let validate = validators.get(version);
  if (validate === undefined) {
    const file = SCHEMA_FILES[version];
    if (file === undefined || PACKAGE_ROOT === null) throw new Error(`no schema for schemaVersion ${version}`);
    const schema = JSON.parse(readFileSync(join(PACKAGE_ROOT, file), 'utf8')) as object;
    const { Ajv } = requireLazily('ajv') as { Ajv: typeof AjvClass };
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    validators.set(version, validate);
  }
  return validate;
}

/** One line for an Ajv error: "targets[0].mx[1].host must be string". */
function describeError(error: NonNullable<ValidateFunction['errors']>[number]): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part.replace(/~1/g, '/').replace(/~0/g, '~')}`))
    .join('')
    .replace(/^\./, '');
  const where = path === '' ? 'the report' : path;
  const extra = error.keyword === 'enum' && Array.isArray(error.params['allowedValues']) ? ` (${(error.params['allowedValues'] as unknown[]).join(', ')})` : '';
  return `${where} ${error.message ?? 'is invalid'}${extra}`;
}

export interface SavedReport {
  /** The report in the current shape (version 1 is reshaped, keeping its verdicts). */
  readonly report: Report;
  /** The schemaVersion the file holds. */
  readonly schemaVersion: number;
}

/** Parses and validates a saved report; every problem is a usage error naming `source`. */
export function parseSavedReport(text: string, source: string): SavedReport {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${quoted(source)}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`${quoted(source)}: not an mxready report (a JSON object is expected)`);
  const version = (data as Record<string, unknown>)['schemaVersion'];
  if (typeof version !== 'number' || SCHEMA_FILES[version] === undefined) {
    throw new UsageError(`${quoted(source)}: unsupported schemaVersion ${JSON.stringify(version) ?? 'undefined'} (this mxready reads ${Object.keys(SCHEMA_FILES).join(' and ')})`);
  }
  // A version 2 report made before DANE (or MTA-STS) has no honorDane (honorMtaSts): its policy honored neither.
  const policy = (data as Record<string, unknown>)['policy'];
  if (version === SCHEMA_VERSION && typeof policy === 'object' && policy !== null && !Array.isArray(policy)) {
    for (const knob of ['honorDane', 'honorMtaSts', 'requireDane', 'requireMtaSts', 'requireDaneOrMtaSts', 'requireTlsRpt']) if (!(knob in policy)) (policy as Record<string, unknown>)[knob] = false;
  }
  const validate = schemaValidator(version);
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
    throw new UsageError(`${quoted(source)}: not a valid mxready report (schemaVersion ${version}): ${errors[0] ? describeError(errors[0]) : 'invalid'}${more}`);
  }
  // Checked as written, then made inert: every renderer, JSON and the CI formats included, gets escaped text.
  sanitizeParsedJson(data);
  const report = version === SCHEMA_VERSION ? (data as Report) : upgradeV1(data as Record<string, unknown>);
  return { report, schemaVersion: version };
}
