/**
 * Preloaded into a measured Node process (`node --import ./usage-hook.mjs …`): when it
 * exits, its own CPU time and peak RSS (getrusage, exact, no sampling) go as one JSON line
 * to the file BENCH_USAGE_FILE names. Node offers no way to read a child's rusage from
 * the parent, and GNU time is not on every machine.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_USAGE_FILE;
if (file) {
  process.once('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, `${JSON.stringify({ userMs: usage.userCPUTime / 1000, systemMs: usage.systemCPUTime / 1000, maxRssKiB: usage.maxRSS })}\n`);
  });
}
