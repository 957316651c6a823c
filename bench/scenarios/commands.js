// @ts-check
// Commands: 100 agents, each kept 2 commands deep with `true`; commands completed per second.
// Agents run in a few processes (startAgent, 50 per process). The baselines route `run` and `exit`
// messages through a relay to mini agents that start `true` in a PTY the same way.
// The server is started with the per-dashboard rate limits lifted (10 commands per minute would
// measure the limiter, not the server).
import { cpuMeter } from '../lib/cpu.js';
import { startOnsemblServer, tokenFor } from '../lib/onsembl.js';
import { startChild } from '../lib/proc.js';
import { startRelay } from '../lib/relays.js';
import { finish } from '../lib/report.js';

/** @typedef {import('../lib/context.js').Context} Context */
/** @typedef {import('../lib/config.js').Config['commands']} Options */
/**
 * The agent host processes, the driver, the agents' ids and each host's share of them.
 * @typedef {{ hosts: Array<import('../lib/proc.js').Child<import('../children/agents.js').Methods>>, driver: import('../lib/proc.js').Child<import('../children/driver.js').Methods>, ids: string[], shares: string[][] }} Setup
 */

const LIFTED_LIMITS = { commandsPerMinute: 1e9, messagesPerSecond: 1e9 };

/** @param {number} n */
function agentIds(n) {
  return Array.from({ length: n }, (_, i) => `agent-${i}`);
}

/**
 * @template T
 * @param {Options} options
 * @param {(setup: Setup) => Promise<T>} body
 * @param {(host: number) => string[]} [nodeArgs]
 * @returns {Promise<T>}
 */
async function withHostsAndDriver({ agents, agentsPerProcess }, body, nodeArgs = () => []) {
  const hosts = Array.from({ length: Math.ceil(agents / agentsPerProcess) }, (_, i) =>
    startChild('agents', { label: `agent-host-${i}`, nodeArgs: nodeArgs(i) }));
  const driver = startChild('driver');
  try {
    await Promise.all([...hosts.map((h) => h.ready), driver.ready]);
    const ids = agentIds(agents);
    const shares = hosts.map((_, i) => ids.slice(i * agentsPerProcess, (i + 1) * agentsPerProcess));
    return await body({ hosts, driver, ids, shares });
  } finally {
    await Promise.all([...hosts.map((h) => h.stop()), driver.stop()]);
  }
}

/**
 * @param {Context} ctx
 * @param {Options} options
 */
async function onsembl(ctx, options) {
  const server = await startOnsemblServer(LIFTED_LIMITS, { profile: ctx.profile('commands') });
  try {
    return await withHostsAndDriver(options, async ({ hosts, driver, ids, shares }) => {
      const tokens = await server.call('tokens', { role: 'agent', names: ids });
      const dashToken = await tokenFor(server, 'dashboard', 'bench');
      await Promise.all(hosts.map((h, i) => h.call('start', {
        url: server.wsUrl, tokens: tokens.slice(i * options.agentsPerProcess, (i + 1) * options.agentsPerProcess), names: /** @type {string[]} */ (shares[i]),
      })));
      await driver.call('connect', { kind: 'onsembl', url: `${server.wsUrl}/ws/dashboard?token=${encodeURIComponent(dashToken)}` });
      const cpu = cpuMeter({ server: [server.pid], agents: hosts.map((h) => h.pid), driver: [driver.pid] });
      const t0 = Date.now();
      const result = await driver.call('drive', { agentIds: ids, ...options }, options.warmupMs + options.windowMs + 30_000);
      return { ...result, server: await server.call('stats'), cores: cpu.stop(Date.now() - t0) };
    }, (i) => (i === 0 ? ctx.agentProfile('commands') : []));
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
    return await withHostsAndDriver(options, async ({ hosts, driver, ids, shares }) => {
      await Promise.all(hosts.map((h, i) => h.call('startMini', { kind, url: r.base, ids: /** @type {string[]} */ (shares[i]) })));
      await driver.call('connect', { kind, url: r.base });
      const cpu = cpuMeter({ server: [r.pid], agents: hosts.map((h) => h.pid), driver: [driver.pid] });
      const t0 = Date.now();
      const result = await driver.call('drive', { agentIds: ids, ...options }, options.warmupMs + options.windowMs + 30_000);
      return { ...result, cores: cpu.stop(Date.now() - t0) };
    });
  } finally {
    await r.stop();
  }
}

/** @param {Context} ctx */
export async function run(ctx) {
  const options = ctx.config.commands;
  ctx.log(`commands on ${options.agents} agents: Onsembl`);
  const o = await onsembl(ctx, options);
  ctx.log(`commands on ${options.agents} agents: ws relay`);
  const w = await relay('ws', options);
  ctx.log(`commands on ${options.agents} agents: Socket.IO relay`);
  const s = await relay('sio', options);
  return [finish({
    key: 'commands',
    title: `Commands (\`true\`) completed per second, ${options.agents} agents ${options.depth} deep`,
    unit: 'cmd/s',
    better: 'higher',
    value: o.perSecond,
    baseline: w.perSecond,
    peer: s.perSecond,
    server: o.server,
    cores: o.cores,
    extra: {
      p50ms: o.p50, p99ms: o.p99, failed: o.failed, baselineP50ms: w.p50, peerP50ms: s.p50,
      baselineCores: w.cores, peerCores: s.cores,
    },
    notes: o.failed > 0 ? `${o.failed} commands failed or were refused` : undefined,
  })];
}
