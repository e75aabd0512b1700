/** The fleet lab for tests: a synthetic DNS server and STARTTLS servers, each in a child process (src/lab/fleet-process.ts). */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const PROCESS = fileURLToPath(new URL('../../src/lab/fleet-process.js', import.meta.url));

export interface FleetLab {
  /** The options that point a scan at it: --resolver, --port, --ca-file (written to caFile). */
  readonly dns: { readonly host: string; readonly port: number };
  readonly smtpPort: number;
  readonly caPem: string;
  /** Ends both processes (they stop when their stdin closes). */
  close(): void;
}

/** Starts one fleet lab process and reads its first line. */
async function start(role: 'dns' | 'smtp', hosts: number, children: ChildProcess[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [PROCESS, role, String(hosts)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fleet ${role} exited with ${code}`)));
  });
  lines.close();
  return JSON.parse(first) as Record<string, unknown>;
}

export async function startFleetLab(hosts: number): Promise<FleetLab> {
  const children: ChildProcess[] = [];
  const [dns, smtp] = await Promise.all([start('dns', hosts, children), start('smtp', hosts, children)]);
  return {
    dns: { host: String(dns['host']), port: Number(dns['port']) },
    smtpPort: Number(smtp['port']),
    caPem: String(smtp['caPem']),
    close: () => {
      for (const child of children) child.stdin?.end();
    },
  };
}
