import pg from 'pg';
import {
  agentFromRow, chunkFromRow, commandFromRow, COMMAND_PATCH_COLUMNS, type AgentRecord, type AgentRow, type AuditEntry, type AuditFilter,
  type CloseOptions, type CommandFilter, type CommandPatch, type CommandRecord, type CommandRow, type NewEvent, type OutputRow,
  type PurgeCounts, type ReadEvent, type RetentionCutoffs, type Store, type StoredEvent, type StoredOutputChunk, type TraceRecord,
  type UsageFilter, type UsageSummary,
} from '@onsembl/server';
import { migrate } from './migrate.js';
import { PgCoordination } from './pg-coordination.js';
import { PgHistory } from './pg-history.js';
import { PgTrace } from './pg-trace.js';
import { COMMAND_COLUMNS, INSERT_COMMAND, insertCommandValues, LOCK_AGAINST_STOP, searchQuery } from './rows.js';
import { inTransaction } from './transaction.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Schema holding Onsembl's tables (created if missing). Default `onsembl`. */
  schema?: string;
  /** Connections in the pool. Default 10. */
  maxConnections?: number;
  /** A query that has not answered by then fails (a cut or blackholed link), default 10 s. */
  queryTimeoutMs?: number;
  /** Opening a connection fails after this, default 5 s. */
  connectTimeoutMs?: number;
  /** application_name of every connection (what pg_stat_activity shows, e.g. one node's name). Default `onsembl`. */
  applicationName?: string;
  /** Tests only: runs inside every event transaction before it commits (to show commit order is offset order). */
  beforeEventCommit?: () => Promise<void>;
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;
const INT8_OID = 20;

/** bigint columns hold milliseconds, sequences and offsets: far below 2^53, so plain numbers. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format as 'text') as (value: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

/**
 * The Store port on PostgreSQL: the shared truth of several server nodes. Events are numbered by
 * the store as they commit (`positions: 'store'`), so the epoch never changes: no node's crash can
 * leave positions behind that would be handed out again.
 */
export class PostgresStore implements Store {
  readonly positions = 'store';
  private closed = false;

  private constructor(
    readonly epoch: string,
    private readonly pool: pg.Pool,
    private readonly history: PgHistory,
    private readonly trace: PgTrace,
    /** What several nodes agree on, in the same database (the server's Coordination port). */
    readonly coordination: PgCoordination,
  ) {}

  /** Connects, applies migrations (safe when several nodes start at once) and reads the epoch. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const schema = options.schema ?? 'onsembl';
    if (!SCHEMA_RE.test(schema)) throw new Error(`schema must match ${SCHEMA_RE.source}: ${schema}`);
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new Error(`not a PostgreSQL URL: ${redact(options.url)}`);
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new Error(`not a PostgreSQL URL (postgres:// or postgresql://): ${redact(options.url)}`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      query_timeout: options.queryTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: options.applicationName ?? 'onsembl',
      options: `-c search_path=${schema}`,
      types,
    });
    // A connection the server ends while idle (a restart, pg_terminate_backend) is dropped from the
    // pool and replaced on the next query; without a listener it would crash the process.
    pool.on('error', () => undefined);
    try {
      const epoch = await migrate(pool, schema);
      return new PostgresStore(
        epoch, pool, new PgHistory(pool, options.beforeEventCommit), new PgTrace(pool), new PgCoordination(pool, options.beforeEventCommit),
      );
    } catch (err) {
      await pool.end().catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`PostgreSQL at ${redact(options.url)} could not be used: ${message}`, { cause: err });
    }
  }

  async upsertAgent(agent: AgentRecord): Promise<void> {
    await this.pool.query(
      `INSERT INTO agents (id, name, type, hostname, version, last_seen_at, session_id, cwd, model)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, hostname = excluded.hostname,
         version = excluded.version, last_seen_at = excluded.last_seen_at, session_id = excluded.session_id,
         cwd = excluded.cwd, model = excluded.model`,
      [agent.id, agent.name, agent.type, agent.hostname ?? null, agent.version ?? null, agent.lastSeenAt,
        agent.sessionId ?? null, agent.cwd ?? null, agent.model ?? null],
    );
  }

  async listAgents(): Promise<AgentRecord[]> {
    const { rows } = await this.pool.query<AgentRow>('SELECT * FROM agents ORDER BY name, id');
    return rows.map(agentFromRow);
  }

  /** Inserted under the emergency stop's row, shared (see PgCoordination.emergencyStop). */
  async createCommand(c: CommandRecord): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query(LOCK_AGAINST_STOP);
      await client.query(INSERT_COMMAND, insertCommandValues(c));
    });
  }

  async updateCommand(id: string, patch: CommandPatch): Promise<void> {
    const keys = (Object.keys(patch) as Array<keyof CommandPatch>).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return;
    const sets = keys.map((k, i) => `${COMMAND_PATCH_COLUMNS[k]} = $${i + 2}`).join(', ');
    await this.pool.query(`UPDATE commands SET ${sets} WHERE id = $1`, [id, ...keys.map((k) => patch[k])]);
  }

  async getCommand(id: string): Promise<CommandRecord | undefined> {
    const { rows } = await this.pool.query<CommandRow>(`SELECT ${COMMAND_COLUMNS} FROM commands WHERE id = $1`, [id]);
    return rows[0] && commandFromRow(rows[0]);
  }

  async listCommands(filter: CommandFilter): Promise<CommandRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.agentId !== undefined) where.push(`agent_id = ${param(filter.agentId)}`);
    if (filter.status !== undefined) {
      const statuses = typeof filter.status === 'string' ? [filter.status] : [...filter.status];
      where.push(`status = ANY(${param(statuses)}::text[])`);
    }
    if (filter.since !== undefined) where.push(`queued_at >= ${param(filter.since)}`);
    if (filter.until !== undefined) where.push(`queued_at <= ${param(filter.until)}`);
    if (filter.withUsage) where.push('input_tokens IS NOT NULL');
    if (filter.after !== undefined) {
      where.push(`(queued_at, id) < (${param(filter.after.queuedAt)}, ${param(filter.after.id)})`);
    }
    if (filter.search !== undefined && filter.search.trim() !== '') {
      const query = searchQuery(filter.search);
      if (query === '') return [];
      where.push(`search @@ to_tsquery('simple', ${param(query)})`);
    }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const { rows } = await this.pool.query<CommandRow>(
      `SELECT ${COMMAND_COLUMNS} FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY queued_at DESC, id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map(commandFromRow);
  }

  async listUnfinishedCommands(): Promise<CommandRecord[]> {
    const { rows } = await this.pool.query<CommandRow>(
      `SELECT ${COMMAND_COLUMNS} FROM commands WHERE status IN ('queued', 'running') ORDER BY queued_at, inserted`,
    );
    return rows.map(commandFromRow);
  }

  async appendOutput(chunks: readonly StoredOutputChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    // One statement, one round trip, for the whole batch; a sequence stored already is left alone.
    await this.pool.query(
      `INSERT INTO output (command_id, sequence, stream, data, created_at)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
       ON CONFLICT DO NOTHING`,
      [chunks.map((c) => c.commandId), chunks.map((c) => c.sequence), chunks.map((c) => c.stream),
        chunks.map((c) => c.data), chunks.map((c) => c.createdAt)],
    );
  }

  async readOutput(commandId: string, afterSequence: number, limit = 10_000): Promise<StoredOutputChunk[]> {
    const { rows } = await this.pool.query<OutputRow>(
      `SELECT command_id, sequence, stream, data, created_at FROM output
       WHERE command_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`,
      [commandId, afterSequence, limit],
    );
    return rows.map(chunkFromRow);
  }

  async lastOutputSequence(commandId: string): Promise<number> {
    const { rows } = await this.pool.query<{ last: number | null }>('SELECT MAX(sequence) AS last FROM output WHERE command_id = $1', [commandId]);
    return rows[0]?.last ?? 0;
  }

  appendTrace(records: readonly TraceRecord[]): Promise<void> {
    return this.trace.append(records);
  }

  readTrace(commandId: string, afterSequence: number, limit: number): Promise<TraceRecord[]> {
    return this.trace.read(commandId, afterSequence, limit);
  }

  lastTraceSequence(commandId: string): Promise<number> {
    return this.trace.last(commandId);
  }

  usageSummary(filter: UsageFilter): Promise<UsageSummary> {
    return this.trace.usageSummary(filter);
  }

  appendEvents(events: readonly StoredEvent[]): Promise<void> {
    return this.history.appendEvents(events);
  }

  insertEvents(events: readonly NewEvent[]): Promise<number> {
    return this.history.insertEvents(events);
  }

  readEvents(afterOffset: number, limit: number): Promise<ReadEvent[]> {
    return this.history.readEvents(afterOffset, limit);
  }

  eventBounds(): Promise<{ first: number; last: number }> {
    return this.history.eventBounds();
  }

  appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    return this.history.appendAudit(entries);
  }

  listAudit(filter: AuditFilter): Promise<Array<AuditEntry & { id: number }>> {
    return this.history.listAudit(filter);
  }

  purge(cutoffs: RetentionCutoffs, limit: number): Promise<PurgeCounts> {
    return this.history.purge(cutoffs, limit);
  }

  /** The history stays valid whatever happened: offsets were only ever handed out at commit. */
  async close(_options?: CloseOptions): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** A URL with its password replaced, for messages and logs. */
function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
