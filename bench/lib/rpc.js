// @ts-check
// Child side of the IPC protocol of proc.js: serve methods, emit events, and exit with the parent.
import { performance } from 'node:perf_hooks';

/**
 * What a child serves: method name → function of one JSON params object (or none). The parent's
 * `call` is typed from a child's table (proc.js `ChildMethods`).
 * @typedef {Record<string, (params: never) => unknown>} MethodTable
 */

/**
 * @typedef {object} ProcessStats
 * @property {number} rss
 * @property {number} heapUsed
 * @property {number} external
 * @property {number} cpu  CPU time over wall time since the last call: 1.0 = one core fully busy.
 * @property {number} elu  event-loop utilisation since the last call
 */

/**
 * @typedef {object} HeldMemory  after a full GC: RSS, and what the process holds
 * @property {number} rss
 * @property {number} heapUsed
 * @property {number} external
 * @property {number} held  heap in use plus external memory
 */

/** @typedef {{ stats: () => ProcessStats, gc: () => HeldMemory }} BuiltInMethods */

/** @typedef {{ id: number, method: string, params: unknown }} Request */

/** What every child can report about itself: memory, CPU and event-loop busyness since the last call. */
/** @returns {() => ProcessStats} */
function processStats() {
  let lastCpu = process.cpuUsage();
  let lastElu = performance.eventLoopUtilization();
  let lastAt = performance.now();
  return () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const elu = performance.eventLoopUtilization(lastElu);
    const elapsed = now - lastAt;
    lastCpu = process.cpuUsage();
    lastElu = performance.eventLoopUtilization();
    lastAt = now;
    const mem = process.memoryUsage();
    return {
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      external: mem.external,
      // CPU time over wall time: 1.0 = one core fully busy.
      cpu: elapsed > 0 ? (cpu.user + cpu.system) / 1000 / elapsed : 0,
      elu: elu.utilization,
    };
  };
}

/**
 * Serves `handlers` (method → async function(params)) to the parent. Adds `stats`, `gc` and the
 * `__exit` used by stop(): `onExit` runs first (close servers, so --cpu-prof output is complete).
 */
/**
 * @param {MethodTable} handlers
 * @param {{ onExit?: () => Promise<void> }} [options]
 */
export function serve(handlers, { onExit } = {}) {
  const stats = processStats();
  /** @type {Record<string, ((params: never) => unknown) | undefined>} */
  const all = {
    stats: () => stats(),
    /** A full GC, then its RSS and what the process holds (heap in use, Buffers and other external memory). */
    /** @returns {HeldMemory} */
    gc: () => {
      if (typeof globalThis.gc === 'function') globalThis.gc();
      const { rss, heapUsed, external } = process.memoryUsage();
      return { rss, heapUsed, external, held: heapUsed + external };
    },
    ...handlers,
  };
  let exiting = false;
  const exit = async () => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(0), 8_000);
    force.unref();
    try {
      await onExit?.();
    } finally {
      process.exit(0);
    }
  };
  process.on('message', (message) => void answer(message));
  /** @param {unknown} message */
  async function answer(message) {
    const { id, method, params } = /** @type {Request} */ (message);
    if (method === '__exit') return void exit();
    const handler = /** @type {((params: unknown) => unknown) | undefined} */ (all[method]);
    try {
      if (!handler) throw new Error(`no method ${method}`);
      const result = await handler(params);
      process.send?.({ id, result: result ?? null });
    } catch (err) {
      process.send?.({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  // The parent is gone (finished, crashed or was killed): do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ event: 'ready' });
}

/**
 * Sends an unsolicited event to the parent.
 * @param {string} event
 * @param {unknown} data
 */
export function emit(event, data) {
  process.send?.({ event, data });
}
