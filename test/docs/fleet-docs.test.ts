/**
 * docs/kubernetes.md and docs/github-actions.md, tested by simulation: their YAML is
 * parsed (completions, the matrix) and must agree with the N of the command lines
 * they show; then those same command lines run against the fleet lab with each index
 * (JOB_COMPLETION_INDEX=i, or the matrix value), and the parts are merged with the
 * merge command line they show.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Report } from '../../src/model/report.js';
import { startFleetLab, type FleetLab } from '../helpers/fleet.js';
import { BIN } from '../helpers/cli.js';

const root = (path: string): string => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const DOMAINS = 600;
let dir: string;
let lab: string[];
let fleet: FleetLab;


before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mxready-docs-'));
  fleet = await startFleetLab(50);
  writeFileSync(join(dir, 'ca.pem'), fleet.caPem);
  writeFileSync(join(dir, 'domains.txt'), Array.from({ length: DOMAINS }, (_, i) => `d${i}.fleet.test`).join('\n'));
  lab = ['--resolver', `${fleet.dns.host}:${fleet.dns.port}`, '--port', String(fleet.smtpPort), '--ca-file', join(dir, 'ca.pem'), '--allow-private', '--no-progress', '-q'];
});

after(() => {
  fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The fenced blocks of one language in a Markdown file. */
function blocks(path: string, language: string): string[] {
  const text = readFileSync(root(path), 'utf8');
  return [...text.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] ?? '');
}

/** A documented command line as arguments, with the lab's options after `mxready` for a scan (merge takes none). */
function argv(line: string, files: (word: string) => string): string[] {
  const words = line.trim().split(/\s+/);
  assert.equal(words[0], 'mxready', line);
  const rest = words.slice(1).map(files);
  return rest[0] === 'merge' ? rest : [...rest, ...lab];
}

function run(args: readonly string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 1 << 28 });
}

function shardCount(line: string): number {
  const m = /--shard (?:\S+|\$\{\{ matrix\.index \}\})\/(\d+)/.exec(line);
  assert.ok(m, line);
  return Number(m[1]);
}

describe('docs/kubernetes.md, simulated', () => {
  it('Given its Indexed Job Then completions equal the N of --shard auto/N; run per index with JOB_COMPLETION_INDEX, then merged, every domain is there once', () => {
    const job = parse(blocks('docs/kubernetes.md', 'yaml')[0] ?? '') as { spec: { completionMode: string; completions: number; parallelism: number; template: { spec: { containers: { args: string[] }[] } } } };
    assert.equal(job.spec.completionMode, 'Indexed');
    const commands = blocks('docs/kubernetes.md', 'sh').map((b) => b.trim());
    const scanLine = commands.find((c) => c.includes('--shard')) ?? '';
    const mergeLine = commands.find((c) => c.startsWith('mxready merge')) ?? '';
    const n = shardCount(scanLine);
    assert.equal(job.spec.completions, n);
    assert.ok(job.spec.template.spec.containers[0]?.args.join(' ').includes(scanLine.replace(/^mxready /, '')), 'the Job runs the command shown');
    const out = join(dir, 'k8s');
    mkdirSync(out);
    const files = (word: string): string => word.replace('/input/domains.txt', join(dir, 'domains.txt')).replace(/^\/out\//, `${out}/`);
    for (let i = 0; i < n; i += 1) {
      const line = scanLine.replace('$(JOB_COMPLETION_INDEX)', String(i));
      const scan = run(argv(line, files), { JOB_COMPLETION_INDEX: String(i) });
      assert.equal(scan.status, 0, scan.stderr);
    }
    const merged = run(argv(mergeLine, files));
    assert.equal(merged.status, 0, merged.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    assert.equal(report.targets.length, DOMAINS);
    assert.equal(new Set(report.targets.map((t) => t.domain)).size, DOMAINS);
  });
});

describe('docs/github-actions.md, simulated', () => {
  it('Given its workflow Then the matrix lists 0…N−1 for the N of --shard; each job run with its index, then merged, every domain is there once', () => {
    const workflow = parse(blocks('docs/github-actions.md', 'yaml')[0] ?? '') as { jobs: { scan: { strategy: { matrix: { index: number[] } }; steps: { run?: string }[] }; merge: { needs: string; steps: { run?: string }[] } } };
    const commands = blocks('docs/github-actions.md', 'sh').map((b) => b.trim());
    const scanLine = commands.find((c) => c.includes('--shard')) ?? '';
    const mergeLine = commands.find((c) => c.startsWith('mxready merge')) ?? '';
    const n = shardCount(scanLine);
    assert.deepEqual(workflow.jobs.scan.strategy.matrix.index, Array.from({ length: n }, (_, i) => i));
    assert.ok(workflow.jobs.scan.steps.some((s) => s.run?.includes(scanLine.replace(/^mxready /, '')) === true), 'the scan job runs the command shown');
    assert.ok(workflow.jobs.merge.steps.some((s) => s.run?.includes(mergeLine.replace(/^mxready /, '')) === true), 'the merge job runs the command shown');
    assert.equal(workflow.jobs.merge.needs, 'scan');
    const out = join(dir, 'gha');
    mkdirSync(out);
    const files = (word: string): string => (word === 'domains.txt' ? join(dir, 'domains.txt') : /\.(ndjson|json)$/.test(word) ? join(out, word) : word);
    for (const index of workflow.jobs.scan.strategy.matrix.index) {
      const scan = run(argv(scanLine.replaceAll('${{ matrix.index }}', String(index)), files));
      assert.equal(scan.status, 0, scan.stderr);
    }
    const merged = run(argv(mergeLine, files));
    assert.equal(merged.status, 0, merged.stderr);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
    assert.equal(report.targets.length, DOMAINS);
  });
});
