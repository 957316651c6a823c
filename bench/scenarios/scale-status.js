// @ts-check
// Status fan-out over three nodes (issue 13): 1,000 dashboards spread over nodes a, b and c, the
// agent connecting to node a and leaving it; the time from the agent's action until every
// dashboard has its agent:status, after one connect/disconnect that is not counted (the first
// connect to a fresh node pays one-time costs; its figures are in `extra`). Beside it the same
// 1,000 on the embedded single node and on one node on PostgreSQL and Redis, in the same run; and
// every node's RSS through it.
import { skipWithoutEngines } from '../lib/engines.js';
import { finish } from '../lib/report.js';
import { COLUMNS_NOTE, loadNote, memoryRow, withLoad } from '../lib/scale-rows.js';
import { max, percentile } from '../lib/stats.js';
import { onsemblStatus } from '../lib/status-runs.js';

/** @typedef {import('../lib/topology.js').TopologyKind} TopologyKind */
/** @typedef {Awaited<ReturnType<typeof onsemblStatus>> & { loadAverage: number }} StatusMeasurement */

/** @param {import('../lib/context.js').Context} ctx */
export async function run(ctx) {
  if (await skipWithoutEngines(ctx.log)) return [];
  const { topologies, status } = ctx.config.scale;
  /** @type {Partial<Record<TopologyKind, StatusMeasurement>>} */
  const measured = {};
  for (const kind of topologies) {
    ctx.log(`status fan-out to ${status.dashboards} over ${kind === 'cluster' ? 'three nodes' : 'one node'}: ${kind}`);
    measured[kind] = await withLoad(onsemblStatus(ctx, { ...status, warmup: 1, name: `scale-status-${kind}`, topology: kind }));
  }
  /** @param {TopologyKind} kind @param {number} p */
  const p = (kind, p) => {
    const m = measured[kind];
    return m ? percentile(m.fromAction, p) : undefined;
  };
  return [
    finish({
      key: 'scale-status-p99',
      title: `Agent status to ${status.dashboards} dashboards over three nodes, p99 from the agent's connect/disconnect`,
      unit: 'ms',
      better: 'lower',
      value: p('cluster', 99),
      baseline: p('sqlite', 99),
      peer: p('pg', 99),
      target: { text: '≤100 ms', check: (r) => Number(r.value) <= 100 },
      server: measured.cluster?.server,
      cores: measured.cluster?.cores,
      extra: Object.fromEntries(Object.entries(measured).map(([kind, m]) => [kind, {
        p50: percentile(m.fromAction, 50), p99: percentile(m.fromAction, 99), max: max(m.fromAction),
        p99FromServerEvent: percentile(m.fromServer, 99), samples: m.fromAction.length,
        warmupP50: m.cold && percentile(m.cold.fromAction, 50), warmupP99: m.cold && percentile(m.cold.fromAction, 99), cores: m.cores, nodes: m.nodes, loadAverage: m.loadAverage,
      }])),
      notes: `${COLUMNS_NOTE}; ${loadNote(measured)}`,
    }),
    memoryRow('scale-rss-status', `status fan-out to ${status.dashboards}`, measured),
  ];
}
