// Child side of the IPC protocol of proc.js: serve methods, emit events, and exit with the parent.
import { performance } from 'node:perf_hooks';

/** What every child can report about itself: memory, CPU and event-loop busyness since the last call. */
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
export function serve(handlers, { onExit } = {}) {
  const stats = processStats();
  const all = {
    stats: () => stats(),
    /** A full GC, then its RSS and what the process holds (heap in use, Buffers and other external memory). */
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
  process.on('message', async ({ id, method, params }) => {
    if (method === '__exit') return void exit();
    const handler = all[method];
    try {
      if (!handler) throw new Error(`no method ${method}`);
      const result = await handler(params);
      process.send?.({ id, result: result ?? null });
    } catch (err) {
      process.send?.({ id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  // The parent is gone (finished, crashed or was killed): do not linger.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ event: 'ready' });
}

/** Sends an unsolicited event to the parent. */
export function emit(event, data) {
  process.send?.({ event, data });
}
