/** mxready's library API: the CLI is built on exactly this. */
export { scan, DEFAULTS, type ScanOptions, type ScanDeps, type ScanEvent } from './scan/scan.js';
export { parseTarget, parseTargets, type Target } from './scan/targets.js';
export { render, renderJson, renderTable, parseSavedReport, FORMATS, type Format } from './report/index.js';
export { PRESETS, resolvePolicy, type Policy } from './policy/presets.js';
export { FINDINGS, type FindingId } from './policy/findings.js';
export { ScanError, UsageError, ERROR_CODES, type ErrorCode } from './errors.js';
export { exitCodeFor, EXIT } from './policy/exit-code.js';
export type * from './model/report.js';
export type * from './model/probe.js';
