// @ts-check
// Sizes and durations of every scenario, full and --quick (CI smoke test: small and short, the
// whole run in 1-2 minutes on 2 cores, the scale-out scenarios' nodes included; its figures are
// not meant to be compared).
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
 * @property {ScaleConfig} scale
 */
/**
 * The scale-out scenarios: which topologies run side by side (lib/topology.js), the cross-node
 * fan-out's dashboard counts, windows and latency run, and the status fan-out over three nodes.
 * @typedef {object} ScaleConfig
 * @property {Array<import('./topology.js').TopologyKind>} topologies
 * @property {number[]} counts
 * @property {number} warmupMs
 * @property {number} windowMs
 * @property {{ rate: number, warmupMs: number, windowMs: number }} latency
 * @property {{ dashboards: number, cycles: number, perProcess: number }} status
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
  scale: {
    topologies: ['sqlite', 'pg', 'cluster'],
    counts: [20, 100],
    warmupMs: 2_000,
    windowMs: 6_000,
    latency: { rate: 1_000, warmupMs: 1_500, windowMs: 8_000 },
    status: { dashboards: 1_000, cycles: 10, perProcess: 250 },
  },
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
  // The single PostgreSQL node is left out: the smoke test only needs to drive both paths.
  scale: {
    topologies: ['sqlite', 'cluster'],
    counts: [6],
    warmupMs: 600,
    windowMs: 1_000,
    latency: { rate: 1_000, warmupMs: 600, windowMs: 1_000 },
    status: { dashboards: 60, cycles: 1, perProcess: 60 },
  },
};

/** @param {boolean} isQuick */
export const configFor = (isQuick) => (isQuick ? quick : full);
