import { AgentStatus, toDashboard, type AgentInfo, type ServerToAgentMessage } from '@onsembl/protocol';
import type { AgentRecord, Store } from '../ports/store.js';
import type { Broadcaster } from './broadcaster.js';

/** The server's handle on a connected agent socket. */
export interface AgentLink {
  readonly connectionId: string;
  send(message: ServerToAgentMessage): void;
  /** Closes this connection because the same identity connected again. */
  replace(): void;
}

interface AgentEntry {
  record: AgentRecord;
  link: AgentLink | undefined;
  connectedAt: number | undefined;
  currentCommandId: string | null;
  queueLength: number;
}

/** Every agent the server knows, its live status, and the link to its socket while connected. */
export class Registry {
  private readonly agents = new Map<string, AgentEntry>();
  /** Connects and disconnects still writing to the store; their status events follow the write. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly store: Store, private readonly broadcaster: Broadcaster) {}

  /** Loads every known agent as offline (after a restart nobody is connected yet). */
  async load(): Promise<void> {
    for (const record of await this.store.listAgents()) {
      this.agents.set(record.id, { record, link: undefined, connectedAt: undefined, currentCommandId: null, queueLength: 0 });
    }
  }

  info(id: string): AgentInfo | undefined {
    const entry = this.agents.get(id);
    return entry && this.toInfo(entry);
  }

  list(): AgentInfo[] {
    return [...this.agents.values()].map((e) => this.toInfo(e));
  }

  link(id: string): AgentLink | undefined {
    return this.agents.get(id)?.link;
  }

  isOnline(id: string): boolean {
    return this.agents.get(id)?.link !== undefined;
  }

  connect(record: AgentRecord, link: AgentLink): Promise<void> {
    return this.track(this.connectAfterStoring(record, link));
  }

  /** Only the link that is current may disconnect the agent (a replaced socket closing is ignored). */
  disconnect(id: string, link: AgentLink): Promise<boolean> {
    return this.track(this.disconnectAfterStoring(id, link));
  }

  /**
   * Resolves once every connect and disconnect under way has published its status. A server that
   * shuts down waits for this before it flushes its event log: the agents' going offline, published
   * after their records are stored, would otherwise miss the log, and a dashboard resuming after
   * the restart would never learn that they went (it would see them online all along).
   */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight.add(operation);
    const forget = () => this.inFlight.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  private async connectAfterStoring(record: AgentRecord, link: AgentLink): Promise<void> {
    await this.store.upsertAgent(record);
    const existing = this.agents.get(record.id);
    const isNew = existing === undefined;
    if (existing?.link && existing.link !== link) existing.link.replace();
    const entry: AgentEntry = existing ?? { record, link, connectedAt: undefined, currentCommandId: null, queueLength: 0 };
    entry.record = record;
    entry.link = link;
    entry.connectedAt = Date.now();
    this.agents.set(record.id, entry);
    if (isNew) this.broadcaster.broadcast(toDashboard('agent:list', { agents: this.list() }));
    this.publish(entry);
  }

  private async disconnectAfterStoring(id: string, link: AgentLink): Promise<boolean> {
    const entry = this.agents.get(id);
    if (!entry || entry.link !== link) return false;
    entry.link = undefined;
    entry.connectedAt = undefined;
    entry.record = { ...entry.record, lastSeenAt: Date.now() };
    await this.store.upsertAgent(entry.record);
    this.publish(entry);
    return true;
  }

  setCurrentCommand(id: string, commandId: string | null): void {
    const entry = this.agents.get(id);
    if (!entry || entry.currentCommandId === commandId) return;
    entry.currentCommandId = commandId;
    this.publish(entry);
  }

  setQueueLength(id: string, length: number): void {
    const entry = this.agents.get(id);
    if (entry) entry.queueLength = length;
  }

  touch(id: string): void {
    const entry = this.agents.get(id);
    if (entry) entry.record.lastSeenAt = Date.now();
  }

  private publish(entry: AgentEntry): void {
    this.broadcaster.broadcast(toDashboard('agent:status', { agent: this.toInfo(entry) }));
  }

  private toInfo(entry: AgentEntry): AgentInfo {
    const { record } = entry;
    const status = entry.link === undefined ? AgentStatus.offline : entry.currentCommandId ? AgentStatus.busy : AgentStatus.online;
    const info: AgentInfo = {
      id: record.id,
      name: record.name,
      type: record.type,
      status,
      lastSeenAt: record.lastSeenAt,
      currentCommandId: entry.currentCommandId,
      queueLength: entry.queueLength,
    };
    if (record.hostname !== undefined) info.hostname = record.hostname;
    if (record.version !== undefined) info.version = record.version;
    if (entry.connectedAt !== undefined) info.connectedAt = entry.connectedAt;
    return info;
  }
}
