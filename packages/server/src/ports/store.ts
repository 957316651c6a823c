import type { AgentType, CommandStatus, OutputStream, Priority } from '@onsembl/protocol';

/** What the server keeps about an agent between connections. */
export interface AgentRecord {
  id: string;
  name: string;
  type: AgentType;
  hostname?: string | undefined;
  version?: string | undefined;
  lastSeenAt: number;
}

export interface CommandRecord {
  id: string;
  agentId: string;
  command: string;
  priority: Priority;
  status: CommandStatus;
  requestedBy: string;
  timeoutMs?: number | undefined;
  queuedAt: number;
  startedAt?: number | undefined;
  finishedAt?: number | undefined;
  exitCode?: number | null | undefined;
  signal?: string | null | undefined;
  durationMs?: number | undefined;
  message?: string | undefined;
  /** Highest output sequence stored (0 = none). */
  lastSequence: number;
}

export type CommandPatch = Partial<Omit<CommandRecord, 'id' | 'agentId' | 'command' | 'queuedAt' | 'requestedBy'>>;

export interface StoredOutputChunk {
  commandId: string;
  sequence: number;
  stream: OutputStream;
  data: string;
  createdAt: number;
}

export interface CommandFilter {
  agentId?: string;
  status?: CommandStatus | readonly CommandStatus[];
  since?: number;
  until?: number;
  /** Full-text search on the command text. */
  search?: string;
  limit?: number;
  /** Keyset pagination, newest first: only commands that sort after this one (older, or same time and smaller id). */
  after?: { queuedAt: number; id: string };
}

/**
 * One dashboard event at its position in the store's history: the text as it was sent, or, for
 * terminal output, a reference to the stored chunk (output is stored once, not twice).
 */
export interface StoredEvent {
  offset: number;
  createdAt: number;
  /** The serialised event; empty when `output` is set. */
  text: string;
  output?: { commandId: string; agentId: string; sequence: number; timestamp: number } | undefined;
}

/** A stored event as read back: output references come with their chunk (undefined once purged). */
export interface ReadEvent extends StoredEvent {
  chunk?: { data: string; stream: OutputStream } | undefined;
}

export interface AuditEntry {
  at: number;
  /** Token subject, or '-' when unauthenticated. */
  actor: string;
  role: 'dashboard' | 'agent' | 'anonymous';
  /** e.g. auth.failed, dashboard.connected, command.requested, command.interrupted, emergency.stop */
  action: string;
  /** What it acted on: an agent id, a command id. */
  target?: string | undefined;
  detail?: Record<string, unknown> | undefined;
  remote?: string | undefined;
}

export interface AuditFilter {
  since?: number;
  until?: number;
  actor?: string;
  action?: string;
  limit?: number;
  /** Keyset pagination: only entries with a smaller id (newest first). */
  beforeId?: number;
}

export interface PurgeCounts {
  output: number;
  audit: number;
  events: number;
}

export interface RetentionCutoffs {
  /** Output chunks created before this are deleted. */
  outputBefore: number;
  auditBefore: number;
  eventsBefore: number;
}

/**
 * The storage port. Asynchronous on purpose, though the embedded SQLite adapter is synchronous
 * underneath: PostgreSQL fits behind the same signatures later.
 */
export interface Store {
  /** Names this store's history; a new store gets a new epoch. */
  readonly epoch: string;
  upsertAgent(agent: AgentRecord): Promise<void>;
  listAgents(): Promise<AgentRecord[]>;
  createCommand(command: CommandRecord): Promise<void>;
  updateCommand(id: string, patch: CommandPatch): Promise<void>;
  getCommand(id: string): Promise<CommandRecord | undefined>;
  listCommands(filter: CommandFilter): Promise<CommandRecord[]>;
  /** Every command not yet in a final state (queued or running), oldest first. */
  listUnfinishedCommands(): Promise<CommandRecord[]>;
  /** Appends chunks in one transaction; a (commandId, sequence) already stored is ignored. */
  appendOutput(chunks: readonly StoredOutputChunk[]): Promise<void>;
  readOutput(commandId: string, afterSequence: number, limit?: number): Promise<StoredOutputChunk[]>;
  /** Highest stored output sequence of a command (0 when none). */
  lastOutputSequence(commandId: string): Promise<number>;
  /** Appends dashboard events (offsets increase by one) in one transaction. */
  appendEvents(events: readonly StoredEvent[]): Promise<void>;
  readEvents(afterOffset: number, limit: number): Promise<ReadEvent[]>;
  /** Oldest and newest stored offsets; {first: 0, last: 0} when none was ever stored. */
  eventBounds(): Promise<{ first: number; last: number }>;
  appendAudit(entries: readonly AuditEntry[]): Promise<void>;
  listAudit(filter: AuditFilter): Promise<Array<AuditEntry & { id: number }>>;
  /**
   * Deletes what retention no longer keeps, oldest first and at most `limit` rows of each kind, so
   * that one call stays short; returns how many rows of each went. A count equal to `limit` means
   * there may be more: call again (Retention does, yielding to live traffic in between).
   */
  purge(cutoffs: RetentionCutoffs, limit: number): Promise<PurgeCounts>;
  close(): Promise<void>;
}

