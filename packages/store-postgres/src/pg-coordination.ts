import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ApprovalRequestPayload, InterruptReason } from '@onsembl/protocol';
import {
  agentFromRow, commandFromRow, COMMAND_PATCH_COLUMNS, type AgentPresence, type AgentRecord, type AgentRow, type CommandPatch,
  type CommandRecord, type CommandRow, type Coordination, type Fence, type FencedEvent, type NewEvent, type StopOutcome, type StoredApproval,
  type UnfinishedCommand,
} from '@onsembl/server';
import { readApproval, readWaitingApprovals, writeApproval } from './pg-approvals.js';
import { eventColumns, numberAndInsertEvents, UNNEST_EVENTS } from './pg-history.js';
import { COMMAND_COLUMNS, INSERT_COMMAND, insertCommandValues, LOCK_AGAINST_STOP } from './rows.js';
import { CommitOutcomeUnknown, inTransaction } from './transaction.js';

/** The database's clock in ms: leases are compared on one clock, whatever the nodes' clocks say. */
const NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** Queue order: priority first, then arrival (insertion) order, as CommandQueue orders in memory. */
const QUEUE_ORDER = `CASE priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, inserted`;

/** Queued commands no owner has sent ($1: their ids, or null for all); the patch's values follow. */
function cancelQueuedSql(setSql: string): string {
  return `UPDATE commands SET ${setSql}
       WHERE status = 'queued' AND NOT dispatched AND ($1::text[] IS NULL OR id = ANY($1::text[]))
       RETURNING ${COMMAND_COLUMNS}`;
}

/** Sent or running commands ($1: their ids, or null for all) get the interrupt $2. */
const REQUEST_INTERRUPT = `UPDATE commands SET interrupt_requested = $2
       WHERE (status = 'running' OR (status = 'queued' AND dispatched)) AND ($1::text[] IS NULL OR id = ANY($1::text[]))
       RETURNING ${COMMAND_COLUMNS}`;

function setClause(patch: CommandPatch, firstParam: number): { sql: string; values: unknown[] } {
  const keys = (Object.keys(patch) as Array<keyof CommandPatch>).filter((k) => patch[k] !== undefined);
  return {
    sql: keys.map((k, i) => `${COMMAND_PATCH_COLUMNS[k]} = $${firstParam + i}`).join(', '),
    values: keys.map((k) => patch[k]),
  };
}

/** A node's own commit marks are kept this long (unless one of its commits is still unresolved). */
const OWN_MARKS_MS = 10 * 60_000;
/** Anyone's marks (a node that died with a commit unresolved) are kept this long. */
const ANY_MARKS_MS = 24 * 60 * 60_000;
/** Old marks are deleted after every this many event commits. */
const PURGE_EVERY = 500;

/** An event transaction whose COMMIT went unanswered: the events it numbered, in offset order. */
interface UnresolvedCommit {
  token: string;
  kept: FencedEvent[];
  at: number;
}

/** The Coordination port on PostgreSQL: ownership with generations, leases, fenced commits. */
export class PgCoordination implements Coordination {
  /** Marks of this process's event commits start with it (`<prefix>:<n>`). */
  private readonly markPrefix = randomBytes(6).toString('hex');
  private commits = 0;
  private readonly unresolved: UnresolvedCommit[] = [];
  /** Events an unresolved commit turned out to have stored, with their offsets. */
  private readonly settled = new WeakMap<FencedEvent, number>();

  constructor(private readonly pool: pg.Pool, private readonly beforeEventCommit: (() => Promise<void>) | undefined) {}

  async claimAgent(record: AgentRecord, nodeId: string, connectedAt: number): Promise<{ generation: number; previousNode: string | undefined }> {
    return inTransaction(this.pool, async (client) => {
      const prev = await client.query<{ owner_node: string | null }>('SELECT owner_node FROM agents WHERE id = $1 FOR UPDATE', [record.id]);
      const { rows } = await client.query<{ generation: number }>(
        `INSERT INTO agents (id, name, type, hostname, version, last_seen_at, session_id, cwd, model, owner_node, generation, connected_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, hostname = excluded.hostname,
           version = excluded.version, last_seen_at = excluded.last_seen_at, session_id = excluded.session_id,
           cwd = excluded.cwd, model = excluded.model, owner_node = excluded.owner_node, connected_at = excluded.connected_at,
           -- The same node taking its agent back (a reconnect) keeps its fence; any other node moves it on.
           generation = CASE WHEN agents.owner_node IS NOT DISTINCT FROM excluded.owner_node THEN agents.generation ELSE agents.generation + 1 END
         RETURNING generation`,
        [record.id, record.name, record.type, record.hostname ?? null, record.version ?? null, record.lastSeenAt,
          record.sessionId ?? null, record.cwd ?? null, record.model ?? null, nodeId, connectedAt],
      );
      const previous = prev.rows[0]?.owner_node ?? null;
      return { generation: (rows[0] as { generation: number }).generation, previousNode: previous !== null && previous !== nodeId ? previous : undefined };
    });
  }

  async releaseAgent(fence: Fence, lastSeenAt: number): Promise<boolean> {
    const result = await this.pool.query(
      // The node stays the agent's last owner: it takes the agent back under the same fence if it returns there.
      'UPDATE agents SET connected_at = NULL, last_seen_at = $3 WHERE id = $1 AND generation = $2',
      [fence.agentId, fence.generation, lastSeenAt],
    );
    return result.rowCount === 1;
  }

  async listPresence(): Promise<AgentPresence[]> {
    const { rows } = await this.pool.query<AgentRow & { owner_node: string | null; connected_at: number | null; generation: number }>(
      'SELECT * FROM agents ORDER BY name, id',
    );
    return rows.map((r) => ({
      ...agentFromRow(r), generation: r.generation, connectedAt: r.connected_at ?? undefined,
      ownerNode: r.connected_at === null ? undefined : (r.owner_node ?? undefined),
    }));
  }

  /**
   * A node (re)joins: its lease starts, and whatever its previous incarnation still held under the
   * same id is released at once (that process is gone; a new one holds no socket yet).
   */
  async joinNode(nodeId: string, leaseMs: number): Promise<Fence[]> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO nodes (id, expires_at, started_at) VALUES ($1, ${NOW_MS} + $2, ${NOW_MS})
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, started_at = excluded.started_at`,
        [nodeId, leaseMs],
      );
      const { rows } = await client.query<{ id: string; generation: number }>(
        `UPDATE agents SET owner_node = NULL, connected_at = NULL, generation = generation + 1
         WHERE owner_node = $1 RETURNING id, generation`,
        [nodeId],
      );
      return rows.map((r) => ({ agentId: r.id, generation: r.generation }));
    });
  }

  async renewNode(nodeId: string, leaseMs: number): Promise<boolean> {
    const result = await this.pool.query(`UPDATE nodes SET expires_at = ${NOW_MS} + $2 WHERE id = $1`, [nodeId, leaseMs]);
    return result.rowCount === 1;
  }

  async reapNodes(): Promise<Fence[]> {
    return inTransaction(this.pool, async (client) => {
      await client.query(`DELETE FROM nodes WHERE expires_at < ${NOW_MS}`);
      // Agents whose owner holds no lease (it expired just now, or the row went some other way).
      const { rows } = await client.query<{ id: string; generation: number }>(
        `UPDATE agents SET owner_node = NULL, connected_at = NULL, generation = generation + 1
         WHERE owner_node IS NOT NULL AND connected_at IS NOT NULL AND owner_node NOT IN (SELECT id FROM nodes)
         RETURNING id, generation`,
      );
      return rows.map((r) => ({ agentId: r.id, generation: r.generation }));
    });
  }

  async leaveNode(nodeId: string): Promise<void> {
    await this.pool.query('DELETE FROM nodes WHERE id = $1', [nodeId]);
  }

  /**
   * The fence of each event is checked under a share lock on its agent's row, taken before the
   * counter: a claim (which updates the row) waits for this commit, or this waits for the claim and
   * then sees the new generation. Either way no event of an old owner lands after the new owner's.
   * An approval event whose question or decision does not hold (pg-approvals.ts) is dropped the same way.
   */
  async commitEvents(events: readonly FencedEvent[]): Promise<Array<number | undefined>> {
    if (events.length === 0) return [];
    // A retry after an unanswered COMMIT: what that commit stored keeps its offsets, and is not
    // stored a second time (dashboards would see it twice, at two offsets).
    await this.resolveUnanswered();
    const fresh = events.filter((e) => !this.settled.has(e));
    const offsets = fresh.length > 0 ? await this.commitFresh(fresh) : new Map<FencedEvent, number>();
    return events.map((e) => {
      const settled = this.settled.get(e);
      this.settled.delete(e);
      return settled ?? offsets.get(e);
    });
  }

  private async commitFresh(events: readonly FencedEvent[]): Promise<Map<FencedEvent, number>> {
    const token = `${this.markPrefix}:${++this.commits}`;
    let kept: FencedEvent[] = [];
    try {
      const offsets = await inTransaction(this.pool, async (client) => {
        const fenced = [...new Set(events.flatMap((e) => (e.fence ? [e.fence.agentId] : [])))];
        const generations = new Map<string, number>();
        if (fenced.length > 0) {
          const { rows } = await client.query<{ id: string; generation: number }>(
            'SELECT id, generation FROM agents WHERE id = ANY($1::text[]) FOR SHARE', [fenced],
          );
          for (const r of rows) generations.set(r.id, r.generation);
        }
        const fenceHolds = events.filter((e) => !e.fence || generations.get(e.fence.agentId) === e.fence.generation);
        // Approval rows are locked in id order (no two transactions wait on each other), before the counter.
        const refused = new Set<FencedEvent>();
        const approvals = fenceHolds.filter((e) => e.approval).sort((a, b) => (approvalIdOf(a) < approvalIdOf(b) ? -1 : approvalIdOf(a) > approvalIdOf(b) ? 1 : 0));
        for (const e of approvals) if (e.approval && !(await writeApproval(client, e.approval))) refused.add(e);
        kept = fenceHolds.filter((e) => !refused.has(e));
        // A new command waits for an emergency stop under way, and a stop waits for it (emergencyStop).
        if (kept.some((e) => e.create)) await client.query(LOCK_AGAINST_STOP);
        const offsets = new Map<FencedEvent, number>();
        if (kept.length > 0) {
          // The counter moves and the commit's mark is written in one statement.
          const { rows } = await client.query<{ top: number }>(
            `WITH moved AS (UPDATE event_counter SET top = top + $1 WHERE id = 1 RETURNING top),
               mark AS (INSERT INTO event_commits (token, first_offset, created_at) SELECT $2, top - $1 + 1, $3::bigint FROM moved)
             SELECT top FROM moved`,
            // The node's clock, as the purge below compares with it.
            [kept.length, token, Date.now()],
          );
          const first = (rows[0] as { top: number }).top - kept.length + 1;
          kept.forEach((e, i) => offsets.set(e, first + i));
          await client.query(
            `INSERT INTO events (event_offset, created_at, text, command_id, agent_id, sequence, "timestamp", trace)
             SELECT $1::bigint + u.ord - 1, u.created_at, u.text, u.command_id, u.agent_id, u.sequence, u.ts, u.trace
             FROM ${UNNEST_EVENTS} AS u(created_at, text, command_id, agent_id, sequence, ts, trace, ord)`,
            [first, ...eventColumns(kept)],
          );
          for (const e of kept) {
            if (e.create) await client.query(INSERT_COMMAND, insertCommandValues(e.create));
            if (!e.update) continue;
            const set = setClause(e.update.patch, 2);
            if (set.values.length > 0) await client.query(`UPDATE commands SET ${set.sql} WHERE id = $1`, [e.update.commandId, ...set.values]);
          }
        }
        await this.beforeEventCommit?.();
        return offsets;
      });
      if (this.commits % PURGE_EVERY === 0) void this.purgeMarks().catch(() => undefined);
      return offsets;
    } catch (err) {
      // Nothing stored but the mark could tell: a commit without events is harmless to repeat.
      if (!(err instanceof CommitOutcomeUnknown) || kept.length === 0) throw err;
      this.unresolved.push({ token, kept, at: Date.now() });
      // Usually only that connection died: ask at once, so the caller gets its answer now.
      const known = await this.resolveUnanswered().then(() => true, () => false);
      if (known && kept.every((e) => this.settled.has(e))) {
        const offsets = new Map<FencedEvent, number>();
        for (const e of kept) offsets.set(e, this.settled.get(e) as number);
        for (const e of kept) this.settled.delete(e);
        return offsets;
      }
      throw err;
    }
  }

  /**
   * Finds out whether each commit that went unanswered went through, by its mark. The counter row is
   * locked first: a transaction still committing holds it, so this waits for its outcome.
   */
  private async resolveUnanswered(): Promise<void> {
    if (this.unresolved.length === 0) return;
    const asked = [...this.unresolved];
    const marks = await inTransaction(this.pool, async (client) => {
      await client.query('SELECT top FROM event_counter WHERE id = 1 FOR SHARE');
      const { rows } = await client.query<{ token: string; first_offset: number }>(
        'SELECT token, first_offset FROM event_commits WHERE token = ANY($1::text[])', [asked.map((u) => u.token)],
      );
      return new Map(rows.map((r) => [r.token, r.first_offset]));
    });
    for (const commit of asked) {
      this.unresolved.splice(this.unresolved.indexOf(commit), 1);
      const first = marks.get(commit.token);
      if (first !== undefined) commit.kept.forEach((e, i) => this.settled.set(e, first + i));
    }
  }

  /** Deletes this process's old marks (never one an unresolved commit may need), and anyone's very old ones. */
  private async purgeMarks(): Promise<void> {
    const now = Date.now();
    const own = Math.min(now - OWN_MARKS_MS, ...this.unresolved.map((u) => u.at - OWN_MARKS_MS));
    await this.pool.query(
      'DELETE FROM event_commits WHERE (token LIKE $1 AND created_at < $2) OR created_at < $3',
      [`${this.markPrefix}:%`, own, now - ANY_MARKS_MS],
    );
  }

  async lastEventSequences(commandId: string): Promise<{ output: number; trace: number }> {
    const { rows } = await this.pool.query<{ output: number | null; trace: number | null }>(
      `SELECT MAX(sequence) FILTER (WHERE trace IS NULL) AS output, MAX(sequence) FILTER (WHERE trace) AS trace
       FROM events WHERE command_id = $1`,
      [commandId],
    );
    return { output: rows[0]?.output ?? 0, trace: rows[0]?.trace ?? 0 };
  }

  async unfinishedCommands(agentIds: readonly string[]): Promise<UnfinishedCommand[]> {
    const { rows } = await this.pool.query<CommandRow & { dispatched: boolean; interrupt_requested: string | null }>(
      `SELECT ${COMMAND_COLUMNS}, dispatched, interrupt_requested FROM commands
       WHERE agent_id = ANY($1::text[]) AND status IN ('queued', 'running') ORDER BY ${QUEUE_ORDER}`,
      [agentIds],
    );
    return rows.map((r) => ({ ...commandFromRow(r), dispatched: r.dispatched, interruptRequested: (r.interrupt_requested ?? undefined) as InterruptReason | undefined }));
  }

  approval(approvalId: string): Promise<StoredApproval | undefined> {
    return readApproval(this.pool, approvalId);
  }

  waitingApprovals(): Promise<ApprovalRequestPayload[]> {
    return readWaitingApprovals(this.pool);
  }

  async dispatchCommand(commandId: string, fence: Fence): Promise<boolean> {
    const result = await this.pool.query(
      `WITH owner AS (SELECT 1 FROM agents WHERE id = $2 AND generation = $3 FOR SHARE)
       UPDATE commands SET dispatched = true
       WHERE id = $1 AND agent_id = $2 AND status = 'queued' AND NOT dispatched AND EXISTS (SELECT 1 FROM owner)`,
      [commandId, fence.agentId, fence.generation],
    );
    return result.rowCount === 1;
  }

  async cancelQueued(commandIds: readonly string[] | 'all', patch: CommandPatch): Promise<CommandRecord[]> {
    const set = setClause(patch, 2);
    const { rows } = await this.pool.query<CommandRow>(cancelQueuedSql(set.sql), [commandIds === 'all' ? null : commandIds, ...set.values]);
    return rows.map(commandFromRow);
  }

  /**
   * Holds the emergency_stop row exclusively from before its sweep until its events commit: it
   * waits for the command inserts under way (they hold the row shared, see LOCK_AGAINST_STOP), so
   * its sweep sees them, and inserts that come later wait until its events are numbered. The event
   * counter is taken before any command row, in the order every owner's commit takes them.
   */
  async emergencyStop(patch: CommandPatch, announce: (outcome: StopOutcome) => NewEvent[]): Promise<StopOutcome & { offsets: number[] }> {
    return inTransaction(this.pool, async (client) => {
      await client.query('UPDATE emergency_stop SET stops = stops + 1 WHERE id = 1');
      await client.query('SELECT top FROM event_counter WHERE id = 1 FOR UPDATE');
      const set = setClause(patch, 2);
      const cancelled = (await client.query<CommandRow>(cancelQueuedSql(set.sql), [null, ...set.values])).rows.map(commandFromRow);
      const interrupted = (await client.query<CommandRow>(REQUEST_INTERRUPT, [null, 'emergency'])).rows.map(commandFromRow);
      const events = announce({ cancelled, interrupted });
      let offsets: number[] = [];
      if (events.length > 0) {
        const first = await numberAndInsertEvents(client, events);
        offsets = events.map((_e, i) => first + i);
      }
      await this.beforeEventCommit?.();
      return { cancelled, interrupted, offsets };
    });
  }

  async requestInterrupt(commandIds: readonly string[] | 'all', reason: InterruptReason): Promise<CommandRecord[]> {
    const { rows } = await this.pool.query<CommandRow>(REQUEST_INTERRUPT, [commandIds === 'all' ? null : commandIds, reason]);
    return rows.map(commandFromRow);
  }
}

function approvalIdOf(event: FencedEvent): string {
  const write = event.approval;
  if (!write) return '';
  return write.kind === 'ask' ? write.question.approvalId : write.decided.approvalId;
}
