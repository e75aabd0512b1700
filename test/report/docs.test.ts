/** The README documents what the code does: every finding id, error code and probe status appears in it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PROBE_STATUSES } from '../../src/model/probe.js';
import { FINDINGS } from '../../src/policy/findings.js';

const README = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('README', () => {
  for (const id of Object.keys(FINDINGS)) {
    it(`Given finding ${id} Then the README's finding table has a row for it`, () => {
      assert.ok(README.includes(`| \`${id}\` |`), `${id} is not documented`);
    });
  }
  for (const status of PROBE_STATUSES) {
    it(`Given probe status ${status} Then the README documents it`, () => {
      assert.ok(README.includes(`| \`${status}\` |`), `${status} is not documented`);
    });
  }
});
