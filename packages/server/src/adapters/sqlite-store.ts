import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type {
  AgentRecord, AuditEntry, CloseOptions, AuditFilter, CommandFilter, CommandPatch, CommandRecord, StoredOutputChunk, PurgeCounts,
  NewEvent, ReadEvent, RetentionCutoffs, Store, StoredEvent, TraceRecord, UsageFilter, UsageSummary,
} from '../ports/store.js';
import { SqliteHistory } from './sqlite-history.js';
import { SQLITE_MIGRATIONS } from './sqlite-schema.js';
import { SqliteTrace } from './sqlite-trace.js';
import {
  agentFromRow, chunkFromRow, commandFromRow, COMMAND_PATCH_COLUMNS, type AgentRow, type CommandRow, type OutputRow,
} from './store-rows.js';

/** A field value as SQLite binds it (booleans as 0/1, absent as NULL). */
function bindable(value: unknown): unknown {
  if (value === undefined) return null;
  return typeof value === 'boolean' ? Number(value) : value;
}

/** Turns free text into an FTS5 query of quoted terms (all must match), so user input is never FTS syntax. */
function ftsQuery(text: string): string {
  const terms = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return terms.map((t) => `"${t}"*`).join(' ');
}

/** The embedded store: one SQLite file in WAL mode. */
export class SqliteStore implements Store {
  readonly epoch: string;
  private readonly db: Database.Database;
  private readonly statements;
  private readonly patchStatements = new Map<string, Database.Statement>();
  private readonly appendMany: (chunks: readonly StoredOutputChunk[]) => void;
  private readonly history: SqliteHistory;
  private readonly trace: SqliteTrace;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
    this.epoch = this.loadEpoch();
    const db = this.db;
    this.statements = {
      upsertAgent: db.prepare(`INSERT INTO agents (id, name, type, hostname, version, last_seen_at, session_id, cwd, model)
        VALUES (@id, @name, @type, @hostname, @version, @lastSeenAt, @sessionId, @cwd, @model)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, hostname = excluded.hostname,
          version = excluded.version, last_seen_at = excluded.last_seen_at, session_id = excluded.session_id,
          cwd = excluded.cwd, model = excluded.model`),
      listAgents: db.prepare('SELECT * FROM agents ORDER BY name, id'),
      createCommand: db.prepare(`INSERT INTO commands (id, agent_id, command, priority, status, requested_by,
          timeout_ms, queued_at, started_at, finished_at, exit_code, signal, duration_ms, message, last_sequence,
          last_trace_sequence, max_tokens, max_cost_usd, new_session, resume_session_id, session_id, stop_reason)
        VALUES (@id, @agentId, @command, @priority, @status, @requestedBy, @timeoutMs, @queuedAt, @startedAt,
          @finishedAt, @exitCode, @signal, @durationMs, @message, @lastSequence, @lastTraceSequence, @maxTokens,
          @maxCostUsd, @newSession, @resumeSessionId, @sessionId, @stopReason)`),
      getCommand: db.prepare('SELECT * FROM commands WHERE id = ?'),
      unfinished: db.prepare("SELECT * FROM commands WHERE status IN ('queued', 'running') ORDER BY queued_at, rowid"),
      appendOutput: db.prepare(`INSERT OR IGNORE INTO output (command_id, sequence, stream, data, created_at)
        VALUES (?, ?, ?, ?, ?)`),
      lastSequence: db.prepare('SELECT MAX(sequence) AS last FROM output WHERE command_id = ?'),
      readOutput: db.prepare(`SELECT command_id, sequence, stream, data, created_at FROM output
        WHERE command_id = ? AND sequence > ? ORDER BY sequence LIMIT ?`),
    };
    this.history = new SqliteHistory(db);
    this.trace = new SqliteTrace(db);
    const append = this.statements.appendOutput;
    this.appendMany = db.transaction((chunks: readonly StoredOutputChunk[]) => {
      for (const c of chunks) append.run(c.commandId, c.sequence, c.stream, c.data, c.createdAt);
    });
  }

  private migrate(): void {
    const done = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = done; i < SQLITE_MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[i] as string);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  /**
   * The epoch names the history positions belong to. It is kept across clean restarts, and replaced
   * when the previous process did not close the store: events it numbered in its last ~10 ms may never
   * have been written, so a dashboard could have seen offsets that will now be reused.
   */
  private loadEpoch(): string {
    const get = (key: string) => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const existing = get('epoch');
    const crashed = get('open') !== undefined;
    const epoch = existing !== undefined && !crashed ? existing : randomUUID().replaceAll('-', '').slice(0, 16);
    const set = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      set.run('epoch', epoch);
      set.run('open', String(process.pid));
    })();
    return epoch;
  }

  async upsertAgent(agent: AgentRecord): Promise<void> {
    this.statements.upsertAgent.run({
      id: agent.id, name: agent.name, type: agent.type, lastSeenAt: agent.lastSeenAt, hostname: agent.hostname ?? null,
      version: agent.version ?? null, sessionId: agent.sessionId ?? null, cwd: agent.cwd ?? null, model: agent.model ?? null,
    });
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.statements.listAgents.all() as AgentRow[]).map(agentFromRow);
  }

  async createCommand(c: CommandRecord): Promise<void> {
    const params: Record<string, unknown> = { id: c.id, agentId: c.agentId, command: c.command, queuedAt: c.queuedAt, requestedBy: c.requestedBy };
    for (const key of Object.keys(COMMAND_PATCH_COLUMNS) as Array<keyof CommandPatch>) params[key] = bindable(c[key]);
    params.lastTraceSequence = c.lastTraceSequence ?? 0;
    this.statements.createCommand.run(params);
  }

  async updateCommand(id: string, patch: CommandPatch): Promise<void> {
    const keys = (Object.keys(patch) as Array<keyof CommandPatch>).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return;
    const cacheKey = keys.join(',');
    let statement = this.patchStatements.get(cacheKey);
    if (!statement) {
      const sets = keys.map((k) => `${COMMAND_PATCH_COLUMNS[k]} = @${k}`).join(', ');
      statement = this.db.prepare(`UPDATE commands SET ${sets} WHERE id = @id`);
      this.patchStatements.set(cacheKey, statement);
    }
    const params: Record<string, unknown> = { id };
    for (const k of keys) params[k] = bindable(patch[k]);
    statement.run(params);
  }

  async getCommand(id: string): Promise<CommandRecord | undefined> {
    const row = this.statements.getCommand.get(id) as CommandRow | undefined;
    return row && commandFromRow(row);
  }

  async listCommands(filter: CommandFilter): Promise<CommandRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.agentId !== undefined) { where.push('c.agent_id = ?'); params.push(filter.agentId); }
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      where.push(`c.status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    if (filter.since !== undefined) { where.push('c.queued_at >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('c.queued_at <= ?'); params.push(filter.until); }
    if (filter.withUsage) where.push('c.input_tokens IS NOT NULL');
    if (filter.after !== undefined) {
      where.push('(c.queued_at < ? OR (c.queued_at = ? AND c.id < ?))');
      params.push(filter.after.queuedAt, filter.after.queuedAt, filter.after.id);
    }
    let from = 'commands c';
    if (filter.search !== undefined && filter.search.trim() !== '') {
      const query = ftsQuery(filter.search);
      if (query === '') return [];
      from = 'commands_fts f JOIN commands c ON c.rowid = f.rowid';
      where.push('commands_fts MATCH ?');
      params.push(query);
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const sql = `SELECT c.* FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY c.queued_at DESC, c.id DESC LIMIT ${limit}`;
    return (this.db.prepare(sql).all(...params) as CommandRow[]).map(commandFromRow);
  }

  async listUnfinishedCommands(): Promise<CommandRecord[]> {
    const rows = this.statements.unfinished.all() as CommandRow[];
    return rows.map(commandFromRow);
  }

  async appendOutput(chunks: readonly StoredOutputChunk[]): Promise<void> {
    if (chunks.length > 0) this.appendMany(chunks);
  }

  async readOutput(commandId: string, afterSequence: number, limit = 10_000): Promise<StoredOutputChunk[]> {
    return (this.statements.readOutput.all(commandId, afterSequence, limit) as OutputRow[]).map(chunkFromRow);
  }

  async lastOutputSequence(commandId: string): Promise<number> {
    const row = this.statements.lastSequence.get(commandId) as { last: number | null };
    return row.last ?? 0;
  }

  async appendTrace(records: readonly TraceRecord[]): Promise<void> {
    this.trace.append(records);
  }

  async readTrace(commandId: string, afterSequence: number, limit: number): Promise<TraceRecord[]> {
    return this.trace.read(commandId, afterSequence, limit);
  }

  async lastTraceSequence(commandId: string): Promise<number> {
    return this.trace.last(commandId);
  }

  async usageSummary(filter: UsageFilter): Promise<UsageSummary> {
    return this.trace.usageSummary(filter);
  }

  /** The file belongs to one server process, which numbers its events itself. */
  readonly positions = 'caller';

  async appendEvents(events: readonly StoredEvent[]): Promise<void> {
    this.history.appendEvents(events);
  }

  async insertEvents(events: readonly NewEvent[]): Promise<number> {
    return this.history.insertEvents(events);
  }

  async readEvents(afterOffset: number, limit: number): Promise<ReadEvent[]> {
    return this.history.readEvents(afterOffset, limit);
  }

  async eventBounds(): Promise<{ first: number; last: number }> {
    return this.history.eventBounds();
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    this.history.appendAudit(entries);
  }

  async listAudit(filter: AuditFilter): Promise<Array<AuditEntry & { id: number }>> {
    return this.history.listAudit(filter);
  }

  async purge(cutoffs: RetentionCutoffs, limit: number): Promise<PurgeCounts> {
    return this.history.purge(cutoffs, limit);
  }

  /** A close with events lost keeps the open marker, so the next open takes a new epoch, as after a crash. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (!this.db.open) return;
    try {
      if (options.historyComplete !== false) this.db.prepare("DELETE FROM meta WHERE key = 'open'").run();
    } finally {
      this.db.close();
    }
  }
}
