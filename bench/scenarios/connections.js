// @ts-check
// Connections: 10,000 idle dashboards; the server's RSS per connection (after a full GC on both
// sides of the measurement). Clients are spread over processes and loopback source addresses.
import { sleep } from '../lib/clock.js';
import { startFleet } from '../lib/fleet.js';
import { startOnsemblServer, tokenFor } from '../lib/onsembl.js';
import { startRelay } from '../lib/relays.js';
import { finish } from '../lib/report.js';

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/fleet.js').Fleet} Fleet */
/** @typedef {import('../lib/config.js').Config['connections']} Options */
/** @typedef {import('../lib/fanout-runs.js').AnyChild} AnyChild */

/**
 * Settles the heap (twice: weak callbacks) and reads the RSS.
 * @param {AnyChild} server
 * @param {number} settleMs
 */
async function settledRss(server, settleMs) {
  await server.call('gc');
  await sleep(settleMs / 3);
  return (await server.call('gc')).rss;
}

/**
 * @param {AnyChild} server
 * @param {string[]} urls
 * @param {'onsembl' | import('../lib/relays.js').RelayKind} kind
 * @param {Options} options
 */
async function measure(server, urls, kind, { dashboards, perProcess, settleMs }) {
  const before = await settledRss(server, settleMs);
  const fleet = await startFleet(dashboards, perProcess);
  try {
    const openMs = await fleet.open({ kind, urls, concurrency: 50 }, 300_000);
    await sleep(settleMs);
    const after = await settledRss(server, settleMs);
    return { perConnectionKB: (after - before) / dashboards / 1024, openMs, before, after, stats: await server.call('stats') };
  } finally {
    await fleet.stop();
  }
}

/**
 * @param {Context} ctx
 * @param {Options} options
 */
async function onsembl(ctx, options) {
  const server = await startOnsemblServer({}, { profile: ctx.profile('connections') });
  try {
    const token = await tokenFor(server, 'dashboard', 'bench');
    return await measure(server, [`${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`], 'onsembl', options);
  } finally {
    await server.stop();
  }
}

/**
 * @param {import('../lib/relays.js').RelayKind} kind
 * @param {Options} options
 */
async function relay(kind, options) {
  const r = await startRelay(kind);
  try {
    return await measure(r, [r.consumerUrl], kind, options);
  } finally {
    await r.stop();
  }
}

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.connections;
  ctx.log(`${options.dashboards} idle dashboards: Onsembl`);
  const o = await onsembl(ctx, options);
  ctx.log(`${options.dashboards} idle dashboards: ws relay`);
  const w = await relay('ws', options);
  ctx.log(`${options.dashboards} idle dashboards: Socket.IO relay`);
  const s = await relay('sio', options);
  return [finish({
    key: 'connections-rss',
    title: `Server RSS per idle dashboard (${options.dashboards} connections)`,
    unit: 'KB each',
    better: 'lower',
    value: o.perConnectionKB,
    baseline: w.perConnectionKB,
    peer: s.perConnectionKB,
    target: { text: '≤30 KB', check: (r) => Number(r.value) <= 30 },
    server: { ...o.stats, rssStart: o.before, rssEnd: o.after },
    extra: {
      connectPerSecond: (options.dashboards * 1000) / o.openMs,
      baselineConnectPerSecond: (options.dashboards * 1000) / w.openMs,
      peerConnectPerSecond: (options.dashboards * 1000) / s.openMs,
    },
  })];
}
