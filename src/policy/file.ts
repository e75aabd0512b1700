/**
 * Policy files: JSON with the preset knobs, validated key by key (pure: the CLI
 * reads the file, src/cli/policy-file.ts). Every unknown or invalid key is
 * reported, naming the key and what is allowed, in one line (exit 2).
 *
 *   { "extends": "verify", "minTlsVersion": "TLSv1.3", "requireForwardSecrecy": true,
 *     "allowedCipherClasses": ["good", "sufficient"], "minRsaBits": 3072,
 *     "findings": { "tls.no-tls13": "warn", "cert.expiring-soon": "off" } }
 */
import { capText, QUOTED_CHARS, quoted } from '../model/limits.js';
import type { CipherClass } from '../model/probe.js';
import { sanitizeText } from '../model/sanitize.js';
import type { Severity, TlsVersionSetting } from '../model/report.js';
import { isFindingId } from './findings.js';
import { TLS_VERSION_SPELLINGS, tlsVersionOf } from '../model/tls-versions.js';
import { isPresetName, PRESETS, withImplications, type Policy } from './presets.js';

const CLASSES: readonly CipherClass[] = ['good', 'sufficient', 'phase-out', 'insufficient'];
const SEVERITIES: readonly (Severity | 'off')[] = ['fail', 'warn', 'info', 'off'];

type Check = (value: unknown) => string | null;

const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const integer =
  (min: number, max: number): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max ? null : `a whole number from ${min} to ${max}`;

/** Every key a policy file may hold, with its check. */
const KEYS: Readonly<Record<string, Check>> = {
  extends: (v) => (typeof v === 'string' && isPresetName(v) ? null : `a preset name: ${Object.keys(PRESETS).join(', ')}`),
  minTlsVersion: (v) => (typeof v === 'string' && tlsVersionOf(v) !== null ? null : `a TLS version: ${TLS_VERSION_SPELLINGS}`),
  // Gone as a knob: mxready always judges readiness for mandatory STARTTLS. `true` is accepted with a note (policyNotes).
  requireStartTls: (v) => (v === true ? null : 'true, or better left out (mxready always judges readiness for mandatory STARTTLS)'),
  requireTrustedChain: bool,
  requireHostnameMatch: bool,
  requireUnexpired: bool,
  requireForwardSecrecy: bool,
  forbidLegacyProtocols: bool,
  honorDane: bool,
  honorMtaSts: bool,
  requireDane: bool,
  requireMtaSts: bool,
  requireDaneOrMtaSts: bool,
  requireTlsRpt: bool,
  allowedCipherClasses: (v) =>
    Array.isArray(v) && v.length > 0 && v.every((c) => (CLASSES as readonly unknown[]).includes(c))
      ? null
      : `a non-empty list of ${CLASSES.map((c) => `"${c}"`).join(', ')}`,
  minRsaBits: integer(0, 16384),
  minEcBits: integer(0, 571),
  expiryWarnDays: integer(0, 3650),
  findings: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'an object of finding id → "fail", "warn", "info" or "off"'),
};

/** A value as a message shows it: a string quoted as every message quotes one, anything else as JSON, capped alike. */
function describe(value: unknown): string {
  if (typeof value === 'string') return quoted(value);
  const text = JSON.stringify(value) ?? String(value);
  return capText(sanitizeText(text), QUOTED_CHARS, 'value', {});
}

/** Problems with one parsed policy object, each naming the key and what is allowed. */
export function policyProblems(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return ['the policy must be a JSON object'];
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    const check = KEYS[key];
    if (!check) {
      problems.push(`unknown key ${quoted(key)} (allowed: ${Object.keys(KEYS).join(', ')})`);
      continue;
    }
    const problem = check(value);
    if (problem !== null) problems.push(`"${key}" is ${describe(value)}; expected ${problem}`);
  }
  const findings = (data as Record<string, unknown>)['findings'];
  if (typeof findings === 'object' && findings !== null && !Array.isArray(findings)) {
    for (const [id, severity] of Object.entries(findings)) {
      if (!isFindingId(id)) problems.push(`"findings" names an unknown finding id ${quoted(id)} (see the README's finding table)`);
      else if (!(SEVERITIES as readonly unknown[]).includes(severity)) {
        problems.push(`"findings.${id}" is ${describe(severity)}; expected "fail", "warn", "info" or "off"`);
      }
    }
  }
  return problems;
}

/** Builds the effective policy from a validated object: the preset it extends (default encrypt), then its keys. */
export function policyFromObject(data: Record<string, unknown>, name: string): Policy {
  const base: Policy = PRESETS[(data['extends'] as keyof typeof PRESETS | undefined) ?? 'encrypt'];
  const { extends: _extends, findings, requireStartTls: _ignored, ...knobs } = data;
  return withImplications({
    ...base,
    ...(knobs as Partial<Policy>),
    ...(knobs['allowedCipherClasses'] ? { allowedCipherClasses: [...new Set(knobs['allowedCipherClasses'] as CipherClass[])] } : {}),
    ...(typeof knobs['minTlsVersion'] === 'string' ? { minTlsVersion: tlsVersionOf(knobs['minTlsVersion']) as TlsVersionSetting } : {}),
    findings: { ...base.findings, ...((findings as Record<string, Severity | 'off'> | undefined) ?? {}) },
    name,
  });
}

/** One-line notes on keys that are accepted but mean nothing any more. */
export function policyNotes(data: unknown): string[] {
  if (typeof data !== 'object' || data === null || !Object.hasOwn(data, 'requireStartTls')) return [];
  return ['"requireStartTls" is no longer a knob and is ignored: mxready always judges readiness for mandatory STARTTLS (starttls.missing and starttls.rejected are gaps; lower them with "findings")'];
}
