/** Runs the built CLI as a child process, keeping stdout and stderr as raw bytes and timing the run. */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { BIN } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

export interface RawRun {
  readonly args: readonly string[];
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
  /** performance.now() when the process was spawned and when it closed (same clock as the lab servers). */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly wallMs: number;
}

/** Spawns `node bin/mxready.js …` (with `env` added to the environment); killed after `limitMs`. Never rejects for a non-zero exit. */
export function runRaw(args: readonly string[], limitMs = 30_000, env: NodeJS.ProcessEnv = {}): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const endedAt = performance.now();
      resolve({ args, code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err), startedAt, endedAt, wallMs: endedAt - startedAt });
    });
  });
}

/**
 * Runs the CLI; when it dies of a missing module (another engineer's `npm run
 * build` was recreating dist/ at that moment), waits and runs it again.
 */
export async function runCliRaw(args: readonly string[], limitMs?: number, env?: NodeJS.ProcessEnv): Promise<RawRun> {
  for (let attempt = 1; ; attempt++) {
    const run = await runRaw(args, limitMs, env);
    if (attempt >= 4 || !run.stderr.toString('utf8').includes('ERR_MODULE_NOT_FOUND')) return run;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/**
 * runCliRaw's result from the CLI run in this process (../helpers/in-process.ts):
 * the same command line and outputs, without a process's start-up, for tests
 * that make many runs and are about what they write, not about the process.
 */
export async function runCliInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RawRun> {
  const startedAt = performance.now();
  const run = await runInProcess(args, { env });
  const endedAt = performance.now();
  return { args, code: run.code, signal: null, stdout: Buffer.from(run.stdout, 'utf8'), stderr: Buffer.from(run.stderr, 'utf8'), startedAt, endedAt, wallMs: endedAt - startedAt };
}
