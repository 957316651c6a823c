import { readFileSync } from 'node:fs';

/**
 * Whether a process still runs. `process.kill(pid, 0)` answers for most cases; a zombie (exited,
 * waiting to be reaped) also answers it, so /proc decides then. Orphans are re-parented to PID 1,
 * and not every container init reaps them (this one does not), so zombies are expected here.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (macOS): kill(pid, 0) succeeded, so it exists.
    return process.platform !== 'linux';
  }
}

/** Pids printed by a test script as `child:<pid>` lines. */
export function childPids(output: string): number[] {
  return [...output.matchAll(/child:(\d+)/g)].map((match) => Number(match[1]));
}
