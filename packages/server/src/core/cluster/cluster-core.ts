import { randomBytes } from 'node:crypto';
import { toDashboard, AgentStatus } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Bus } from '../../ports/bus.js';
import { CLUSTER_TOPIC, type ClusterHint, type Coordination, type Fence } from '../../ports/coordination.js';
import type { Store } from '../../ports/store.js';
import { noCounters, type ServerCounters } from '../counters.js';
import { OutputPipeline } from '../output-pipeline.js';
import type { SchedulerOptions } from '../scheduler.js';
import { TracePipeline } from '../trace-pipeline.js';
import { ClusterBroadcaster } from './cluster-broadcaster.js';
import { ClusterRegistry } from './cluster-registry.js';
import { ClusterScheduler } from './cluster-scheduler.js';
import { ClusterView } from './cluster-view.js';
import { Membership } from './membership.js';
import { SharedEventLog } from './shared-event-log.js';
import { unpaced, type DeliveryPace, type FeedEvent } from './event-feed.js';

/** Timings of a node among several (docs/scale-out.md); tests shorten them. */
export interface ClusterOptions {
  /** This node's name in the cluster (logs, /health, the store's leases). Default: `node-` and 8 random hex digits. */
  nodeId?: string;
  /** Lease renewal and dead-node check. Default 2 s. */
  heartbeatMs?: number;
  /** A node silent this long is declared dead and its agents offline. Default 3 heartbeats. */
  leaseMs?: number;
  /** How often owners read their agents' queues from the store. Default 1 s. */
  pollMs?: number;
  /** How long an event ahead of a missing one waits before the gap is read from the store. Default 100 ms. */
  gapWaitMs?: number;
  /** How often a node compares what it delivered with the store's newest offset. Default 1 s. */
  positionCheckMs?: number;
}

export type ResolvedClusterOptions = Required<ClusterOptions>;

export function resolveClusterOptions(options: ClusterOptions = {}): ResolvedClusterOptions {
  const heartbeatMs = options.heartbeatMs ?? 2_000;
  return {
    nodeId: options.nodeId ?? `node-${randomBytes(4).toString('hex')}`,
    heartbeatMs,
    leaseMs: options.leaseMs ?? heartbeatMs * 3,
    pollMs: options.pollMs ?? 1_000,
    gapWaitMs: options.gapWaitMs ?? 100,
    positionCheckMs: options.positionCheckMs ?? 1_000,
  };
}

export interface ClusterCore {
  pipeline: OutputPipeline;
  tracePipeline: TracePipeline;
  eventLog: SharedEventLog;
  broadcaster: ClusterBroadcaster;
  registry: ClusterRegistry;
  scheduler: ClusterScheduler;
  /** Hands every event this node's feed delivers (in offset order) to `listener` as well (cluster approvals). */
  onDelivered(listener: (event: FeedEvent) => void): void;
  /** Stops the lease, the hints and the feed (after the scheduler and registry have settled). */
  stop(): Promise<void>;
}

/**
 * Builds the core of a node among several on a shared store and bus: the same pipelines as one
 * server, with the event log, registry and scheduler of core/cluster. Reads the cluster's state
 * (after the newest offset, so nothing falls between) and joins with a lease.
 */
export async function startClusterCore(
  store: Store, coordination: Coordination, bus: Bus, schedulerOptions: SchedulerOptions, options: ResolvedClusterOptions, logger: Logger,
  counters: ServerCounters = noCounters,
  pace: DeliveryPace = unpaced,
): Promise<ClusterCore> {
  const log = logger.child({ nodeId: options.nodeId });
  // Acknowledged to agents once their events are committed too (see OutputPipeline).
  const afterEvents = (send: () => void) => void eventLog.flush().then(send);
  const pipeline = new OutputPipeline(store, afterEvents);
  const tracePipeline = new TracePipeline(store, afterEvents);

  // The head first, then the state: state is stored before the events that announce it, so the
  // view holds at least everything up to the head, and the feed goes on after it.
  const { last } = await store.eventBounds();
  const view = new ClusterView();
  const presence = await coordination.listPresence();
  view.load(presence, await coordination.unfinishedCommands(presence.map((p) => p.id)));

  const deliveredListeners: Array<(event: FeedEvent) => void> = [];
  const hint = (h: ClusterHint) => void bus.publish(CLUSTER_TOPIC, JSON.stringify(h)).catch(() => undefined);
  const eventLog: SharedEventLog = new SharedEventLog(
    store, coordination, last,
    async () => {
      await Promise.all([pipeline.flush(), tracePipeline.flush()]);
    },
    (event) => broadcaster.published(event),
    (event) => {
      view.apply(event);
      for (const listener of deliveredListeners) listener(event);
      broadcaster.deliver(event);
    },
    { gapWaitMs: options.gapWaitMs, checkEveryMs: options.positionCheckMs, pace },
    log,
  );
  const broadcaster: ClusterBroadcaster = new ClusterBroadcaster(bus, eventLog, (agentId): Fence | undefined => registry.fenceOf(agentId) ?? scheduler.heldFence(agentId), log, counters);
  const registry: ClusterRegistry = new ClusterRegistry(store, broadcaster, coordination, options.nodeId, view, hint);
  const scheduler: ClusterScheduler = new ClusterScheduler(
    store, registry, broadcaster, pipeline, tracePipeline, { ...schedulerOptions, pollMs: options.pollMs }, log, coordination, view, hint,
  );
  registry.setListener(scheduler);
  // An ack waiting on a refused event must not go out: the agent resends it to its new owner.
  eventLog.whenFencedOut((fence) => registry.fenceLost(fence));
  await broadcaster.start();
  const unsubscribe = await bus.subscribe(CLUSTER_TOPIC, (message) => {
    const h = JSON.parse(message) as ClusterHint;
    if (h.kind === 'claimed') {
      if (h.node !== options.nodeId) {
        registry.claimedElsewhere(h.agentId, h.generation);
        if (!registry.fenceOf(h.agentId)) scheduler.released(h.agentId);
      }
    } else {
      scheduler.onHint(h);
    }
  });
  await scheduler.load();

  /** Agents declared lost with a node (a dead one, or this one's previous process): dashboards see them go. */
  const announceOffline = (fences: Fence[]) => {
    for (const fence of fences) {
      // This node may have claimed the agent between the reap and now (its socket came here): a
      // newer fence is this node's to keep, with the commands it adopted under it.
      if ((registry.fenceOf(fence.agentId)?.generation ?? 0) > fence.generation) continue;
      scheduler.released(fence.agentId);
      const known = view.info(fence.agentId);
      if (!known) continue;
      const { connectedAt: _c, ...rest } = known;
      broadcaster.broadcast(toDashboard('agent:status', { agent: { ...rest, status: AgentStatus.offline, currentCommandId: null } }), fence);
    }
  };
  const membership = new Membership(coordination, options.nodeId, options, announceOffline, () => registry.lostEverything(), log);
  await membership.start();
  log.info({ head: last }, 'joined the cluster');

  return {
    pipeline, tracePipeline, eventLog, broadcaster, registry, scheduler,
    onDelivered: (listener) => void deliveredListeners.push(listener),
    async stop() {
      await membership.stop();
      await unsubscribe().catch(() => undefined);
      eventLog.feed.stop();
    },
  };
}
