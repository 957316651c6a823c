// @ts-check
// One status fan-out measurement: an agent connects, then disconnects, `cycles` times; for each
// event, the time from the agent's action (startAgent / agent.stop) until each dashboard has the
// agent:status. Onsembl on any topology (lib/topology.js), or a relay timing one small message
// from the producer to every consumer. Shared by the status and scale-status scenarios.
import { sleep } from './clock.js';
import { cpuMeter } from './cpu.js';
import { startFleet } from './fleet.js';
import { nodesWatch } from './memory.js';
import { startChild } from './proc.js';
import { startRelay } from './relays.js';
import { startTopology, withNodeTotal } from './topology.js';

/** @typedef {import('./context.js').Context} Context */
/** @typedef {import('./fleet.js').Fleet} Fleet */
/** @typedef {import('./config.js').Config['status']} Options */

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
 * Onsembl: the agent on the topology's agent node; in a cluster the dashboards spread over every
 * node (the agent's too). `warmup` cycles run first and are kept apart (`cold`): the agent's first
 * connect to a fresh server also pays one-time costs (its first rows, code not yet optimised).
 * @param {Context} ctx
 * @param {Options & { name: string, topology?: import('./topology.js').TopologyKind, warmup?: number }} options
 */
export async function onsemblStatus(ctx, { dashboards, cycles: count, perProcess, name, topology: kind = 'sqlite', warmup = 0 }) {
  const host = startChild('agents', { label: 'agent-host' });
  const [topology, fleet] = await Promise.all([
    startTopology(ctx, kind, { name, dashboardsOn: 'all' }),
    startFleet(dashboards, perProcess),
  ]);
  const server = topology.agentNode.child;
  try {
    await host.ready;
    const [agentToken, dashToken] = await Promise.all([topology.token('agent', AGENT), topology.token('dashboard', 'bench')]);
    await fleet.open({ kind: 'onsembl', urls: topology.dashboardUrls(dashToken) });
    const rss = nodesWatch(topology.nodes);
    /** @param {'online' | 'offline'} status */
    const act = (status) => (status === 'online'
      ? host.call('connectOne', { url: server.wsUrl, token: agentToken, name: AGENT })
      : host.call('disconnectOne'));
    const cold = warmup > 0 ? await cycles(fleet, dashboards, warmup, act) : undefined;
    const cpu = cpuMeter({ ...topology.pids(), agent: [host.pid], clients: fleet.procs.map((p) => p.pid) });
    const t0 = Date.now();
    const result = await cycles(fleet, dashboards, count, act);
    const cores = cpu.stop(Date.now() - t0);
    return { ...result, cold, server: await server.call('stats'), nodes: await rss.stop(), cores: topology.nodes.length > 1 ? withNodeTotal(cores) : cores };
  } finally {
    await Promise.all([fleet.stop(), host.stop()]);
    await topology.stop();
  }
}

/**
 * @param {import('./relays.js').RelayKind} kind
 * @param {Options} options
 */
export async function relayStatus(kind, { dashboards, cycles: count, perProcess }) {
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
