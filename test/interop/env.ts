/**
 * Where the interop servers are: MXREADY_INTEROP_* from the environment
 * (run.sh exports them), else from the env file setup.sh wrote.
 */
import { existsSync, readFileSync } from 'node:fs';

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
