/**
 * Where the interop servers are — MXREADY_INTEROP_* from the environment
 * (run.sh exports them), else from the env file setup.sh wrote — and one scan
 * of them through the built CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from './witnesses.js';

const BIN = fileURLToPath(new URL('../../../bin/mxready.js', import.meta.url));

export const INTEROP_STATE = process.env['MXREADY_INTEROP_STATE'] ?? '/tmp/mxready-interop';

/** One MXREADY_INTEROP_* value; throws with how to start the servers when it is missing. */
export function interopVariable(name: string): string {
  const fromFile: Record<string, string> = {};
  const file = `${INTEROP_STATE}/interop.env`;
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) fromFile[m[1]] = m[2];
    }
  }
  const value = process.env[name] ?? fromFile[name];
  if (value === undefined || value === '') {
    throw new Error(`the interop servers are not up (${name} unset, no ${file}): run \`npm run test:interop\`, which starts them`);
  }
  return value;
}

/** One scan of `inputs` through the built CLI with the tier's resolver and CA; the report is typed by the caller. */
export async function scanAll<R>(
  env: { readonly resolverArg: string; readonly caFile: string },
  inputs: readonly string[],
  extra: readonly string[] = [],
): Promise<{ run: CommandResult; report: R }> {
  const args = [BIN, '--format', 'json', '--resolver', env.resolverArg, '--ca-file', env.caFile, '--allow-private', '--timeout', '15000', '--no-progress', ...extra, ...inputs];
  const run = await runCommand(process.execPath, args, { timeoutMs: 180_000, env: { NO_COLOR: '1' } });
  try {
    return { run, report: JSON.parse(run.stdout) as R };
  } catch {
    throw new Error(`mxready printed no JSON report (exit ${run.code}):\n${run.command}\nstderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`);
  }
}
