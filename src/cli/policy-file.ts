/** --policy: a preset name, or a JSON policy file read here and validated by src/policy/file.ts. */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../model/errors.js';
import { quoted } from '../model/limits.js';
import { reason } from './files.js';
import { policyFromObject, policyNotes, policyProblems } from '../policy/file.js';
import { isPresetName, PRESETS, type Policy } from '../policy/presets.js';

export interface LoadedPolicy {
  readonly policy: Policy;
  /** One-line notes for stderr (keys accepted but ignored). */
  readonly notes: readonly string[];
}

/** Reads and validates a policy file; every problem is listed on one line (UsageError). */
export function loadPolicyFile(path: string): LoadedPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read policy file ${quoted(path)}: ${reason(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`policy file ${quoted(path)}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const problems = policyProblems(data);
  if (problems.length > 0) throw new UsageError(`policy file ${quoted(path)}: ${problems.join('; ')}`);
  return { policy: policyFromObject(data as Record<string, unknown>, `file:${path}`), notes: policyNotes(data).map((note) => `policy file ${quoted(path)}: ${note}`) };
}

/** --policy: a preset name, or else the path of a policy file. */
export function loadPolicy(nameOrPath: string): LoadedPolicy {
  if (isPresetName(nameOrPath)) return { policy: PRESETS[nameOrPath], notes: [] };
  if (isPresetName(nameOrPath.toLowerCase()) && !existsSync(nameOrPath)) {
    throw new UsageError(`unknown policy ${quoted(nameOrPath)}: preset names are lower case (${Object.keys(PRESETS).join(', ')})`);
  }
  if (/^[a-z]+$/.test(nameOrPath) && !existsSync(nameOrPath)) {
    throw new UsageError(`unknown policy ${quoted(nameOrPath)} (a preset: ${Object.keys(PRESETS).join(', ')}; or a JSON policy file's path)`);
  }
  return loadPolicyFile(nameOrPath);
}
