/**
 * The report a mail admin reads, as a terminal shows it: `mxready demo` and
 * `demo --enumerate --trace` under a pseudo-terminal (script(1)) of
 * 80 and 120 columns. No line is wider than the terminal, no escape sequence
 * but colour reaches it, no cell shows an escape as text, and the destinations
 * where mail would be stuck are marked. Then the demo under every preset: one
 * meaning of stuck. Off a terminal (a pipe): no colour, 100 columns.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PRESETS } from '../../src/policy/presets.js';
import type { Report } from '../../src/model/report.js';
import { displayWidth } from '../../src/report/layout.js';
import { BIN, runCli, type CliRun } from '../helpers/cli.js';

/** Colour codes (SGR), the one escape sequence a report may hold on a terminal. */
const SGR = /\u001b\[[0-9;]*m/g;

interface TerminalRun {
  readonly code: number | null;
  /** What the terminal received, lines without their CR LF. */
  readonly lines: readonly string[];
}

/** Runs the CLI on a pseudo-terminal of `columns` columns (script(1)), stdout and stderr both on it. */
function onTerminal(args: readonly string[], columns: number): Promise<TerminalRun> {
  const command = `stty cols ${columns} rows 50 && exec ${[process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ')}`;
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    delete env['NO_COLOR'];
    delete env['FORCE_COLOR'];
    delete env['COLUMNS'];
    const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, lines: Buffer.concat(chunks).toString('utf8').split(/\r?\n/) });
    });
    child.stdin.end();
  });
}

interface OffTerminal {
  readonly run: CliRun;
  readonly report: Report;
  /** `report` of the saved JSON, as a table. */
  readonly rendered: CliRun;
}

let offTerminal: Promise<OffTerminal> | undefined;
/**
 * `demo --trace` on a pipe (once): the table as a script gets it, and the JSON
 * report beside it, which tells the other tests which destinations are stuck and
 * serves as a saved report holding transcripts.
 */
function demoOffTerminal(): Promise<OffTerminal> {
  offTerminal ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mxready-terminal-'));
    try {
      const run = await runCli(['demo', '--trace', '--json', join(dir, 'demo.json')]);
      const rendered = await runCli(['report', join(dir, 'demo.json')]);
      return { run, report: JSON.parse(readFileSync(join(dir, 'demo.json'), 'utf8')) as Report, rendered };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return offTerminal;
}
const demoJson = async (): Promise<Report> => (await demoOffTerminal()).report;

/**
 * `demo EXTRA` on an 80-column terminal, with --json beside it (once per EXTRA); the
 * 120-column case renders that saved report with `report` on its terminal, the same
 * renderer without a second lab.
 */
const onTerminals = new Map<string, Promise<{ readonly run: TerminalRun; readonly json: string }>>();
function demoOnTerminal(extra: readonly string[]): Promise<{ readonly run: TerminalRun; readonly json: string }> {
  const key = extra.join(' ');
  let pending = onTerminals.get(key);
  if (pending === undefined) {
    const json = join(mkdtempSync(join(tmpdir(), 'mxready-terminal-')), 'demo.json');
    pending = onTerminal(['demo', ...extra, '--json', json], 80).then((run) => ({ run, json }));
    onTerminals.set(key, pending);
  }
  return pending;
}
after(() => {
  for (const pending of onTerminals.values()) void pending.then(({ json }) => rmSync(dirname(json), { recursive: true, force: true }));
});

describe('the demo on a terminal', { concurrency: 3 }, () => {
  // --enumerate and --trace together: both sections in one run, laid out beside each other's.
  for (const extra of [[], ['--enumerate', '--trace']]) {
    for (const columns of [80, 120]) {
      const name = columns === 80 ? ['demo', ...extra].join(' ') : `report of a saved \`${['demo', ...extra].join(' ')}\``;
      it(`Given ${columns === 80 ? `\`${name}\`` : name} on a ${columns}-column terminal Then no line is wider, only colour escapes, no escape shown as text, and the stuck are marked`, async () => {
        const demo = demoOnTerminal(extra);
        const [run, report] = await Promise.all([columns === 80 ? demo.then((d) => d.run) : demo.then((d) => onTerminal(['report', d.json], columns)), demoJson()]);
        assert.equal(run.code, 1);
        const plain = run.lines.map((line) => line.replace(SGR, ''));
        assert.ok(run.lines.some((line) => /\u001b\[[0-9;]*m/.test(line)), 'colour on a terminal');
        const wide = plain.filter((line) => displayWidth(line) > columns);
        assert.deepEqual(wide, [], `lines wider than ${columns}`);
        assert.deepEqual(plain.filter((line) => line.includes('\u001b')), [], 'an escape sequence other than colour');
        assert.deepEqual(plain.filter((line) => /\\x[0-9A-F]{2}|\\u[0-9A-F]{4}/i.test(line)), [], 'an escape shown as text');
        // The summary: one row per destination, led by its verdict and delivery.
        // A long name wraps in its column at narrow widths (after a '.' or '-'): the row is the verdict line whose
        // destination cell, and the cells under it until the next row, spell the name.
        const at = plain.find((line) => line.startsWith('VERDICT'))?.indexOf('DESTINATION') ?? -1;
        assert.ok(at > 0, 'a DESTINATION column');
        const cellAt = (line: string): string => line.slice(at).split('  ')[0]?.trim() ?? '';
        for (const target of report.targets) {
          const index = plain.findIndex((line, i) => {
            if (!/^(PASS|FAIL|ERROR) /.test(line)) return false;
            let name = cellAt(line);
            for (let j = i + 1; j < plain.length && /^ {8}/.test(plain[j] ?? '') && !/^(PASS|FAIL|ERROR) /.test(plain[j] ?? ''); j += 1) name += cellAt(plain[j] ?? '');
            return name === target.domain;
          });
          const row = plain[index];
          assert.ok(row, `no row for ${target.domain}`);
          const delivery = target.deliverable === true ? 'delivers' : target.deliverable === false ? 'stuck' : target.mx.length === 0 && target.status === 'pass' ? 'no mail' : 'unknown';
          assert.match(row, new RegExp(`^\\S+ +${delivery} `), `${target.domain}: ${row}`);
        }
        if (extra.includes('--enumerate')) {
          assert.ok(plain.includes('Enumeration'), 'an Enumeration section');
          assert.ok(plain.some((line) => /protocols +TLSv1\.3 yes +TLSv1\.2 yes +TLSv1\.1 yes +TLSv1 yes/.test(line)), 'the lenient host accepts every version');
        }
        if (extra.includes('--trace')) {
          const trace = plain.slice(plain.indexOf('Trace'));
          assert.ok(trace.length > 1, 'a Trace section');
          for (const target of report.targets) {
            for (const mx of target.mx) {
              for (const address of mx.addresses) {
                // An address is probed once, whichever MX names lead to it: its heading names them all.
                const at = trace.findIndex((line) => line.includes(` [${address.ip}]:`));
                assert.ok(at >= 0, `no dialogue for ${mx.host} ${address.ip}`);
                assert.ok(trace.slice(at, at + 3).join(' ').includes(mx.host), `${mx.host} not named in the heading of ${address.ip}`);
                const dialogue = trace.slice(at + 1, trace.findIndex((line, i) => i > at && /^\S/.test(line)));
                assert.ok(dialogue.some((line) => / ms - connecting to /.test(line)), `${address.ip}: no connect step`);
                assert.ok(dialogue.some((line) => / ms > EHLO /.test(line)), `${address.ip}: no EHLO sent`);
                assert.ok(dialogue.some((line) => / ms < 2\d\d[ -]/.test(line)), `${address.ip}: no reply received`);
              }
            }
          }
        }
      });
    }
  }
});

describe('the demo off a terminal', () => {
  it('Given `demo --trace` on a pipe Then no colour, no line wider than 100 columns, and every finding id shows', async () => {
    const { run, report } = await demoOffTerminal();
    assert.equal(run.code, 1, run.stderr);
    assert.doesNotMatch(run.stdout, /\u001b/);
    assert.deepEqual(run.stdout.split('\n').filter((line) => displayWidth(line) > 100), []);
    const ids = new Set(report.targets.flatMap((t) => t.findings.map((f) => f.id)));
    assert.ok(ids.size >= 6, `only ${[...ids].join(', ')}`);
    for (const id of ids) assert.ok(run.stdout.includes(id), `${id} missing from the table`);
  });

  it('Given the saved report of a --trace run Then `report` prints the same table, trace included', async () => {
    const { run, report, rendered } = await demoOffTerminal();
    assert.ok(report.targets.some((t) => t.mx.some((m) => m.addresses.some((a) => (a.probe.transcript?.length ?? 0) > 0))), 'the JSON holds transcripts');
    assert.equal(rendered.code, run.code);
    assert.match(rendered.stdout, /\nTrace\n/);
    // The same text: the table shows only what the report holds.
    assert.equal(rendered.stdout, run.stdout);
  });
});

describe('one meaning of stuck, under every preset', { concurrency: 3 }, () => {
  for (const preset of Object.keys(PRESETS)) {
    it(`Given the demo under ${preset} Then summary.stuck counts deliverable === false, NXDOMAIN is null, the backup MX delivers`, async () => {
      // encrypt is the default: the off-terminal run's report serves.
      const report = preset === 'encrypt' ? await demoJson() : await (async () => {
        const run = await runCli(['demo', '--policy', preset, '--format', 'json']);
        assert.equal(run.code, 1, run.stderr);
        return JSON.parse(run.stdout) as Report;
      })();
      assert.equal(report.policy.name, preset);
      assert.equal(report.summary.stuck, report.targets.filter((t) => t.deliverable === false).length);
      assert.ok(report.summary.stuck > 0);
      const missing = report.targets.find((t) => t.domain === 'missing.mxready.test');
      assert.equal(missing?.error?.code, 'nxdomain');
      assert.equal(missing?.deliverable, null);
      const backup = report.targets.find((t) => t.domain === 'backup.mxready.test');
      assert.equal(backup?.status, 'fail', 'one MX has a gap');
      assert.equal(backup?.deliverable, true, 'the other MX takes the mail');
      assert.equal(report.targets.find((t) => t.domain === 'nullmx.mxready.test')?.deliverable, null);
    });
  }
});
