// @ts-check
// A slow dashboard must not lower the others' rate, and must not make the server's memory grow.
// 10 dashboards and an 11th; on the same run, a window while all read, then a window after the
// 11th stops reading (its socket is paused: the kernel buffers fill, then the server's queue for
// it). The baselines run blind (no pacing): a relay that paced its producer would stop for
// everyone; one that does not buffers without bound.
import { ensureFrames, onsemblFanout, relayFanout } from '../lib/fanout-runs.js';
import { finish, ratio } from '../lib/report.js';

const MB = 1024 * 1024;

/** @param {import('../lib/context.js').Context} ctx */
export async function run(ctx) {
  const { dashboards, warmupMs, windowMs } = ctx.config.slow;
  await ensureFrames(ctx);
  const base = { dashboards, stalled: 1, warmupMs, windowMs };
  ctx.log(`slow dashboard: Onsembl, ${dashboards} dashboards + 1 that stops reading`);
  const o = await onsemblFanout(ctx, { ...base, name: 'slow-dashboard' });
  /** @type {{ ws?: import('../lib/fanout-runs.js').Measurement, sio?: import('../lib/fanout-runs.js').Measurement }} */
  const relays = {};
  // The baselines here only show what a blind relay's memory does; --quick skips them.
  for (const kind of ctx.quick ? [] : /** @type {const} */ (['ws', 'sio'])) {
    ctx.log(`slow dashboard: ${kind} relay without pacing, ${dashboards} + 1 that stops reading`);
    relays[kind] = await relayFanout(ctx, kind, { ...base, pace: false });
  }
  /** @typedef {import('../lib/fanout-runs.js').Measurement | undefined} Run */
  const kept = (/** @type {Run} */ r) => r && ratio(r.mean, r.reading?.mean);
  // What the server kept over the stalled window: heap in use and external memory (Buffers) after a
  // full GC at both ends. RSS moves between runs with where the collector happened to be, and
  // after a GC with what the allocator had not yet returned (both in `extra`).
  const growth = (/** @type {Run} */ r) => r && (Number(r.server.heldEnd?.held) - Number(r.server.heldStart?.held)) / MB;
  const rssGrowth = (/** @type {Run} */ r) => r && (Number(r.server.rssEnd) - Number(r.server.rssStart)) / MB;
  const settledRssGrowth = (/** @type {Run} */ r) => r && (Number(r.server.heldEnd?.rss) - Number(r.server.heldStart?.rss)) / MB;
  return [
    finish({
      key: 'slow-dashboard-rate',
      title: 'Rate of the other dashboards once one stops reading, as a share of their rate before',
      unit: 'share',
      better: 'higher',
      digits: 2,
      value: kept(o),
      baseline: kept(relays.ws),
      peer: kept(relays.sio),
      target: { text: '≥0.9', check: (r) => Number(r.value) >= 0.9 },
      server: o.server,
      cores: o.cores,
      extra: {
        beforeMBps: Number(o.reading?.mean) / MB,
        afterMBps: o.mean / MB,
        stalledGaps: o.stalled?.gaps,
        stalledClosed: o.stalled?.closed,
      },
      notes: 'baselines: relays forwarding blindly (with pacing, a stalled consumer stops the producer for everyone)',
    }),
    finish({
      key: 'slow-dashboard-memory',
      title: 'Growth of what the server holds (heap and external memory after a full GC) while one dashboard is stalled',
      unit: 'MB',
      better: 'lower',
      value: growth(o),
      baseline: growth(relays.ws),
      peer: growth(relays.sio),
      target: { text: 'bounded (<16 MB)', check: (r) => Number(r.value) < 16 },
      server: o.server,
      cores: o.cores,
      extra: {
        rssGrowthMB: rssGrowth(o), baselineRssGrowthMB: rssGrowth(relays.ws), peerRssGrowthMB: rssGrowth(relays.sio),
        settledRssGrowthMB: settledRssGrowth(o),
      },
    }),
  ];
}
