import { AgentStatus, toDashboard, type AgentInfo } from '@onsembl/protocol';
import type { ClusterHint, Coordination, Fence } from '../../ports/coordination.js';
import type { AgentRecord, Store } from '../../ports/store.js';
import type { Broadcaster } from '../broadcaster.js';
import { keepSession, Registry, type AgentEntry, type AgentLink } from '../registry.js';
import { untilDone } from '../retry.js';
import type { ClusterView } from './cluster-view.js';

/** What the registry of a node among several calls on the scheduler. */
export interface OwnershipListener {
  /**
   * This node now owns the agent under `generation`: its commands come from the store (before its
   * status goes out), unless this node still holds them from the same generation (a reconnect).
   */
  adopted(agentId: string, generation: number): Promise<void>;
  /** Another node owns it now: forget its commands here (they are in the store for their owner). */
  released(agentId: string): void;
}

/**
 * The registry of a node among several: it holds only the agents whose socket is on this node, each
 * under the fence it got when it claimed the agent; everything else it knows from the cluster view.
 * Every status it publishes about an agent goes out under that fence, so once another node claimed
 * the agent (or the agent was declared lost with this node), nothing from here lands any more.
 */
export class ClusterRegistry extends Registry {
  private readonly fences = new Map<string, Fence>();
  private listener: OwnershipListener | undefined;

  constructor(
    store: Store,
    broadcaster: Broadcaster,
    private readonly coordination: Coordination,
    readonly nodeId: string,
    private readonly view: ClusterView,
    private readonly hint: (hint: ClusterHint) => void,
  ) {
    super(store, broadcaster);
  }

  setListener(listener: OwnershipListener): void {
    this.listener = listener;
  }

  /** Nothing to load: agents on other nodes are in the view, and this node holds none yet. */
  override async load(): Promise<void> {}

  /** The fence under which this node writes for an agent, while it holds its socket. */
  fenceOf(agentId: string): Fence | undefined {
    return this.fences.get(agentId);
  }

  owned(): string[] {
    return [...this.fences.keys()];
  }

  override info(id: string): AgentInfo | undefined {
    const entry = this.agents.get(id);
    return entry ? this.toInfo(entry) : this.view.info(id);
  }

  override list(): AgentInfo[] {
    const mine = new Map([...this.agents.values()].map((e) => [e.record.id, this.toInfo(e)]));
    const all = this.view.list().map((a) => mine.get(a.id) ?? a);
    for (const [id, info] of mine) if (!this.view.info(id)) all.push(info);
    return all;
  }

  override isOnline(id: string): boolean {
    return this.agents.get(id)?.link !== undefined || this.view.isOnline(id);
  }

  override sessionOf(id: string): string | undefined {
    return this.agents.get(id)?.record.sessionId ?? this.view.info(id)?.sessionId;
  }

  protected override async connectAfterStoring(connected: AgentRecord, link: AgentLink): Promise<void> {
    const existing = this.agents.get(connected.id);
    const known = existing?.record ?? recordOf(this.view.info(connected.id));
    const record = keepSession(connected, known);
    const connectedAt = Date.now();
    const { generation, previousNode } = await this.coordination.claimAgent(record, this.nodeId, connectedAt);
    const fence = { agentId: record.id, generation };
    if (existing?.link && existing.link !== link) existing.link.replace();
    const isNew = !existing && this.view.info(record.id) === undefined;
    const wasOnline = this.view.isOnline(record.id);
    const entry: AgentEntry = existing ?? { record, link, connectedAt, currentCommandId: null, queueLength: 0 };
    entry.record = record;
    entry.link = link;
    entry.connectedAt = connectedAt;
    entry.currentCommandId = null;
    this.agents.set(record.id, entry);
    this.fences.set(record.id, fence);
    this.hint({ kind: 'claimed', agentId: record.id, node: this.nodeId, generation });
    if (previousNode !== undefined && wasOnline) {
      // It was on a node that is gone (or lost it): dashboards see it go before it comes back here.
      this.broadcaster.broadcast(toDashboard('agent:status', { agent: { ...this.toInfo(entry), status: AgentStatus.offline, currentCommandId: null, connectedAt: undefined } }), fence);
    }
    if (isNew) this.broadcaster.broadcast(toDashboard('agent:list', { agents: this.list() }));
    await this.listener?.adopted(record.id, generation);
    this.publish(entry);
  }

  protected override async disconnectAfterStoring(id: string, link: AgentLink): Promise<boolean> {
    const entry = this.agents.get(id);
    if (!entry || entry.link !== link) return false;
    const fence = this.fences.get(id);
    // Its commands stay in memory: the agent usually comes back here, under the same fence.
    this.fences.delete(id);
    this.agents.delete(id);
    const lastSeenAt = Date.now();
    if (!fence) return true;
    let released = false;
    await untilDone(async () => {
      released = await this.coordination.releaseAgent(fence, lastSeenAt);
    }, this.retries);
    if (released) {
      const info: AgentInfo = { ...this.toInfo({ ...entry, link: undefined, connectedAt: undefined, currentCommandId: null }), lastSeenAt };
      this.broadcaster.broadcast(toDashboard('agent:status', { agent: info }), fence);
    }
    return true;
  }

  /** Another node claimed an agent this node holds: its socket here is stale; close it, release nothing. */
  claimedElsewhere(agentId: string, generation: number): void {
    const fence = this.fences.get(agentId);
    if (fence && fence.generation >= generation) return;
    this.fencedOut(agentId);
  }

  /** The store refused a write under this node's fence: another node holds the agent now (whatever hints said). */
  fencedOut(agentId: string): void {
    const link = this.agents.get(agentId)?.link;
    this.forget(agentId);
    link?.replace();
  }

  /**
   * The store refused an event under the fence this node still holds the agent's socket under: it
   * was declared lost with this node (its lease ran out, say while its database was cut) and nobody
   * told it yet. The agent reconnects and resends what was not acknowledged, to whichever node.
   */
  fenceLost(fence: Fence): void {
    if (this.fences.get(fence.agentId)?.generation !== fence.generation) return;
    const link = this.agents.get(fence.agentId)?.link;
    this.forget(fence.agentId);
    link?.reconnect('this server no longer holds this agent: reconnect');
  }

  /** This node's lease was lost (it was declared dead): every agent here reconnects, to whichever node. */
  lostEverything(): void {
    for (const agentId of [...this.fences.keys()]) {
      const link = this.agents.get(agentId)?.link;
      this.forget(agentId);
      link?.reconnect('this server lost its place in the cluster: reconnect');
    }
  }

  /** Statuses of agents this node does not hold are not its to publish. */
  protected override publish(entry: AgentEntry): void {
    if (this.fences.has(entry.record.id)) super.publish(entry);
  }

  private forget(agentId: string): void {
    this.fences.delete(agentId);
    this.agents.delete(agentId);
    this.listener?.released(agentId);
  }
}

function recordOf(info: AgentInfo | undefined): AgentRecord | undefined {
  if (!info) return undefined;
  return { id: info.id, name: info.name, type: info.type, lastSeenAt: info.lastSeenAt ?? 0, sessionId: info.sessionId, cwd: info.cwd, model: info.model };
}
