import { AgentStatus, toDashboard, type AgentInfo, type ServerToAgentMessage } from '@onsembl/protocol';
import type { AgentRecord, Store } from '../ports/store.js';
import type { Broadcaster } from './broadcaster.js';
import { RetryStop, untilDone } from './retry.js';

/** The server's handle on a connected agent socket. */
export interface AgentLink {
  readonly connectionId: string;
  send(message: ServerToAgentMessage): void;
  /** Closes this connection because the same identity connected again. */
  replace(): void;
  /** Closes this connection so the agent reconnects and resends what was not acknowledged (a store write failed). */
  reconnect(reason: string): void;
}

/** What an AI agent's runs tell about its session (any field may be absent). */
export interface SessionUpdate {
  sessionId?: string | undefined;
  model?: string | undefined;
  cwd?: string | undefined;
}

export interface AgentEntry {
  record: AgentRecord;
  link: AgentLink | undefined;
  connectedAt: number | undefined;
  currentCommandId: string | null;
  queueLength: number;
}

/** Every agent the server knows, its live status, and the link to its socket while connected. */
export class Registry {
  protected readonly agents = new Map<string, AgentEntry>();
  protected readonly retries = new RetryStop();
  /** Connects and disconnects still writing to the store; their status events follow the write. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(protected readonly store: Store, protected readonly broadcaster: Broadcaster) {}

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

  protected track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight.add(operation);
    const forget = () => this.inFlight.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  protected async connectAfterStoring(connected: AgentRecord, link: AgentLink): Promise<void> {
    const existing = this.agents.get(connected.id);
    const record = keepSession(connected, existing?.record);
    await this.store.upsertAgent(record);
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

  protected async disconnectAfterStoring(id: string, link: AgentLink): Promise<boolean> {
    const entry = this.agents.get(id);
    if (!entry || entry.link !== link) return false;
    entry.link = undefined;
    entry.connectedAt = undefined;
    entry.record = { ...entry.record, lastSeenAt: Date.now() };
    // Dashboards hear at once that it went: the record only moves lastSeenAt, and is stored with
    // retries (a failing store must not leave an agent that left looking online).
    this.publish(entry);
    await this.storeRecord(entry.record);
    return true;
  }

  /** Stores an agent record, retrying until the store takes it (or shutdown gives up). */
  protected storeRecord(record: AgentRecord): Promise<unknown> {
    return this.track(untilDone(() => this.store.upsertAgent(record), this.retries));
  }

  /** Shutdown with the store down: stops retrying agent records. */
  abandon(): void {
    this.retries.stop();
  }

  /** The AI session the agent's next prompt continues, if any. */
  sessionOf(id: string): string | undefined {
    return this.agents.get(id)?.record.sessionId;
  }

  /**
   * Records what a run said about the agent's session (its session event, or its exit): kept in the
   * agent's stored record, so the next prompt continues it even after a server restart.
   */
  setSession(id: string, update: SessionUpdate): void {
    const entry = this.agents.get(id);
    if (!entry) return;
    const next = { ...entry.record };
    for (const key of ['sessionId', 'model', 'cwd'] as const) if (update[key] !== undefined) next[key] = update[key];
    if (next.sessionId === entry.record.sessionId && next.model === entry.record.model && next.cwd === entry.record.cwd) return;
    entry.record = next;
    this.publish(entry);
    void this.storeRecord(next);
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

  protected publish(entry: AgentEntry): void {
    this.broadcaster.broadcast(toDashboard('agent:status', { agent: this.toInfo(entry) }));
  }

  protected toInfo(entry: AgentEntry): AgentInfo {
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
    if (record.sessionId !== undefined) info.sessionId = record.sessionId;
    if (record.cwd !== undefined) info.cwd = record.cwd;
    if (record.model !== undefined) info.model = record.model;
    if (entry.connectedAt !== undefined) info.connectedAt = entry.connectedAt;
    return info;
  }
}

/**
 * The record of an agent that just connected: what it says about itself, and, for what it leaves
 * out, what was known of it (an agent restarted without state still continues its session), unless
 * it changed type (another CLI's session means nothing to it).
 */
export function keepSession(connected: AgentRecord, known: AgentRecord | undefined): AgentRecord {
  if (!known || known.type !== connected.type) return connected;
  return {
    ...connected,
    sessionId: connected.sessionId ?? known.sessionId,
    model: connected.model ?? known.model,
    cwd: connected.cwd ?? known.cwd,
  };
}
