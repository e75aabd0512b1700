/**
 * Runs the CLI for a test: in this process by default (./in-process.ts: the
 * whole command line, without a process's start-up), or as a child process
 * (bin/mxready.js → dist/, bounded in time) when the test is about the process:
 * `process: true`, a working directory of its own, or a device path among the
 * arguments (/dev/stdout is this process's own).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runInProcess } from './in-process.js';

export const BIN = fileURLToPath(new URL('../../../bin/mxready.js', import.meta.url));

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** A child process is killed after this long (in this process a test's own timeout bounds the run). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
  /** Run it as a child process even when nothing else asks for one. */
  readonly process?: boolean;
}

export async function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const needsProcess = options.process === true || options.cwd !== undefined || args.some((a) => /^\/(dev|proc)\//.test(a));
  if (!needsProcess) {
    const run = await runInProcess(args, { ...(options.env ? { env: options.env } : {}), ...(options.input !== undefined ? { input: options.input } : {}) });
    return { code: run.code, signal: null, stdout: run.stdout, stderr: run.stderr };
  }
  return runProcess(args, options);
}

/** The CLI as a child process. */
export function runProcess(args: readonly string[], options: RunOptions = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  return finished(child, options.timeoutMs ?? 60_000, options.input ?? '');
}

/**
 * Runs the built CLI on a pseudo-terminal (script(1)): stdout and stderr both
 * reach the terminal, and `stdout` is what it received. NO_COLOR and
 * FORCE_COLOR are unset unless `env` sets them.
 */
export function runOnTerminal(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base['NO_COLOR'];
  delete base['FORCE_COLOR'];
  const child = spawn('script', ['-qec', `exec ${command}`, '/dev/null'], { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  return finished(child, 60_000, '');
}

/** A child's outcome once it closed, with all it wrote; killed after `timeoutMs`. */
function finished(child: ChildProcessWithoutNullStreams, timeoutMs: number, input: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input);
  });
}
