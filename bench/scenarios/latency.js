// @ts-check
// Output latency: a command prints 1,000 timestamped lines per second; 10 dashboards measure the
// time from the line's write to its arrival. The agent batches output for up to 50 ms, so the
// floor is about half the window at the median and the whole window at the tail; the baselines'
// producer batches the same way.
import { sleep } from '../lib/clock.js';
import { cpuMeter } from '../lib/cpu.js';
import { fileURLToPath } from 'node:url';
import { AGENT } from '../lib/fanout-runs.js';
import { startFleet } from '../lib/fleet.js';
import { runCommand, spawnAgentProcess, startOnsemblServer, tokenFor } from '../lib/onsembl.js';
import { startChild } from '../lib/proc.js';
import { startRelay } from '../lib/relays.js';
import { finish } from '../lib/report.js';
import { percentile } from '../lib/stats.js';
import { Limits, Timings } from '@onsembl/protocol';

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/fleet.js').Fleet} Fleet */
/** @typedef {import('../lib/config.js').Config['latency']} Options */

const STAMP_LINES = fileURLToPath(new URL('../tools/stamp-lines.js', import.meta.url));

/**
 * Discards what arrived during warm-up, collects the window's samples from every dashboard.
 * @param {Fleet} fleet
 * @param {number} warmupMs
 * @param {number} windowMs
 */
async function window(fleet, warmupMs, windowMs) {
  await sleep(warmupMs);
  await fleet.all('latencyMode', { on: true });
  await sleep(windowMs);
  const parts = await fleet.all('latencyMode', { on: false });
  return parts.flat();
}

/**
 * @param {Context} ctx
 * @param {Options} options
 */
async function onsembl(ctx, { dashboards, rate, warmupMs, windowMs }) {
  const [server, fleet] = await Promise.all([startOnsemblServer({}, { profile: ctx.profile('latency') }), startFleet(dashboards)]);
  /** @type {import('../lib/onsembl.js').AgentProcess | undefined} */
  let agent;
  try {
    const [agentToken, dashToken] = await Promise.all([tokenFor(server, 'agent', AGENT), tokenFor(server, 'dashboard', 'bench')]);
    await fleet.open({ kind: 'onsembl', urls: [`${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(dashToken)}`] });
    agent = spawnAgentProcess(server.wsUrl, agentToken, AGENT);
    const seconds = Math.ceil((warmupMs + windowMs) / 1000) + 1;
    await runCommand(server.wsUrl, dashToken, AGENT, `${process.execPath} ${STAMP_LINES} ${rate} ${seconds}`);
    const cpu = cpuMeter({ server: [server.pid], agent: [agent.pid], clients: fleet.procs.map((p) => p.pid) });
    const t0 = Date.now();
    const samples = await window(fleet, warmupMs, windowMs);
    return { samples, server: await server.call('stats'), cores: cpu.stop(Date.now() - t0) };
  } finally {
    await Promise.all([agent?.stop(), fleet.stop(), server.stop()]);
  }
}

/**
 * @param {import('../lib/relays.js').RelayKind} kind
 * @param {Options} options
 */
async function relay(kind, { dashboards, rate, warmupMs, windowMs }) {
  const relayStarting = startRelay(kind);
  const producer = startChild('producer');
  const [r, fleet] = await Promise.all([relayStarting, startFleet(dashboards)]);
  try {
    await producer.ready;
    await fleet.open({ kind, urls: [r.consumerUrl] });
    await producer.call('connect', { kind, url: r.base });
    const ms = warmupMs + windowMs + 300;
    const writing = producer.call('lines', {
      rate, ms, batchMs: Timings.outputBatchMs, maxBytes: Limits.outputChunkBytes, commandId: 'cmd-bench', agentId: AGENT,
    }, ms + 30_000);
    const samples = await window(fleet, warmupMs, windowMs);
    await writing;
    return { samples, server: await r.call('stats') };
  } finally {
    await Promise.all([fleet.stop(), r.stop(), producer.stop()]);
  }
}

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.latency;
  ctx.log('output latency: Onsembl');
  const o = await onsembl(ctx, options);
  ctx.log('output latency: ws relay');
  const w = await relay('ws', options);
  ctx.log('output latency: Socket.IO relay');
  const s = await relay('sio', options);
  const expected = (options.rate * options.windowMs * options.dashboards) / 1000;
  /**
   * @param {number} p
   * @param {import('../lib/report.js').Row['target']} [target]
   */
  const row = (p, target) => finish({
    key: `latency-p${p}`,
    title: `Output latency, agent write to dashboard receipt, p${p} (${options.rate} lines/s, ${options.dashboards} dashboards)`,
    unit: 'ms',
    better: 'lower',
    value: percentile(o.samples, p),
    baseline: percentile(w.samples, p),
    peer: percentile(s.samples, p),
    target,
    server: o.server,
    cores: o.cores,
    extra: { samples: o.samples.length, expectedSamples: expected, max: Math.max(...o.samples) },
    notes: o.samples.length < expected * 0.9 ? `only ${o.samples.length} of ~${expected} lines arrived` : undefined,
  });
  return [row(50), row(99, { text: '≤60 ms', check: (r) => Number(r.value) <= 60 })];
}
