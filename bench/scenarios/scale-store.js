// @ts-check
// Output persisted to PostgreSQL under cross-node fan-out (issue 13): chunks stored per second
// while the agent on node a floods the dashboards on b and c, as a share of what the embedded
// single node stores into SQLite under the same fan-out (and beside one node on PostgreSQL). Both
// are bounded by what the agent produces through the fan-out; the store's own cost per chunk and
// the share of the window it was busy say how far from its limit it ran.
import { skipWithoutEngines } from '../lib/engines.js';
import { finish } from '../lib/report.js';
import { scaleFanout } from './scale-fanout.js';

/** @param {import('../lib/context.js').Context} ctx */
export async function run(ctx) {
  if (await skipWithoutEngines(ctx.log)) return [];
  // The smallest count: the fastest fan-out, so the most chunks to store.
  const n = Math.min(...ctx.config.scale.counts);
  const f = await scaleFanout(ctx, n);
  return [finish({
    key: 'scale-store',
    title: `Output chunks persisted per second under cross-node fan-out to ${n} (PostgreSQL, against SQLite on one node)`,
    unit: 'chunks/s',
    better: 'higher',
    digits: 0,
    value: f.cluster?.store.chunksPerSecond,
    baseline: f.sqlite?.store.chunksPerSecond,
    peer: f.pg?.store.chunksPerSecond,
    server: f.cluster?.server,
    cores: f.cluster?.cores,
    extra: Object.fromEntries(Object.entries(f).map(([kind, m]) => [kind, {
      chunksPerSecond: m.store.chunksPerSecond,
      chunksPerTransaction: m.store.chunksPerBatch,
      storeBusyShare: m.store.busy,
      storeMicrosecondsPerChunk: m.store.msPerChunk * 1000,
      eventRowsPerSecond: m.store.eventsPerSecond,
      eventLogBusyShare: m.store.eventsBusy,
      storeMicrosecondsPerEvent: m.store.msPerEvent * 1000,
      loadAverage: m.loadAverage,
    }])),
    notes: 'ratio = share of the single SQLite node\'s rate',
  })];
}
