// @ts-check
// One fan-out measurement: a producer (a real Onsembl agent, or the baselines' producer replaying
// the same frames) floods; N dashboards count what they receive over a window. Shared by the
// fan-out, slow-dashboard and store scenarios.
import { sleep } from './clock.js';
import { catCommand } from './corpus.js';
import { cpuMeter } from './cpu.js';
import { startFleet } from './fleet.js';
import { nodesWatch } from './memory.js';
import { runCommand, spawnAgentProcess } from './onsembl.js';
import { startChild } from './proc.js';
import { startRelay } from './relays.js';
import { mean, min, sum } from './stats.js';
import { startTopology, withNodeTotal } from './topology.js';

/** @typedef {import('./proc.js').Child<Record<never, never>>} AnyChild  any child: they all serve stats and gc */
/** @typedef {import('./proc.js').Child<import('../children/producer.js').Methods>} ProducerChild */
/** @typedef {import('./context.js').Context} Context */

/**
 * Per-dashboard rates (bytes/s) over a window, with the frames, gap markers and closed sockets.
 * @typedef {{ mean: number, min: number, total: number, frames: number, gaps: number, closed: number }} Rates
 */
/**
 * The server's (or relay's) own figures over a window: its last stats, RSS samples through the
 * window, and with `settle` what it held after a full GC at both ends.
 * @typedef {import('./rpc.js').ProcessStats & import('./memory.js').RssFigures & { heldStart: import('./rpc.js').HeldMemory | undefined, heldEnd: import('./rpc.js').HeldMemory | undefined }} ServerStats
 */
/**
 * One measured window: rates, the server's figures, every server node's RSS (one for a single
 * server), cores per role, and `extra()` before and after.
 * @template E
 * @typedef {Rates & { server: ServerStats, nodes: import('./memory.js').NodeMemory[], cores: Record<string, number>, ms: number, before: E, after: E }} Window
 */
/**
 * A fan-out measurement: its window and, when some dashboards stalled, the window before the stall
 * (`reading`) and the stalled dashboards' own rates.
 * @typedef {Window<unknown> & { reading?: Window<unknown>, stalled?: Rates }} Measurement
 */
/**
 * What the store did over the window (see onsembl-server.js `countingStore`).
 * @typedef {{ chunksPerSecond: number, chunksPerBatch: number, busy: number, msPerChunk: number, eventsPerSecond: number, eventsBusy: number, msPerEvent: number }} StoreFigures
 */
/** @typedef {Measurement & { store: StoreFigures }} OnsemblMeasurement */

export const AGENT = 'bench-agent';
/** How many frames a dashboard keeps from Onsembl's fan-out for the baselines to replay. */
const CAPTURED_FRAMES = 48;

/**
 * Per-dashboard rates (bytes/s) from a fleet's counters.
 * @param {import('./fleet.js').Since} since
 * @returns {Rates}
 */
function rates(since) {
  const perDashboard = since.bytes.map((b) => (b * 1000) / since.ms);
  return {
    mean: mean(perDashboard),
    min: min(perDashboard),
    total: sum(perDashboard),
    frames: sum(since.frames),
    gaps: sum(since.gaps),
    closed: since.closed,
  };
}

/**
 * One measurement window: counters, CPU per role, the server's stats and RSS through it. With
 * `settle`, also what the server holds after a full GC at both ends (`heldStart`/`heldEnd`, see
 * rpc.js `gc`): what it kept, not where the collector happened to be (a flood allocates Buffers
 * quickly and frees them later) or how much the allocator has not returned to the system.
 * @template E
 * @param {{ fleet: import('./fleet.js').Fleet, server: AnyChild, others?: Array<{ id: string, child: AnyChild }>, pids: Record<string, Array<number | undefined>>, windowMs: number, extra: () => Promise<E>, settle?: boolean }} params
 *   `others`: more server nodes whose RSS to watch (the server's is named `a`)
 * @returns {Promise<Window<E>>}
 */
async function window({ fleet, server, others = [], pids, windowMs, extra, settle = false }) {
  const heldStart = settle ? await server.call('gc') : undefined;
  const rss = nodesWatch([{ id: 'a', child: server }, ...others]);
  const [, , before] = await Promise.all([fleet.mark(), server.call('stats'), extra()]);
  const cpu = cpuMeter({ ...pids, clients: fleet.procs.map((p) => p.pid) });
  await sleep(windowMs);
  const [since, stats, after] = await Promise.all([fleet.since(), server.call('stats'), extra()]);
  const cores = cpu.stop(since.ms);
  const heldEnd = settle ? await server.call('gc') : undefined;
  const nodes = await rss.stop();
  const { node: _, ...serverRss } = /** @type {import('./memory.js').NodeMemory} */ (nodes[0]);
  const serverStats = { ...stats, ...serverRss, heldStart, heldEnd };
  return { ...rates(since), server: serverStats, nodes, cores: others.length > 0 ? withNodeTotal(cores) : cores, ms: since.ms, before, after };
}

/**
 * The measurement, the same for Onsembl and the baselines. With `slow` dashboards there are two
 * windows on the same run: one while they read (`reading`), then one after they stopped reading,
 * so the comparison is not blurred by run-to-run variance.
 * @template E
 * @param {{ fleet: import('./fleet.js').Fleet, slow: import('./fleet.js').Fleet | undefined, server: AnyChild, others?: Array<{ id: string, child: AnyChild }>, pids: Record<string, Array<number | undefined>>, warmupMs: number, windowMs: number, extra: () => Promise<E> }} params
 * @returns {Promise<Window<E> & { reading?: Window<E> }>}
 */
async function measure({ fleet, slow, server, others, pids, warmupMs, windowMs, extra }) {
  await sleep(warmupMs);
  // Both windows settle the heap at their ends when one compares them, so both pay the same pauses.
  const settle = Boolean(slow);
  const reading = slow ? await window({ fleet, server, others, pids, windowMs, extra, settle }) : undefined;
  if (slow) await slow.all('stall');
  const result = await window({ fleet, server, others, pids, windowMs, extra, settle });
  return reading ? { ...result, reading } : result;
}

/**
 * Onsembl: the server child, `dashboards` dashboards (plus `stalled` ones that stop reading), one
 * real agent process running a bounded `cat` loop of the corpus. With `synthetic`, the agent is
 * the producer child replaying captured chunks instead (at `syntheticRate` bytes/s, or flat out);
 * it needs ctx.frames, so it runs after a real fan-out captured them. `topology` (default the
 * embedded single node): with `cluster`, the agent is on node a and the dashboards on b and c.
 * @param {Context} ctx
 * @param {{ dashboards: number, stalled?: number, deflate?: boolean, warmupMs: number, windowMs: number, name: string, serverOptions?: Parameters<typeof import('./onsembl.js').startOnsemblServer>[0], synthetic?: boolean, syntheticRate?: number, topology?: import('./topology.js').TopologyKind }} params
 * @returns {Promise<OnsemblMeasurement>}
 */
export async function onsemblFanout(ctx, {
  dashboards, stalled = 0, deflate = true, warmupMs, windowMs, name, serverOptions, synthetic = false, syntheticRate, topology: kind = 'sqlite',
}) {
  // Independent processes start together: on a busy 2-core machine each takes a while to boot.
  const [topology, fleet, slow] = await Promise.all([
    startTopology(ctx, kind, { name, serverOptions }),
    startFleet(dashboards),
    stalled > 0 ? startFleet(stalled) : undefined,
  ]);
  const server = topology.agentNode.child;
  /** @type {import('./onsembl.js').AgentProcess | ProducerChild | undefined} */
  let agent;
  try {
    const [agentToken, dashToken] = await Promise.all([topology.token('agent', AGENT), topology.token('dashboard', 'bench')]);
    agent = synthetic ? await syntheticAgent(server.wsUrl, agentToken) : spawnAgentProcess(server.wsUrl, agentToken, AGENT, { nodeArgs: ctx.agentProfile(name) });
    const urls = topology.dashboardUrls(dashToken);
    await Promise.all([fleet.open({ kind: 'onsembl', urls, deflate }), slow?.open({ kind: 'onsembl', urls, deflate })]);
    const capturing = !ctx.frames;
    const first = /** @type {import('./fleet.js').Fleet['procs'][number]} */ (fleet.procs[0]);
    if (capturing) await first.call('capture', { max: CAPTURED_FRAMES });
    // 2,000 x 8 MB: longer than any window at any plausible speed, and still bounded.
    await runCommand(server.wsUrl, dashToken, AGENT, catCommand(ctx.corpus.file, 2_000));
    const floodMs = warmupMs + windowMs * (stalled > 0 ? 2 : 1) + 500;
    const flooding = synthetic && /** @type {ProducerChild} */ (agent).call('floodAgent', {
      datas: framesOf(ctx).map(dataOf), ms: floodMs, bytesPerSecond: syntheticRate,
    }, floodMs + 30_000);
    const result = await measure({
      fleet, slow, server, others: topology.nodes.slice(1), warmupMs, windowMs,
      pids: { ...topology.pids(), agent: [agent.pid] },
      extra: () => topology.storeCounts(),
    });
    await flooding;
    if (capturing) ctx.frames = await first.call('captured');
    const { before, after, ms } = result;
    const store = {
      chunksPerSecond: ((after.chunks - before.chunks) * 1000) / ms,
      chunksPerBatch: (after.chunks - before.chunks) / Math.max(1, after.batches - before.batches),
      // Shares of the window spent storing, and the time per row (wall time, see onsembl-server.js).
      busy: (after.ms - before.ms) / ms,
      msPerChunk: (after.ms - before.ms) / Math.max(1, after.chunks - before.chunks),
      eventsPerSecond: ((after.events - before.events) * 1000) / ms,
      eventsBusy: (after.eventMs - before.eventMs) / ms,
      msPerEvent: (after.eventMs - before.eventMs) / Math.max(1, after.events - before.events),
    };
    const stalledRates = slow ? rates(await slow.since()) : undefined;
    return { ...result, store, ...(stalledRates ? { stalled: stalledRates } : {}) };
  } finally {
    await Promise.all([agent?.stop(), fleet.stop(), slow?.stop()]);
    await topology.stop();
  }
}

/**
 * The producer child speaking the agent protocol itself (see producer.js); needs captured frames.
 * @param {string} wsUrl
 * @param {string} token
 */
async function syntheticAgent(wsUrl, token) {
  const producer = startChild('producer', { label: 'synthetic-agent' });
  await producer.ready;
  await producer.call('connectAgent', { url: wsUrl, token, name: AGENT });
  return producer;
}

/**
 * A baseline relay ('ws' or 'sio') that one producer feeds the frames captured from Onsembl, or,
 * with `pty`, the same command's output read from a real terminal (see producer.js ptyFlood).
 * @param {Context} ctx
 * @param {import('./relays.js').RelayKind} kind
 * @param {{ dashboards: number, stalled?: number, pace?: boolean, cork?: boolean, pty?: boolean, warmupMs: number, windowMs: number }} params
 * @returns {Promise<Measurement>}
 */
export async function relayFanout(ctx, kind, { dashboards, stalled = 0, pace = true, cork = false, pty = false, warmupMs, windowMs }) {
  const relayStarting = startRelay(kind, { pace, cork });
  const producer = startChild('producer');
  const [relay, fleet, slow] = await Promise.all([
    relayStarting,
    startFleet(dashboards),
    stalled > 0 ? startFleet(stalled) : undefined,
  ]);
  try {
    await producer.ready;
    await Promise.all([fleet.open({ kind, urls: [relay.consumerUrl] }), slow?.open({ kind, urls: [relay.consumerUrl] })]);
    await producer.call('connect', { kind, url: relay.base });
    const floodMs = warmupMs + windowMs * (stalled > 0 ? 2 : 1) + 500;
    // The longest captured frame: the first ones of a command can be cut short by the batch timer.
    const template = framesOf(ctx).reduce((a, b) => (b.length > a.length ? b : a));
    const flooding = pty
      ? producer.call('ptyFlood', { command: catCommand(ctx.corpus.file, 2_000), ms: floodMs, template }, floodMs + 30_000)
      : producer.call('flood', { frames: framesOf(ctx), ms: floodMs }, floodMs + 30_000);
    const result = await measure({
      fleet, slow, server: relay, warmupMs, windowMs, pids: { server: [relay.pid], agent: [producer.pid] },
      extra: async () => ({}),
    });
    await flooding;
    return result;
  } finally {
    await Promise.all([fleet.stop(), slow?.stop(), relay.stop(), producer.stop()]);
  }
}

/**
 * The frames captured from Onsembl's fan-out (a run that needs them captures them first).
 * @param {Context} ctx
 */
export function framesOf(ctx) {
  if (!ctx.frames) throw new Error('no frames captured from Onsembl yet (see ensureFrames)');
  return ctx.frames;
}

/**
 * The output text of a captured terminal:output frame.
 * @param {string} frame
 * @returns {string}
 */
const dataOf = (frame) => JSON.parse(frame).payload.data;

/**
 * The baselines replay Onsembl's own frames; a scenario run alone captures them first.
 * @param {Context} ctx
 */
export async function ensureFrames(ctx) {
  if (ctx.frames?.length) return;
  await onsemblFanout(ctx, { dashboards: 1, warmupMs: 500, windowMs: 500, name: 'capture' });
}
