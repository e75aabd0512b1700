/**
 * --format sarif: SARIF 2.1.0 for code scanning (GitHub's upload-sarif). One
 * run; a rule per catalogued finding id; one result per finding with its level,
 * message, a logical location DOMAIN/HOST/IP:PORT and, when the target came
 * from a targets file, the file and line as its physical location (GitHub shows
 * only results with one). partialFingerprints keep a finding's identity across
 * runs: SHA-256 of "KEY|ID|HOST". Pure.
 */
import { createHash } from 'node:crypto';
import type { Finding, Report, TargetReport } from '../model/report.js';
import type { FindingKind } from '../model/check.js';
import { keyOfTarget } from '../model/target-key.js';
import type { Format, RenderOptions } from './catalog.js';
import { escapeJsonText } from './json.js';

const LEVEL = { fail: 'error', warn: 'warning', info: 'note' } as const;

/** The identity a baseline and SARIF share: target key, finding id, MX host (or ""). */
export function fingerprint(key: string, finding: Pick<Finding, 'id' | 'host'>): string {
  return createHash('sha256').update(`${key}|${finding.id}|${finding.host ?? ''}`).digest('hex');
}

function location(target: TargetReport, finding: Finding): Record<string, unknown> {
  const address = finding.ip === undefined ? '' : finding.ip.includes(':') ? `[${finding.ip}]:${finding.port ?? ''}` : `${finding.ip}:${finding.port ?? ''}`;
  const path = [target.domain, finding.host ?? '', address].filter((part, i) => i === 0 || part !== '').join('/');
  return {
    ...(target.source ? { physicalLocation: { artifactLocation: { uri: target.source.file.replace(/\\/g, '/') }, region: { startLine: target.source.line } } } : {}),
    logicalLocations: [{ name: target.domain, fullyQualifiedName: path, kind: 'resource' }],
  };
}

/**
 * The SARIF log. `catalogue` (the CLI passes the finding catalogue, FINDINGS)
 * gives a rule per catalogued id with its description; ids it lacks get a rule
 * from the findings themselves.
 */
export function renderSarifObject(report: Report, catalogue: Readonly<Record<string, FindingKind>> = {}): Record<string, unknown> {
  const ids = Object.keys(catalogue).sort();
  const seen = new Map<string, Finding>();
  for (const target of report.targets) for (const f of target.findings) if (!seen.has(f.id)) seen.set(f.id, f);
  // Ids in the report but not in the catalogue (a custom check's) get a rule too.
  for (const id of [...seen.keys()].sort()) if (!Object.hasOwn(catalogue, id)) ids.push(id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const rules = ids.map((id) => {
    const kind = catalogue[id];
    const severity = kind?.severity ?? seen.get(id)?.severity ?? 'warn';
    const resultType = kind?.resultType ?? seen.get(id)?.resultType;
    return {
      id,
      shortDescription: { text: kind?.description ?? id },
      defaultConfiguration: { level: LEVEL[severity] },
      ...(resultType ? { properties: { resultType } } : {}),
    };
  });
  const results = report.targets.flatMap((target) => {
    const key = keyOfTarget(target);
    return target.findings.map((finding) => ({
      ruleId: finding.id,
      ruleIndex: index.get(finding.id) as number,
      level: LEVEL[finding.severity],
      message: { text: finding.message },
      locations: [location(target, finding)],
      partialFingerprints: { 'mxready/v1': fingerprint(key, finding) },
      ...(finding.baseline ? { baselineState: finding.baseline === 'new' ? 'new' : 'unchanged' } : {}),
    }));
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: report.tool.name, version: report.tool.version, informationUri: 'https://www.npmjs.com/package/mxready', rules } },
        invocations: [{ executionSuccessful: true, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt }],
        properties: { policy: report.policy.name },
        results,
      },
    ],
  };
}

export const SARIF_FORMAT = {
  name: 'sarif',
  description: 'SARIF 2.1.0 for code scanning (github/codeql-action/upload-sarif); scan with -f FILE so results have a file location',
  render: (report: Report, options: RenderOptions) => [`${escapeJsonText(JSON.stringify(renderSarifObject(report, options.catalogue), null, 2))}\n`],
} as const satisfies Format;
