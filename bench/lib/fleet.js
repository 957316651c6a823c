// @ts-check
// A fleet of dashboard connections spread over several child processes (each holds `perProcess`),
// so client work does not pile up in one event loop and fd limits are per process.
import { startChild } from './proc.js';

/** @typedef {import('../children/dashboards.js').Methods & import('./rpc.js').BuiltInMethods} DashboardMethods */
/**
 * Per-connection counters since the last mark, every process's concatenated.
 * @typedef {{ ms: number, bytes: number[], frames: number[], gaps: number[], traces: number[], closed: number }} Since
 */
/** @typedef {Awaited<ReturnType<typeof startFleet>>} Fleet */

/** Source addresses on loopback: each gives its own ~28k ephemeral ports toward one server port. */
export const LOCAL_ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

/**
 * @param {number} total
 * @param {number} [perProcess]
 */
export async function startFleet(total, perProcess = 50) {
  const count = Math.max(1, Math.ceil(total / perProcess));
  const procs = Array.from({ length: count }, (_, i) => startChild('dashboards', { label: `dashboards-${i}` }));
  await Promise.all(procs.map((p) => p.ready));
  const shares = procs.map((_, i) => Math.floor(total / count) + (i < total % count ? 1 : 0));
  /**
   * The same call on every process; their results in process order.
   * @template {keyof DashboardMethods & string} K
   * @param {K} method
   * @param {import('./proc.js').ParamsOf<DashboardMethods[K]>} [params]
   * @param {number} [timeoutMs]
   */
  const all = (method, params, timeoutMs) => Promise.all(procs.map((p) => p.call(method, params, timeoutMs)));
  return {
    procs,
    all,
    /**
     * Opens `total` connections (split across the processes); throws if any failed.
     * @param {Omit<import('./proc.js').ParamsOf<DashboardMethods['open']>, 'count'>} params
     * @param {number} [timeoutMs]
     */
    async open(params, timeoutMs = 120_000) {
      const results = await Promise.all(
        procs.map((p, i) => p.call('open', { localAddresses: LOCAL_ADDRESSES, ...params, count: /** @type {number} */ (shares[i]) }, timeoutMs)),
      );
      const failed = results.reduce((n, r) => n + r.failed, 0);
      if (failed > 0) throw new Error(`${failed} of ${total} dashboard connections failed: ${results.find((r) => r.lastError)?.lastError}`);
      return Math.max(...results.map((r) => r.ms));
    },
    mark: () => all('mark'),
    /**
     * Concatenates every process's per-connection counters.
     * @returns {Promise<Since>}
     */
    async since() {
      const parts = await all('since');
      return {
        ms: Math.max(...parts.map((p) => p.ms)),
        bytes: parts.flatMap((p) => p.bytes),
        frames: parts.flatMap((p) => p.frames),
        gaps: parts.flatMap((p) => p.gaps),
        traces: parts.flatMap((p) => p.traces),
        closed: parts.reduce((n, p) => n + p.closed, 0),
      };
    },
    async stop() {
      await Promise.all(procs.map((p) => p.stop(3_000)));
    },
  };
}
