/**
 * The NDJSON line format of a streaming scan (`--format ndjson`): a header, one
 * line per target in completion order, an end line. Each is one JSON object on
 * one `\n`-terminated line. schema/ndjson-line.schema.json is generated from
 * NdjsonLine.
 */
import type { DnssecSummary } from './dane.js';
import type { Depth } from './check.js';
import type { BaselineSummary, PolicyReport, SCHEMA_VERSION, PolitenessSummary, Summary, TargetReport } from './report.js';

export interface NdjsonHeader {
  readonly type: 'header';
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly tool: { readonly name: string; readonly version: string };
  readonly startedAt: string;
  readonly policy: PolicyReport;
  /** The sessions and checks beyond the fixed client profile that this scan makes. */
  readonly depth: Depth;
  /** How many distinct targets the input holds (a shard's own), when known before the scan (a file counted first); null otherwise. */
  readonly targets: number | null;
  /** Which part of a sharded scan this is (`--shard I/N`); null for a whole one. */
  readonly shard: { readonly index: number; readonly count: number } | null;
}

export interface NdjsonTarget {
  readonly type: 'target';
  /** 0-based position of the target in the de-duplicated input. */
  readonly index: number;
  /** The target's identity (`domain:example.com`, `host:192.0.2.1:25`, …), as de-duplication uses it. */
  readonly key: string;
  readonly target: TargetReport;
}

export interface NdjsonEnd {
  readonly type: 'end';
  readonly finishedAt: string;
  /** SIGINT/SIGTERM stopped the scan: targets not finished have no line. */
  readonly interrupted: boolean;
  /** Target lines written. */
  readonly written: number;
  /** Targets read but not finished when the scan was interrupted (they have no line). */
  readonly notScanned: number;
  /** Addresses probed again because their result had left the probe cache. */
  readonly reprobed: number;
  /** The usual summary, over this run's target lines. */
  readonly summary: Summary;
  /** With --baseline: the findings compared with a saved scan's. */
  readonly baseline?: BaselineSummary;
  /** What the scan did to be polite (as summary.politeness). */
  readonly politeness?: PolitenessSummary;
  /** Whose AD bit the scan trusted, and whether any answer carried it. */
  readonly dnssec?: DnssecSummary;
  /** The window of targets between read and written: its bound, and the most it held. */
  readonly window: { readonly limit: number; readonly peak: number };
}

export type NdjsonLine = NdjsonHeader | NdjsonTarget | NdjsonEnd;
