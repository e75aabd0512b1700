/** stdout as the CLI writes it: closed readers, destroyed streams, other write errors, and which exit code wins. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { exitCodeOf, GuardedOutput } from '../../src/cli/output.js';

function sink(onWrite: (chunk: string, callback: (error?: Error | null) => void) => void): Writable {
  return new Writable({ write: (chunk: Buffer, _encoding, callback) => onWrite(chunk.toString(), callback) });
}

describe('GuardedOutput', () => {
  it('Given a destroyed stream When written Then nothing is written, nothing throws, and it reads as closed', async () => {
    const written: string[] = [];
    const stream = sink((chunk, callback) => {
      written.push(chunk);
      callback();
    });
    const out = new GuardedOutput(stream);
    assert.equal(out.write('a'), true);
    stream.destroy();
    assert.equal(out.write('b'), false);
    await out.settle();
    assert.equal(out.closed, true);
    assert.equal(out.failure, null);
    assert.deepEqual(written, ['a']);
  });

  it('Given EPIPE from the stream When written Then it is closed, and later writes are dropped', async () => {
    const stream = sink((_chunk, callback) => callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })));
    const out = new GuardedOutput(stream);
    out.write('report');
    await out.settle();
    assert.equal(out.closed, true);
    assert.equal(out.write('more'), false);
  });

  it('Given another write error (ENOSPC) Then it is a failure, not a closed reader', async () => {
    const stream = sink((_chunk, callback) => callback(Object.assign(new Error('no space'), { code: 'ENOSPC' })));
    const out = new GuardedOutput(stream);
    out.write('report');
    await out.settle();
    assert.equal(out.failure?.code, 'ENOSPC');
  });
});

describe('exitCodeOf', () => {
  const cases: [number[], number][] = [
    [[1, 141], 141],
    [[3, 141], 141],
    [[0, 141], 141],
    [[130, 141], 130],
    [[143, 141], 143],
    [[70, 141], 70],
    [[74, 141], 74],
    [[2, 141], 2],
    [[1], 1],
    [[3, 1], 1],
    [[0, 3], 3],
  ];
  for (const [codes, expected] of cases) {
    it(`Given ${codes.join(' and ')} Then ${expected}`, () => {
      assert.equal(exitCodeOf(codes), expected);
    });
  }
});
