// @ts-check
// One output-latency measurement: a command prints timestamped lines at a fixed rate (the agent
// batches them for up to 50 ms), dashboards take each line's stamp from the moment its end
// arrives. Onsembl on any topology (lib/topology.js), or a relay whose producer batches the same
// way. Shared by the latency and scale-fanout scenarios.
import { fileURLToPath } from 'node:url';
import { Limits, Timings } from '@onsembl/protocol';
import { sleep } from './clock.js';
import { cpuMeter } from './cpu.js';
import { AGENT } from './fanout-runs.js';
import { startFleet } from './fleet.js';
import { nodesWatch } from './memory.js';
import { runCommand, spawnAgentProcess } from './onsembl.js';
import { startChild } from './proc.js';
import { startRelay } from './relays.js';
import { startTopology, withNodeTotal } from './topology.js';

/** @typedef {import('./context.js').Context} Context */
/** @typedef {import('./fleet.js').Fleet} Fleet */
/** @typedef {{ dashboards: number, rate: number, warmupMs: number, windowMs: number }} Options */

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
 * Onsembl: the agent on the topology's agent node, the dashboards on its dashboard nodes.
 * @param {Context} ctx
 * @param {Options & { name: string, topology?: import('./topology.js').TopologyKind }} options
 */
export async function onsemblLatency(ctx, { dashboards, rate, warmupMs, windowMs, name, topology: kind = 'sqlite' }) {
  const [topology, fleet] = await Promise.all([startTopology(ctx, kind, { name }), startFleet(dashboards)]);
  const server = topology.agentNode.child;
  /** @type {import('./onsembl.js').AgentProcess | undefined} */
  let agent;
  try {
    const [agentToken, dashToken] = await Promise.all([topology.token('agent', AGENT), topology.token('dashboard', 'bench')]);
    await fleet.open({ kind: 'onsembl', urls: topology.dashboardUrls(dashToken) });
    agent = spawnAgentProcess(server.wsUrl, agentToken, AGENT);
    const seconds = Math.ceil((warmupMs + windowMs) / 1000) + 1;
    await runCommand(server.wsUrl, dashToken, AGENT, `${process.execPath} ${STAMP_LINES} ${rate} ${seconds}`);
    const cpu = cpuMeter({ ...topology.pids(), agent: [agent.pid], clients: fleet.procs.map((p) => p.pid) });
    const rss = nodesWatch(topology.nodes);
    const t0 = Date.now();
    const samples = await window(fleet, warmupMs, windowMs);
    const cores = cpu.stop(Date.now() - t0);
    return { samples, server: await server.call('stats'), nodes: await rss.stop(), cores: topology.nodes.length > 1 ? withNodeTotal(cores) : cores };
  } finally {
    await Promise.all([agent?.stop(), fleet.stop()]);
    await topology.stop();
  }
}

/**
 * @param {import('./relays.js').RelayKind} kind
 * @param {Options} options
 */
export async function relayLatency(kind, { dashboards, rate, warmupMs, windowMs }) {
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
