/** mxready's library API: the CLI is built on exactly this. */
export { scan, DEFAULTS, type ScanOptions, type ScanDeps, type ScanEvent } from './scan/scan.js';
export { scanStream, windowFor, MIN_WINDOW, PROBE_CACHE_ENTRIES, type StreamOptions } from './scan/stream.js';
export type { NdjsonLine, NdjsonHeader, NdjsonTarget, NdjsonEnd } from './model/ndjson.js';
export { rejudge } from './scan/rejudge.js';
export { parseTarget, parseTargets, type Target } from './scan/targets.js';
export { parseExclusions, Exclusions } from './scan/exclude.js';
export { render, renderJson, renderTable, getFormat, FORMATS, type Format, type FormatName, type RenderOptions } from './report/index.js';
export { parseSavedReport, type SavedReport } from './cli/saved-report.js';
export { PRESETS, resolvePolicy, depthFor, type Policy } from './policy/presets.js';
export { loadPolicy, loadPolicyFile, type LoadedPolicy } from './cli/policy-file.js';
export { policyProblems, policyFromObject } from './policy/file.js';
export { FINDINGS, type FindingId } from './policy/findings.js';
export { DEFAULT_CHECKS, type Check, type AddressCheck, type MxCheck, type DomainCheck, type CheckIo } from './checks/registry.js';
export { ScanError, UsageError, ERROR_CODES, type ErrorCode } from './model/errors.js';
export { exitCodeFor, EXIT } from './policy/exit-code.js';
export type * from './model/report.js';
export type * from './model/probe.js';
export type * from './model/check.js';
