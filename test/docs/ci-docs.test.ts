/**
 * README's GitHub Actions example for the CI formats: its YAML parses, it wires
 * the scan's SARIF into upload-sarif, the Markdown into the step summary and the
 * saved report back in as the next run's baseline, and every option its
 * mxready commands use is one the CLI has.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { runCli } from '../helpers/cli.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

describe("README's GitHub Actions example", () => {
  const yaml = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes('upload-sarif'));

  it('Given the workflow Then SARIF goes to upload-sarif, Markdown to the step summary, and the report comes back as the baseline', async () => {
    assert.ok(yaml, 'README has a workflow that uploads SARIF');
    const workflow = parse(yaml) as { jobs: Record<string, { steps: Step[]; permissions: Record<string, string> }> };
    const job = Object.values(workflow.jobs)[0];
    assert.ok(job);
    assert.equal(job.permissions['security-events'], 'write', 'upload-sarif needs it');
    const runs = job.steps.map((s) => s.run ?? '').join('\n');
    const scan = /npx --yes mxready (-f domains\.txt [^\n]*) > (\S+)/.exec(runs);
    assert.ok(scan, 'a scan of domains.txt writes SARIF to a file');
    assert.match(scan[1] ?? '', /--format sarif/);
    assert.match(scan[1] ?? '', /--json report\.json/);
    assert.match(scan[1] ?? '', /\$baseline/);
    assert.match(runs, /--baseline baseline\/report\.json/);
    const upload = job.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    assert.equal(upload?.with?.['sarif_file'], scan[2]);
    assert.match(runs, /mxready report report\.json --format markdown[^\n]*>> "\$GITHUB_STEP_SUMMARY"/);
    const saved = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'));
    const fetched = job.steps.find((s) => s.uses?.includes('download-artifact'));
    assert.equal(saved?.with?.['name'], fetched?.with?.['name']);
    assert.equal(saved?.with?.['path'], 'report.json');

    const help = (await runCli(['--help'])).stdout + (await runCli(['report', '--help'])).stdout;
    const options = [...runs.matchAll(/mxready ([^\n>|]*)/g)].flatMap((m) => [...(m[1] ?? "").matchAll(/(?:^| )(--[a-z-]+)/g)].map((o) => o[1] as string));
    options.push("--baseline");
    assert.deepEqual([...new Set(options)].sort(), ["--baseline", "--format", "--json", "--no-annotations"]);
    for (const option of new Set(options)) assert.ok(help.includes(option), `${option} is an option of the CLI`);
  });
});
