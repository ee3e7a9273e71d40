/**
 * CPU time a process has used, from Linux's /proc/<pid>/stat. On a small shared machine the
 * gateways' CPU per request carries over better than their throughput, which every other process
 * on the machine also limits.
 */
import { readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; USER_HZ is 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** Seconds of CPU (user + system) used by `pid` so far, or undefined where /proc cannot say. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return Number.isFinite(userTicks + systemTicks) ? (userTicks + systemTicks) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** Total CPU seconds of several processes; undefined when any of them cannot be read. */
export function totalCpuSeconds(pids: (number | undefined)[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const seconds = cpuSeconds(pid);
    if (seconds === undefined) return undefined;
    total += seconds;
  }
  return total;
}
