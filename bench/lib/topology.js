// @ts-check
// Where a measurement's agent and dashboards connect: the embedded single node (SQLite, the
// in-process bus), one node on PostgreSQL and Redis, or three nodes on them (`cluster`): the agent
// on node a, the dashboards spread over the others (or over all three). Each PostgreSQL topology
// gets a database and a Redis prefix of its own, dropped when it stops.
import { benchPrefix, createBenchDatabase, REDIS_URL } from './engines.js';
import { startOnsemblServer, tokenFor } from './onsembl.js';

/** @typedef {'sqlite' | 'pg' | 'cluster'} TopologyKind */
/** @typedef {import('./onsembl.js').OnsemblServerChild} ServerChild */
/** @typedef {{ id: string, child: ServerChild }} Node */
/** @typedef {Awaited<ReturnType<typeof startTopology>>} Topology */

/** What each topology is called in rows and notes. */
export const TOPOLOGY_LABELS = /** @type {const} */ ({
  sqlite: 'one node, SQLite',
  pg: 'one node, PostgreSQL + Redis',
  cluster: 'three nodes, PostgreSQL + Redis',
});

const CLUSTER_NODES = ['a', 'b', 'c'];

/**
 * @param {import('./context.js').Context} ctx
 * @param {TopologyKind} kind
 * @param {{ name: string, dashboardsOn?: 'others' | 'all', serverOptions?: Parameters<typeof startOnsemblServer>[0] }} options
 *   `dashboardsOn`: in a cluster, the nodes other than the agent's (default) or all of them
 */
export async function startTopology(ctx, kind, { name, dashboardsOn = 'others', serverOptions = {} }) {
  const database = kind === 'sqlite' ? undefined : await createBenchDatabase();
  const redisPrefix = benchPrefix();
  const ids = kind === 'cluster' ? CLUSTER_NODES : ['a'];
  /** @type {Node[]} */
  const nodes = [];
  try {
    // PostgreSQL nodes migrate the same database at once at start: as in a real deployment.
    const children = await Promise.all(ids.map((id) => startOnsemblServer(
      database ? { ...serverOptions, scaleOut: { databaseUrl: database.url, redisUrl: REDIS_URL, redisPrefix, cluster: { nodeId: id } } } : serverOptions,
      { profile: ctx.profile(ids.length > 1 ? `${name}-${id}` : name) },
    )));
    children.forEach((child, i) => nodes.push({ id: /** @type {string} */ (ids[i]), child }));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.child.stop()));
    await database?.drop();
    throw err;
  }
  const agentNode = /** @type {Node} */ (nodes[0]);
  const dashboardNodes = nodes.length > 1 && dashboardsOn === 'others' ? nodes.slice(1) : nodes;
  return {
    kind,
    nodes,
    /** The node the agent connects to (its owner). */
    agentNode,
    dashboardNodes,
    /**
     * A token (every node shares the secret, so one node issues for all).
     * @param {'agent' | 'dashboard'} role
     * @param {string} subject
     */
    token: (role, subject) => tokenFor(agentNode.child, role, subject),
    /**
     * Dashboard URLs, one per dashboard node: a fleet opens them round-robin.
     * @param {string} token
     */
    dashboardUrls: (token) => dashboardNodes.map((n) => `${n.child.wsUrl}/ws/dashboard?token=${encodeURIComponent(token)}`),
    /** CPU groups: `server` is the agent's node, the others `node-<id>`. */
    pids: () => Object.fromEntries(nodes.map((n, i) => [i === 0 ? 'server' : `node-${n.id}`, [n.child.pid]])),
    /** Every node's store counters, summed (see onsembl-server.js countingStore). */
    async storeCounts() {
      const parts = await Promise.all(nodes.map((n) => n.child.call('store')));
      return parts.reduce((sum, p) => ({
        chunks: sum.chunks + p.chunks, batches: sum.batches + p.batches, ms: sum.ms + p.ms,
        events: sum.events + p.events, eventBatches: sum.eventBatches + p.eventBatches, eventMs: sum.eventMs + p.eventMs,
      }));
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.child.stop()));
      await database?.drop();
    },
  };
}

/**
 * Cores of every node together (`nodes`) beside the agent node's (`server`), from a cpuMeter over `pids()`.
 * @param {Record<string, number>} cores
 */
export function withNodeTotal(cores) {
  const nodes = Object.entries(cores).filter(([k]) => k === 'server' || k.startsWith('node-')).reduce((s, [, v]) => s + v, 0);
  return { ...cores, nodes };
}
