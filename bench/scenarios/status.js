// @ts-check
// Status fan-out: 1,000 dashboards; an agent connects, then disconnects, `cycles` times. For each
// event, the time from the agent's action (startAgent / agent.stop) until each dashboard has the
// agent:status. The baselines time one small status message from the producer to every consumer.
import { sleep } from '../lib/clock.js';
import { cpuMeter } from '../lib/cpu.js';
import { startFleet } from '../lib/fleet.js';
import { startOnsemblServer, tokenFor } from '../lib/onsembl.js';
import { startChild } from '../lib/proc.js';
import { startRelay } from '../lib/relays.js';
import { finish } from '../lib/report.js';
import { percentile } from '../lib/stats.js';

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/fleet.js').Fleet} Fleet */
/** @typedef {import('../lib/config.js').Config['status']} Options */

const AGENT = 'status-agent';

/**
 * Waits until every dashboard saw the armed status; returns each arrival time (ms since epoch).
 * @param {Fleet} fleet
 * @param {number} total
 * @param {number} [timeoutMs]
 */
async function arrivals(fleet, total, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await fleet.all('statusCount');
    if (counts.reduce((a, b) => a + b, 0) >= total) break;
    if (Date.now() > deadline) throw new Error(`only ${counts.reduce((a, b) => a + b, 0)} of ${total} dashboards saw the status`);
    await sleep(10);
  }
  const parts = await fleet.all('statusTimes');
  return { at: parts.flatMap((p) => p.at), stamp: parts.flatMap((p) => p.stamp) };
}

/**
 * Runs `cycles` online/offline events through `act(status) -> t0`; collects delays.
 * @param {Fleet} fleet
 * @param {number} total
 * @param {number} count
 * @param {(status: 'online' | 'offline') => Promise<number>} act
 */
async function cycles(fleet, total, count, act) {
  /** @type {number[]} */
  const fromAction = [];
  /** @type {number[]} */
  const fromServer = [];
  for (let i = 0; i < count; i++) {
    for (const status of /** @type {const} */ (['online', 'offline'])) {
      await fleet.all('armStatus', { status });
      const t0 = await act(status);
      const { at, stamp } = await arrivals(fleet, total);
      for (let k = 0; k < at.length; k++) {
        const arrived = Number(at[k]);
        fromAction.push(arrived - t0);
        const stamped = stamp[k];
        if (stamped !== null) fromServer.push(arrived - Number(stamped));
      }
      await sleep(100);
    }
  }
  return { fromAction, fromServer };
}

/**
 * @param {Context} ctx
 * @param {Options} options
 */
async function onsembl(ctx, { dashboards, cycles: count, perProcess }) {
  const host = startChild('agents', { label: 'agent-host' });
  const [server, fleet] = await Promise.all([
    startOnsemblServer({}, { profile: ctx.profile('status') }),
    startFleet(dashboards, perProcess),
  ]);
  try {
    await host.ready;
    const [agentToken, dashToken] = await Promise.all([tokenFor(server, 'agent', AGENT), tokenFor(server, 'dashboard', 'bench')]);
    await fleet.open({ kind: 'onsembl', urls: [`${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(dashToken)}`] });
    const cpu = cpuMeter({ server: [server.pid], agent: [host.pid], clients: fleet.procs.map((p) => p.pid) });
    const t0 = Date.now();
    const result = await cycles(fleet, dashboards, count, (status) =>
      status === 'online'
        ? host.call('connectOne', { url: server.wsUrl, token: agentToken, name: AGENT })
        : host.call('disconnectOne'));
    return { ...result, server: await server.call('stats'), cores: cpu.stop(Date.now() - t0) };
  } finally {
    await Promise.all([fleet.stop(), host.stop(), server.stop()]);
  }
}

/**
 * @param {import('../lib/relays.js').RelayKind} kind
 * @param {Options} options
 */
async function relay(kind, { dashboards, cycles: count, perProcess }) {
  const relayStarting = startRelay(kind);
  const producer = startChild('producer');
  const [r, fleet] = await Promise.all([relayStarting, startFleet(dashboards, perProcess)]);
  try {
    await producer.ready;
    await fleet.open({ kind, urls: [r.consumerUrl] });
    await producer.call('connect', { kind, url: r.base });
    const result = await cycles(fleet, dashboards, count, (status) => producer.call('status', { status, agentId: AGENT }));
    return { ...result, server: await r.call('stats') };
  } finally {
    await Promise.all([fleet.stop(), r.stop(), producer.stop()]);
  }
}

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.status;
  ctx.log(`status fan-out to ${options.dashboards}: Onsembl`);
  const o = await onsembl(ctx, options);
  ctx.log(`status fan-out to ${options.dashboards}: ws relay`);
  const w = await relay('ws', options);
  ctx.log(`status fan-out to ${options.dashboards}: Socket.IO relay`);
  const s = await relay('sio', options);
  return [finish({
    key: 'status-p99',
    title: `Agent status to ${options.dashboards} dashboards, p99 from the agent's connect/disconnect`,
    unit: 'ms',
    better: 'lower',
    value: percentile(o.fromAction, 99),
    baseline: percentile(w.fromAction, 99),
    peer: percentile(s.fromAction, 99),
    target: { text: '≤100 ms', check: (r) => Number(r.value) <= 100 },
    server: o.server,
    cores: o.cores,
    extra: {
      p50: percentile(o.fromAction, 50),
      max: Math.max(...o.fromAction),
      p99FromServerEvent: percentile(o.fromServer, 99),
      samples: o.fromAction.length,
      baselineP50: percentile(w.fromAction, 50),
      peerP50: percentile(s.fromAction, 50),
    },
  })];
}
