/**
 * The CLI run in this process: `run(argv, io)` of src/cli/main.ts, the whole
 * command line (parsing, commands, renderers, exit code) with stdout, stderr and
 * stdin of its own. Only what main() adds around it is not there: the process's
 * streams, a closed stdout's 141, process.exitCode. For tests about the output
 * and the exit code of many runs, where a process each would cost its start-up
 * (module loading is most of a short run's CPU); tests about signals, TTYs, a
 * closed stdout or the process itself spawn it (./cli.ts).
 */
import { Readable, Writable } from 'node:stream';
import { run } from '../../src/cli/main.js';

export interface InProcessRun {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `mxready ARGS` in this process; `env` is added to process.env (colour off unless it says otherwise). */
export async function runInProcess(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly input?: string } = {}): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const out = {
    isTTY: false,
    write(chunk: string): boolean {
      stdout += chunk;
      return true;
    },
  };
  const err = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      stderr += chunk.toString();
      callback();
    },
  });
  const stdin = Readable.from(options.input === undefined ? [] : [options.input]);
  const env = { ...process.env, NO_COLOR: '', FORCE_COLOR: '0', ...options.env };
  const code = await run(args, { stdout: out, stderr: err, stdin, env });
  return { args, code, stdout, stderr };
}
