// @ts-check
// Cross-node fan-out (issue 13): the agent on node a, 20 and 100 dashboards split over nodes b and
// c, every event committed to PostgreSQL and carried by Redis; beside the same on the embedded
// single node (SQLite) and on one node on PostgreSQL and Redis, in the same run. Rows: MB/s per
// dashboard (the ratio to the single node), the added p99 output latency (1,000 timestamped lines
// a second), and every node's RSS through both.
import { skipWithoutEngines } from '../lib/engines.js';
import { onsemblFanout } from '../lib/fanout-runs.js';
import { onsemblLatency } from '../lib/latency-runs.js';
import { COLUMNS_NOTE, loadNote, memoryRow, withLoad } from '../lib/scale-rows.js';
import { finish } from '../lib/report.js';
import { max, percentile } from '../lib/stats.js';

const MB = 1024 * 1024;

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/topology.js').TopologyKind} TopologyKind */
/** @typedef {import('../lib/fanout-runs.js').OnsemblMeasurement} OnsemblMeasurement */
/** @typedef {Awaited<ReturnType<typeof onsemblLatency>> & { loadAverage: number }} LatencyMeasurement */
/** @typedef {import('../lib/context.js').ScaleFanout} ScaleFanout */

/**
 * The fan-out to `n` on every configured topology (kept in ctx.scaleFanout for scale-store).
 * @param {Context} ctx
 * @param {number} n
 */
export async function scaleFanout(ctx, n) {
  const { topologies, warmupMs, windowMs } = ctx.config.scale;
  const measured = ctx.scaleFanout[n] ?? {};
  for (const kind of topologies) {
    if (measured[kind]) continue;
    ctx.log(`cross-node fan-out to ${n}: ${kind}`);
    measured[kind] = await withLoad(onsemblFanout(ctx, { dashboards: n, warmupMs, windowMs, name: `scale-fanout-${n}-${kind}`, topology: kind }));
  }
  ctx.scaleFanout[n] = measured;
  return measured;
}

/**
 * @param {Context} ctx
 * @param {number} n
 */
async function latencies(ctx, n) {
  const { topologies, latency } = ctx.config.scale;
  /** @type {Partial<Record<TopologyKind, LatencyMeasurement>>} */
  const measured = {};
  for (const kind of topologies) {
    ctx.log(`cross-node output latency, ${n} dashboards: ${kind}`);
    measured[kind] = await withLoad(onsemblLatency(ctx, { dashboards: n, ...latency, name: `scale-latency-${n}-${kind}`, topology: kind }));
  }
  return measured;
}

/**
 * @param {number} n
 * @param {ScaleFanout} f
 */
function throughputRow(n, f) {
  const gaps = Object.entries(f).filter(([, m]) => m.gaps > 0).map(([kind, m]) => `${kind} ${m.gaps}`);
  return finish({
    key: `scale-fanout-${n}`,
    title: `Cross-node fan-out to ${n} dashboards (agent on node a, dashboards on b and c)`,
    unit: 'MB/s each',
    better: 'higher',
    value: f.cluster && f.cluster.mean / MB,
    baseline: f.sqlite && f.sqlite.mean / MB,
    peer: f.pg && f.pg.mean / MB,
    target: { text: '≥0.7×single', check: (r) => Number(r.ratio) >= 0.7 },
    server: f.cluster?.server,
    cores: f.cluster?.cores,
    extra: Object.fromEntries(Object.entries(f).map(([kind, m]) => [kind, {
      mbPerSecondEach: m.mean / MB, minPerDashboard: m.min / MB, framesPerSecond: (m.frames * 1000) / m.ms, gaps: m.gaps,
      cores: m.cores, nodes: m.nodes, eventsPerSecond: m.store.eventsPerSecond, msPerEvent: m.store.msPerEvent, loadAverage: m.loadAverage,
    }])),
    notes: [COLUMNS_NOTE, loadNote(f), gaps.length > 0 ? `gap markers (output dropped for slow dashboards; only delivered bytes count): ${gaps.join(', ')}` : ''].filter(Boolean).join('; '),
  });
}

/**
 * @param {number} n
 * @param {Partial<Record<TopologyKind, LatencyMeasurement>>} l
 * @param {number} expected  lines each dashboard should have over the window
 */
function latencyRow(n, l, expected) {
  /** @param {TopologyKind} kind @param {number} p */
  const p = (kind, p) => {
    const m = l[kind];
    return m ? percentile(m.samples, p) : undefined;
  };
  const short = Object.entries(l).filter(([, m]) => m.samples.length < expected * n * 0.9).map(([kind, m]) => `${kind} ${m.samples.length} of ~${expected * n}`);
  return finish({
    key: `scale-latency-${n}-p99`,
    title: `Cross-node output latency p99, agent write to dashboard receipt (${n} dashboards on nodes b and c)`,
    unit: 'ms',
    better: 'lower',
    value: p('cluster', 99),
    baseline: p('sqlite', 99),
    peer: p('pg', 99),
    target: { text: '≤+10 ms', check: (r) => Number(r.value) - Number(r.baseline) <= 10 },
    server: l.cluster?.server,
    cores: l.cluster?.cores,
    extra: {
      addedP99: Number(p('cluster', 99)) - Number(p('sqlite', 99)),
      addedP50: Number(p('cluster', 50)) - Number(p('sqlite', 50)),
      ...Object.fromEntries(Object.entries(l).map(([kind, m]) => [kind, {
        p50: percentile(m.samples, 50), p99: percentile(m.samples, 99), max: max(m.samples), samples: m.samples.length, cores: m.cores, nodes: m.nodes, loadAverage: m.loadAverage,
      }])),
    },
    notes: [loadNote(l), short.length > 0 ? `lines missing: ${short.join(', ')}` : ''].filter(Boolean).join('; '),
  });
}

/** @param {Context} ctx */
export async function run(ctx) {
  if (await skipWithoutEngines(ctx.log)) return [];
  const { counts, latency } = ctx.config.scale;
  const rows = [];
  for (const n of counts) {
    const f = await scaleFanout(ctx, n);
    const l = await latencies(ctx, n);
    rows.push(
      throughputRow(n, f),
      latencyRow(n, l, (latency.rate * latency.windowMs) / 1000),
      memoryRow(`scale-rss-fanout-${n}`, `cross-node fan-out to ${n}`, f),
      memoryRow(`scale-rss-latency-${n}`, `output latency to ${n}`, l),
    );
  }
  return rows;
}
