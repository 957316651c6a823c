// @ts-check
// Fan-out throughput: one agent printing as fast as it can (a bounded `cat` loop of base64 lines,
// see lib/corpus.js), 1, 10 and 100 dashboards; MB/s delivered to each dashboard, beside the ws
// relay and the Socket.IO relay replaying the very frames Onsembl sent.
import { onsemblFanout, relayFanout } from '../lib/fanout-runs.js';
import { finish } from '../lib/report.js';

const MB = 1024 * 1024;

/** @typedef {import('../lib/fanout-runs.js').Measurement} Measurement */
/** @typedef {import('../lib/fanout-runs.js').OnsemblMeasurement} OnsemblMeasurement */
/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {{ onsembl: number, ws: number, sio: number, byWs: number, bySio: number }} RoundFigures */

const VARIANTS = {
  'no-deflate': {
    title: ', clients without permessage-deflate',
    note: 'dashboards that do not offer permessage-deflate (browsers always do): the cost of per-dashboard compression',
  },
  'server-only': {
    title: ', synthetic agent (the server alone)',
    note: 'a synthetic agent replays the captured chunks as fast as the server reads them, like the relays\' producer',
  },
  'corked-relay': {
    title: ', the ws relay corking each consumer per turn (a bound, not Onsembl)',
    note: 'not Onsembl: the ws relay writing once per consumer per turn, with no work of its own; what any server that writes once per turn could reach here',
  },
  'corked-relay-pty': {
    title: ', the corked ws relay fed through a real terminal (a bound, not Onsembl)',
    note: 'not Onsembl: the corked relay with its producer reading the same command through a PTY, as the agent does; what a server with no work of its own could reach with a real agent on this machine',
  },
};

/**
 * @param {number} n
 * @param {Measurement} o
 * @param {Measurement | undefined} w
 * @param {Measurement | undefined} s
 * @param {keyof typeof VARIANTS | false} variant
 */
function row(n, o, w, s, variant) {
  const key = variant ? `fanout-${n}-${variant}` : `fanout-${n}`;
  const notes = [];
  if (o.gaps > 0) notes.push(`Onsembl dropped output for slow dashboards (${o.gaps} gap markers): only delivered bytes count`);
  if (variant) notes.push(VARIANTS[variant].note);
  return finish({
    key,
    title: `Fan-out to ${n} dashboard${n > 1 ? 's' : ''}${variant ? VARIANTS[variant].title : ''}`,
    unit: 'MB/s each',
    better: 'higher',
    value: o.mean / MB,
    baseline: Number(w?.mean) / MB,
    peer: Number(s?.mean) / MB,
    target: n === 100 && !variant
      ? { text: '≥0.7×ws ≥3×sio', check: (r) => Number(r.ratio) >= 0.7 && Number(r.peerRatio) >= 3 }
      : undefined,
    server: o.server,
    cores: o.cores,
    extra: {
      minPerDashboard: o.min / MB,
      totalMBps: o.total / MB,
      framesPerSecond: (o.frames * 1000) / o.ms,
      gaps: o.gaps,
      baselineCores: w?.cores,
      peerCores: s?.cores,
    },
    notes: notes.join('; ') || undefined,
  });
}

/**
 * One round: Onsembl, then the ws relay, then Socket.IO, each on its own fresh processes.
 * @param {Context} ctx
 * @param {number} n
 * @param {string} label
 */
async function round(ctx, n, label) {
  const { warmupMs, windowMs } = ctx.config.fanout;
  ctx.log(`fan-out to ${n}${label}: Onsembl`);
  const o = await onsemblFanout(ctx, { dashboards: n, warmupMs, windowMs, name: `fanout-${n}` });
  ctx.log(`fan-out to ${n}${label}: ws relay`);
  const w = await relayFanout(ctx, 'ws', { dashboards: n, warmupMs, windowMs });
  ctx.log(`fan-out to ${n}${label}: Socket.IO relay`);
  const s = await relayFanout(ctx, 'sio', { dashboards: n, warmupMs, windowMs });
  return { o, w, s };
}

/**
 * The median item by `key` (the lower one of an even count).
 * @template T
 * @param {T[]} items
 * @param {(item: T) => number} key
 * @returns {T}
 */
const medianBy = (items, key) => /** @type {T} */ ([...items].sort((a, b) => key(a) - key(b))[Math.floor((items.length - 1) / 2)]);

/**
 * The count with a target runs `rounds` rounds: on a shared machine a single round's ratio to
 * Socket.IO swings too much to judge a target by. The row shows each series' median (so the ratios are the
 * medians' ratios) and keeps every round's figures in `extra.rounds`.
 * @param {Context} ctx
 * @param {number} n
 * @param {number} rounds
 * @returns {Promise<{ o: OnsemblMeasurement, w: Measurement, s: Measurement, rounds: RoundFigures[] | undefined }>}
 */
async function measuredCount(ctx, n, rounds) {
  if (rounds <= 1) return { ...(await round(ctx, n, '')), rounds: undefined };
  /** @type {Array<Awaited<ReturnType<typeof round>>>} */
  const results = [];
  for (let i = 1; i <= rounds; i++) results.push(await round(ctx, n, ` (round ${i} of ${rounds})`));
  /**
   * @template {Measurement} M
   * @param {M[]} series
   */
  const pick = (series) => medianBy(series, (x) => x.mean);
  return {
    o: pick(results.map((r) => r.o)), w: pick(results.map((r) => r.w)), s: pick(results.map((r) => r.s)),
    rounds: results.map(({ o, w, s }) => ({
      onsembl: o.mean / MB, ws: w.mean / MB, sio: s.mean / MB, byWs: o.mean / w.mean, bySio: o.mean / s.mean,
    })),
  };
}

/** @param {Context} ctx */
export async function run(ctx) {
  const { counts, noDeflateVariant, rounds = 1, warmupMs, windowMs } = ctx.config.fanout;
  const rows = [];
  for (const n of counts) {
    const measured = await measuredCount(ctx, n, n === Math.max(...counts) ? rounds : 1);
    const { o, w, s } = measured;
    ctx.fanout[n] = o;
    ctx.relayFanout[n] = { ws: w, sio: s };
    const r = row(n, o, w, s, false);
    if (measured.rounds && r.extra) {
      r.extra.rounds = measured.rounds;
      r.notes = [r.notes, `median of ${rounds} rounds; ÷sio by round: ${measured.rounds.map((x) => x.bySio.toFixed(2)).join(', ')}`].filter(Boolean).join('; ');
    }
    rows.push(r);
  }
  if (noDeflateVariant) {
    for (const n of counts) {
      ctx.log(`fan-out to ${n}: Onsembl, clients without permessage-deflate`);
      const o = await onsemblFanout(ctx, { dashboards: n, deflate: false, warmupMs, windowMs, name: `fanout-${n}-no-deflate` });
      rows.push(row(n, o, ctx.relayFanout[n]?.ws, ctx.relayFanout[n]?.sio, 'no-deflate'));
    }
    const n = Math.max(...counts);
    ctx.log(`fan-out to ${n}: Onsembl with a synthetic agent`);
    const o = await onsemblFanout(ctx, { dashboards: n, synthetic: true, warmupMs, windowMs, name: `fanout-${n}-server-only` });
    rows.push(row(n, o, ctx.relayFanout[n]?.ws, ctx.relayFanout[n]?.sio, 'server-only'));
    ctx.log(`fan-out to ${n}: the ws relay corking per turn (a bound)`);
    const bound = await relayFanout(ctx, 'ws', { dashboards: n, cork: true, warmupMs, windowMs });
    rows.push(row(n, { ...bound, gaps: 0 }, ctx.relayFanout[n]?.ws, ctx.relayFanout[n]?.sio, 'corked-relay'));
    ctx.log(`fan-out to ${n}: the corked ws relay fed through a terminal (a bound)`);
    const ptyBound = await relayFanout(ctx, 'ws', { dashboards: n, cork: true, pty: true, warmupMs, windowMs });
    rows.push(row(n, { ...ptyBound, gaps: 0 }, ctx.relayFanout[n]?.ws, ctx.relayFanout[n]?.sio, 'corked-relay-pty'));
  }
  return rows;
}
