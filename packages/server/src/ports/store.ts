import type { AgentType, CommandStatus, CostSource, OutputStream, Priority, StopReason } from '@onsembl/protocol';

/** What the server keeps about an agent between connections. */
export interface AgentRecord {
  id: string;
  name: string;
  type: AgentType;
  hostname?: string | undefined;
  version?: string | undefined;
  lastSeenAt: number;
  /** The AI session the agent's next prompt continues (docs/delivery.md, "Sessions"); kept across restarts. */
  sessionId?: string | undefined;
  /** Where the agent runs, and the model it runs with, as it last said. */
  cwd?: string | undefined;
  model?: string | undefined;
}

/**
 * Token and cost totals of one command: those of its last `usage` trace event (each usage event
 * carries the totals so far, not a delta).
 */
export interface CommandUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** USD; null when the CLI reported none and the model has no known price. */
  costUsd: number | null;
  /** Whether `costUsd` came from the CLI or from the protocol's price table. */
  costSource: CostSource;
  model?: string | undefined;
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
  /** Highest trace sequence (trace:event) stored, written with the final state (absent = 0). */
  lastTraceSequence?: number | undefined;
  /** Budgets of an AI run, as requested. */
  maxTokens?: number | undefined;
  maxCostUsd?: number | undefined;
  /** The request asked for a new AI session rather than continuing the agent's current one. */
  newSession?: boolean | undefined;
  /**
   * The session the run was asked to continue: the request's own, else (unless `newSession`) the
   * agent's current session when the command was sent to it. Absent = a new session.
   */
  resumeSessionId?: string | undefined;
  /** The session the run used (its `session` trace event, or its exit). */
  sessionId?: string | undefined;
  /** Why an AI run ended (StopReason), from the agent's exit. */
  stopReason?: StopReason | undefined;
  /** Set by `appendTrace` from the command's usage events, never by `updateCommand`. */
  usage?: CommandUsage | undefined;
}

export type CommandPatch = Partial<Omit<CommandRecord, 'id' | 'agentId' | 'command' | 'queuedAt' | 'requestedBy' | 'usage'>>;

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
  /** Only commands that have usage totals (AI runs that reported at least one usage event). */
  withUsage?: boolean;
}

/**
 * One structured event of an AI run (a trace:event from its agent), as stored. The event itself is
 * kept as the JSON text it arrived as: the store never looks inside it.
 */
export interface TraceRecord {
  commandId: string;
  /** The agent's own 1-based, contiguous counter per command (separate from output's). */
  sequence: number;
  /** The event's `kind` (TraceKind), kept beside the text so a reader can tell kinds apart without parsing. */
  kind: string;
  /** The TraceEvent, serialised. */
  event: string;
  createdAt: number;
  /** For a `usage` event: the totals it carries, which become the command's `usage`. */
  usage?: CommandUsage | undefined;
}

/** Which commands a usage summary covers: by agent, and by when they were queued (ms, inclusive). */
export interface UsageFilter {
  agentId?: string;
  since?: number;
  until?: number;
}

/** Sums over the commands with usage totals. */
export interface UsageSums {
  /** Commands counted (those with usage totals). */
  commands: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Sum of the known costs, USD. */
  costUsd: number;
  /** The part of `costUsd` that was estimated from the price table (the rest the CLIs reported). */
  estimatedCostUsd: number;
  /** Commands whose cost is unknown (null): counted in the tokens, not in the cost. */
  unpricedCommands: number;
}

export interface UsageSummary {
  total: UsageSums;
  /** By agent id, ascending. */
  byAgent: Array<UsageSums & { agentId: string }>;
  /** By UTC day of `queuedAt` (`dayStart` = that day's 00:00 UTC in ms), ascending. */
  byDay: Array<UsageSums & { dayStart: number }>;
}

/** Where a by-reference event points: a stored output chunk or trace event of a command. */
export interface EventReference {
  commandId: string;
  agentId: string;
  sequence: number;
  /** The envelope timestamp of the event as it was sent. */
  timestamp: number;
}

/**
 * One dashboard event at its position in the store's history: the text as it was sent, or, for
 * terminal output and trace events, a reference to the stored chunk or trace record (each is
 * stored once, not twice). At most one of `output` and `trace` is set.
 */
export interface StoredEvent {
  offset: number;
  createdAt: number;
  /** The serialised event; empty when `output` or `trace` is set. */
  text: string;
  output?: EventReference | undefined;
  trace?: EventReference | undefined;
}

/** A dashboard event before the store numbered it (Store.insertEvents). */
export type NewEvent = Omit<StoredEvent, 'offset'>;

/**
 * A stored event as read back: an output reference comes with its chunk, a trace reference with
 * its record's `event` text (each undefined once purged, or if it was never stored).
 */
export interface ReadEvent extends StoredEvent {
  chunk?: { data: string; stream: OutputStream } | undefined;
  traceEvent?: string | undefined;
}

export interface AuditEntry {
  at: number;
  /** Token subject, or '-' when unauthenticated. */
  actor: string;
  /** `server`: the server decided by itself (an approval's deadline, a command that ended). */
  role: 'dashboard' | 'agent' | 'anonymous' | 'server';
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
  /** Trace records (they age with output: same cutoff). */
  trace: number;
  audit: number;
  events: number;
}

export interface CloseOptions {
  /** Default true: every event the server numbered was stored. */
  historyComplete?: boolean;
}

export interface RetentionCutoffs {
  /** Output chunks and trace records created before this are deleted. */
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
  /**
   * Appends trace records in one transaction; a (commandId, sequence) already stored is ignored
   * (and so is its usage). A newly stored record with `usage` sets its command's `usage` in the
   * same transaction: the server hands records of a command in sequence order, so the last wins.
   */
  appendTrace(records: readonly TraceRecord[]): Promise<void>;
  /** A command's trace records after `afterSequence`, in sequence order, at most `limit` (read back without `usage`). */
  readTrace(commandId: string, afterSequence: number, limit: number): Promise<TraceRecord[]>;
  /** Highest stored trace sequence of a command (0 when none). */
  lastTraceSequence(commandId: string): Promise<number>;
  /**
   * Sums the `usage` of the commands the filter selects (commands without usage are left out):
   * in total, per agent and per UTC day of `queuedAt`.
   */
  usageSummary(filter: UsageFilter): Promise<UsageSummary>;
  /**
   * Who numbers dashboard events. `caller`: one process writes this history (the embedded SQLite
   * file belongs to one server), numbers events itself as it broadcasts them, and appends them
   * (appendEvents). `store`: several server nodes write it, so the store numbers events as it
   * commits them (insertEvents): dense, in commit order, the same for every node.
   */
  readonly positions: 'caller' | 'store';
  /** Appends dashboard events the caller numbered (offsets increase by one) in one transaction. */
  appendEvents(events: readonly StoredEvent[]): Promise<void>;
  /**
   * Stores dashboard events in one transaction and numbers them: consecutive offsets after every
   * event committed before, none skipped, so a reader at offset n that later finds n + 2 knows n + 1
   * exists. Resolves with the first offset.
   */
  insertEvents(events: readonly NewEvent[]): Promise<number>;
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
  /**
   * `historyComplete: false`: the server gave up on events it had numbered (the store failed
   * until shutdown), so positions in this history may be reused; a store whose offsets the caller
   * hands out must take a new epoch when it is opened next.
   */
  close(options?: CloseOptions): Promise<void>;
}

