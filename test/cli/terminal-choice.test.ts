/** Whether the report is coloured and how wide the table is: NO_COLOR, FORCE_COLOR (as chalk reads it), the terminal, COLUMNS. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colorWanted, outputWidth } from '../../src/cli/commands.js';
import { runCli, runOnTerminal } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures', import.meta.url));

const io = (env: NodeJS.ProcessEnv, isTTY: boolean, columns?: number) => ({ env, stdout: { isTTY, ...(columns !== undefined ? { columns } : {}) } });

describe('colour', () => {
  const cases: [string, NodeJS.ProcessEnv, boolean, boolean][] = [
    ['a terminal', {}, true, true],
    ['a pipe', {}, false, false],
    ['NO_COLOR on a terminal', { NO_COLOR: '1' }, true, false],
    ['NO_COLOR empty (unset, per no-color.org)', { NO_COLOR: '' }, true, true],
    ['FORCE_COLOR=1 on a pipe', { FORCE_COLOR: '1' }, false, true],
    ['FORCE_COLOR empty on a pipe (chalk: on)', { FORCE_COLOR: '' }, false, true],
    ['FORCE_COLOR=true on a pipe', { FORCE_COLOR: 'true' }, false, true],
    ['FORCE_COLOR=0 on a terminal', { FORCE_COLOR: '0' }, true, false],
    ['FORCE_COLOR=false on a terminal', { FORCE_COLOR: 'false' }, true, false],
    ['NO_COLOR and FORCE_COLOR: NO_COLOR wins', { NO_COLOR: '1', FORCE_COLOR: '3' }, false, false],
    ['TERM=dumb on a terminal (chalk: no colour)', { TERM: 'dumb' }, true, false],
    ['TERM=dumb and FORCE_COLOR=1 (chalk: forced wins)', { TERM: 'dumb', FORCE_COLOR: '1' }, true, true],
    ['TERM=xterm-256color on a terminal', { TERM: 'xterm-256color' }, true, true],
  ];
  for (const [name, env, tty, wanted] of cases) {
    it(`Given ${name} Then colour is ${wanted ? 'on' : 'off'}`, () => {
      assert.equal(colorWanted(io(env, tty)), wanted);
    });
  }

  for (const [env, coloured] of [[{ FORCE_COLOR: '1' }, true], [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false]] as const) {
    it(`Given ${JSON.stringify(env)} on a pipe When the CLI prints a table Then it is ${coloured ? '' : 'not '}coloured`, async () => {
      const run = await runCli(['report', join(FIXTURES, 'report-v1-strict.json')], { env });
      assert.equal(run.code, 1, run.stderr);
      assert.equal(/\u001b\[[0-9;]*m/.test(run.stdout), coloured);
    });
  }
});

describe('colour on a real terminal', () => {
  for (const [term, coloured] of [['dumb', false], ['xterm-256color', true]] as const) {
    it(`Given a terminal with TERM=${term} When the CLI prints a table Then it is ${coloured ? '' : 'not '}coloured`, async () => {
      const run = await runOnTerminal(['report', join(FIXTURES, 'report-v1-strict.json')], { TERM: term });
      assert.equal(run.code, 1, run.stdout.slice(0, 300));
      assert.ok(run.stdout.includes('legacy.mxready.test'), run.stdout.slice(0, 300));
      assert.equal(/\u001b\[[0-9;]*m/.test(run.stdout), coloured);
    });
  }
});

describe('width', () => {
  it('Given a terminal Then its columns, never under 80', () => {
    assert.equal(outputWidth(io({ COLUMNS: '200' }, true, 120)), 120);
    assert.equal(outputWidth(io({}, true, 40)), 80);
  });
  it('Given a pipe Then COLUMNS, else 100, never under 80', () => {
    assert.equal(outputWidth(io({ COLUMNS: '132' }, false)), 132);
    assert.equal(outputWidth(io({ COLUMNS: '60' }, false)), 80);
    assert.equal(outputWidth(io({ COLUMNS: 'wide' }, false)), 100);
    assert.equal(outputWidth(io({}, false)), 100);
  });
});
