// @ts-check
// CPU time of processes by pid (Linux /proc), to show where the machine's two cores went: to the
// server, the agent, the client processes, or something else running beside the bench.
// Where /proc is not available the figures are NaN and print as '-'.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** @param {number | string} pid */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Live descendants of `pid` (an agent's shell and the programs its commands run).
 * @param {number | undefined} pid
 */
function descendants(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const parent = Number(statFields(entry)?.[1]);
    const siblings = children.get(parent) ?? [];
    if (!children.has(parent)) children.set(parent, siblings);
    siblings.push(Number(entry));
  }
  /** @type {number[]} */
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const child of children.get(/** @type {number} */ (stack.pop())) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/**
 * CPU seconds used so far by `pid`, its threads (zlib's pool too), its live descendants, and the
 * children they already reaped (an agent's `true` commands come and go between two readings).
 * @param {number | undefined} pid  undefined (a process that never started): 0
 */
export function cpuSeconds(pid) {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    const f = p === undefined ? undefined : statFields(p);
    if (!f) continue;
    total += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return total / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine spent busy (all cores, everything but idle and iowait). */
export function machineBusySeconds() {
  try {
    const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
    return (Number(user) + Number(nice) + Number(system) + Number(irq) + Number(softirq) + Number(steal)) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Starts measuring groups of pids: { name: [pid...] }; `stop(ms)` gives cores used per group, and
 * `other`: cores used by everything else on the machine (other work running beside the bench makes
 * its figures low; the table flags it).
 * @param {Record<string, Array<number | undefined>>} groups
 */
export function cpuMeter(groups) {
  /** @returns {Record<string, number>} */
  const read = () => ({
    ...Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [name, pids.reduce((/** @type {number} */ s, pid) => s + (cpuSeconds(pid) ?? NaN), 0)]),
    ),
    machine: machineBusySeconds() ?? NaN,
  });
  const start = read();
  return {
    /**
     * Cores used per group over `ms`, and `other`.
     * @param {number} ms
     * @returns {Record<string, number>}
     */
    stop(ms) {
      const end = read();
      /** @type {Record<string, number>} */
      const cores = Object.fromEntries(Object.keys(groups).map((name) => [name, (Number(end[name]) - Number(start[name])) / (ms / 1000)]));
      const ours = Object.values(cores).reduce((a, b) => a + b, 0);
      cores.other = Math.max(0, (Number(end.machine) - Number(start.machine)) / (ms / 1000) - ours);
      return cores;
    },
  };
}

/**
 * Waits (up to `maxMs`) until the machine is nearly idle before a measurement: the bench shares
 * the machine with whatever else runs, and on 2 cores another busy process halves every figure.
 * Returns the cores that were busy in the last one-second sample.
 * @param {{ maxMs?: number, busyCores?: number }} [options]
 */
export async function waitForQuiet({ maxMs = 30_000, busyCores = 0.3 } = {}) {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const start = machineBusySeconds();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const busy = Number(machineBusySeconds()) - Number(start);
    if (!(busy > busyCores) || Date.now() > deadline) return busy;
  }
}
