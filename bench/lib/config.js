// @ts-check
// Sizes and durations of every scenario, full and --quick (CI smoke test: small and short, the
// whole run under 60 s; its figures are not meant to be compared).
/**
 * @typedef {object} Config
 * @property {{ counts: number[], rounds?: number, warmupMs: number, windowMs: number, noDeflateVariant: boolean }} fanout
 * @property {{ dashboards: number, warmupMs: number, windowMs: number }} slow
 * @property {{ dashboards: number, rate: number, warmupMs: number, windowMs: number }} latency
 * @property {{ dashboards: number, cycles: number, perProcess: number }} status
 * @property {{ dashboards: number, perProcess: number, settleMs: number }} connections
 * @property {{ agents: number, agentsPerProcess: number, depth: number, warmupMs: number, windowMs: number }} commands
 * @property {{ chunks: number }} store
 * @property {{ dashboards: number, toolCalls: number }} aiStream
 */

/** @type {Config} */
const full = {
  fanout: { counts: [1, 10, 100], rounds: 3, warmupMs: 2_000, windowMs: 6_000, noDeflateVariant: true },
  slow: { dashboards: 10, warmupMs: 2_000, windowMs: 6_000 },
  latency: { dashboards: 10, rate: 1_000, warmupMs: 1_500, windowMs: 10_000 },
  status: { dashboards: 1_000, cycles: 10, perProcess: 250 },
  connections: { dashboards: 10_000, perProcess: 2_500, settleMs: 1_000 },
  commands: { agents: 100, agentsPerProcess: 50, depth: 2, warmupMs: 3_000, windowMs: 10_000 },
  store: { chunks: 20_000 },
  aiStream: { dashboards: 100, toolCalls: 3_000 },
};

/** @type {Config} */
const quick = {
  fanout: { counts: [10], warmupMs: 600, windowMs: 1_000, noDeflateVariant: false },
  slow: { dashboards: 10, warmupMs: 600, windowMs: 1_000 },
  latency: { dashboards: 10, rate: 1_000, warmupMs: 600, windowMs: 1_000 },
  status: { dashboards: 100, cycles: 1, perProcess: 100 },
  connections: { dashboards: 500, perProcess: 500, settleMs: 200 },
  commands: { agents: 10, agentsPerProcess: 10, depth: 2, warmupMs: 500, windowMs: 1_000 },
  store: { chunks: 2_000 },
  aiStream: { dashboards: 10, toolCalls: 300 },
};

/** @param {boolean} isQuick */
export const configFor = (isQuick) => (isQuick ? quick : full);
