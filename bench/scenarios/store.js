// @ts-check
// Store: output chunks persisted per second while one agent floods one dashboard (the fastest
// fan-out, so the most chunks), beside what SqliteStore takes when fed the same chunks flat out:
// in batches of 256 per transaction (baseline column) and one per transaction (peer column).
// The ratio is the share of the store's capacity the output path used.
import { ensureFrames, framesOf, onsemblFanout } from '../lib/fanout-runs.js';
import { startChild } from '../lib/proc.js';
import { finish } from '../lib/report.js';

/** @param {import('../lib/context.js').Context} ctx */
export async function run(ctx) {
  await ensureFrames(ctx);
  // Fan-out to one dashboard: the fastest, so the most chunks to store.
  let fanout = ctx.fanout[1];
  if (!fanout) {
    ctx.log('store: Onsembl fan-out to 1 dashboard');
    const { warmupMs, windowMs } = ctx.config.fanout;
    fanout = await onsemblFanout(ctx, { dashboards: 1, warmupMs, windowMs, name: 'store' });
  }
  /** @type {string[]} */
  const data = framesOf(ctx).map((f) => JSON.parse(f).payload.data);
  const child = startChild('store-capacity');
  try {
    await child.ready;
    ctx.log('store: SqliteStore capacity, 256 and 1 chunks per transaction');
    const { chunks } = ctx.config.store;
    const batched = await child.call('measure', { data, chunks, batch: 256 }, 120_000);
    const single = await child.call('measure', { data, chunks: Math.min(chunks, 5_000), batch: 1 }, 120_000);
    return [finish({
      key: 'store',
      title: 'Output chunks persisted per second under fan-out (one agent flooding)',
      unit: 'chunks/s',
      better: 'higher',
      digits: 0,
      value: fanout.store.chunksPerSecond,
      baseline: batched,
      peer: single,
      server: fanout.server,
      extra: {
        chunksPerTransaction: fanout.store.chunksPerBatch,
        storeBusyShare: fanout.store.busy,
        storeMicrosecondsPerChunk: fanout.store.msPerChunk * 1000,
        storeMicrosecondsPerEvent: fanout.store.msPerEvent * 1000,
        eventRowsPerSecond: fanout.store.eventsPerSecond,
        eventLogBusyShare: fanout.store.eventsBusy,
        averageChunkBytes: data.reduce((n, d) => n + Buffer.byteLength(d), 0) / data.length,
      },
      notes: 'baseline/peer = SqliteStore flat out, 256 / 1 chunks per transaction; ratio = share of store capacity used',
    })];
  } finally {
    await child.stop();
  }
}
