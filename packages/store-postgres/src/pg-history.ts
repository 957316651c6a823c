import type pg from 'pg';
import {
  auditFromRow, eventFromRow, type AuditEntry, type AuditFilter, type AuditRow, type EventRow, type NewEvent, type PurgeCounts,
  type ReadEvent, type RetentionCutoffs, type StoredEvent,
} from '@onsembl/server';
import { inTransaction } from './transaction.js';

/** Column arrays of a batch of events, for one INSERT … SELECT FROM unnest(…). */
export function eventColumns(events: ReadonlyArray<NewEvent>): unknown[] {
  const ref = (e: NewEvent) => e.output ?? e.trace;
  return [
    events.map((e) => e.createdAt), events.map((e) => e.text), events.map((e) => ref(e)?.commandId ?? null),
    events.map((e) => ref(e)?.agentId ?? null), events.map((e) => ref(e)?.sequence ?? null),
    events.map((e) => ref(e)?.timestamp ?? null), events.map((e) => (e.trace ? true : null)),
  ];
}

export const UNNEST_EVENTS = 'unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[], $8::boolean[]) WITH ORDINALITY';

/**
 * Numbers a non-empty batch and stores it, inside the caller's transaction; returns its first
 * offset. The counter row is moved first and stays locked until commit, so a transaction that took
 * offsets 5-7 commits before the one that takes 8 can even start numbering. No reader can see 8
 * while 5-7 may still appear (what a sequence or bigserial allows), and a rolled-back batch gives
 * its offsets back.
 */
export async function numberAndInsertEvents(client: pg.PoolClient, events: readonly NewEvent[]): Promise<number> {
  const { rows } = await client.query<{ top: number }>('UPDATE event_counter SET top = top + $1 WHERE id = 1 RETURNING top', [events.length]);
  const first = (rows[0] as { top: number }).top - events.length + 1;
  await client.query(
    `INSERT INTO events (event_offset, created_at, text, command_id, agent_id, sequence, "timestamp", trace)
     SELECT $1::bigint + u.ord - 1, u.created_at, u.text, u.command_id, u.agent_id, u.sequence, u.ts, u.trace
     FROM ${UNNEST_EVENTS} AS u(created_at, text, command_id, agent_id, sequence, ts, trace, ord)`,
    [first, ...eventColumns(events)],
  );
  return first;
}

/** The event log, audit log and retention of the PostgreSQL store. */
export class PgHistory {
  constructor(private readonly pool: pg.Pool, private readonly beforeEventCommit: (() => Promise<void>) | undefined) {}

  /** Numbers a batch in the transaction that stores it (numberAndInsertEvents). */
  async insertEvents(events: readonly NewEvent[]): Promise<number> {
    if (events.length === 0) return (await this.eventBounds()).last + 1;
    return inTransaction(this.pool, async (client) => {
      const first = await numberAndInsertEvents(client, events);
      await this.beforeEventCommit?.();
      return first;
    });
  }

  /** Events the caller numbered (a store used by one process; tests): the counter moves past them. */
  async appendEvents(events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO events (event_offset, created_at, text, command_id, agent_id, sequence, "timestamp", trace)
         SELECT o, u.created_at, u.text, u.command_id, u.agent_id, u.sequence, u.ts, u.trace
         FROM ${UNNEST_EVENTS} AS u(created_at, text, command_id, agent_id, sequence, ts, trace, ord)
         JOIN unnest($1::bigint[]) WITH ORDINALITY AS x(o, ord) USING (ord)`,
        [events.map((e) => e.offset), ...eventColumns(events)],
      );
      await client.query('UPDATE event_counter SET top = GREATEST(top, $1) WHERE id = 1', [Math.max(...events.map((e) => e.offset))]);
    });
  }

  async readEvents(afterOffset: number, limit: number): Promise<ReadEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT e.event_offset, e.created_at, e.text, e.command_id, e.agent_id, e.sequence, e."timestamp", e.trace,
         o.data, o.stream, t.event AS trace_event
       FROM events e
       LEFT JOIN output o ON e.command_id IS NOT NULL AND e.trace IS NULL AND o.command_id = e.command_id AND o.sequence = e.sequence
       LEFT JOIN trace t ON e.trace AND t.command_id = e.command_id AND t.sequence = e.sequence
       WHERE e.event_offset > $1 ORDER BY e.event_offset LIMIT $2`,
      [afterOffset, limit],
    );
    return rows.map(eventFromRow);
  }

  /** `last` is the counter: every offset up to it is committed (the counter moves only in committed transactions). */
  async eventBounds(): Promise<{ first: number; last: number }> {
    const { rows } = await this.pool.query<{ first: number | null; last: number }>(
      'SELECT (SELECT MIN(event_offset) FROM events) AS first, (SELECT top FROM event_counter WHERE id = 1) AS last',
    );
    const row = rows[0] as { first: number | null; last: number };
    return { first: row.first ?? 0, last: row.last };
  }

  async appendAudit(entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.pool.query(
      `INSERT INTO audit (at, actor, role, action, target, detail, remote)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[])`,
      [entries.map((a) => a.at), entries.map((a) => a.actor), entries.map((a) => a.role), entries.map((a) => a.action),
        entries.map((a) => a.target ?? null), entries.map((a) => (a.detail === undefined ? null : JSON.stringify(a.detail))),
        entries.map((a) => a.remote ?? null)],
    );
  }

  async listAudit(filter: AuditFilter): Promise<Array<AuditEntry & { id: number }>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.since !== undefined) where.push(`at >= ${param(filter.since)}`);
    if (filter.until !== undefined) where.push(`at <= ${param(filter.until)}`);
    if (filter.actor !== undefined) where.push(`actor = ${param(filter.actor)}`);
    if (filter.action !== undefined) where.push(`action = ${param(filter.action)}`);
    if (filter.beforeId !== undefined) where.push(`id < ${param(filter.beforeId)}`);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const { rows } = await this.pool.query<AuditRow>(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
      params,
    );
    return rows.map(auditFromRow);
  }

  /** Oldest first, `limit` rows of each kind, in one transaction; the newest event always stays. */
  purge(c: RetentionCutoffs, limit: number): Promise<PurgeCounts> {
    return inTransaction(this.pool, async (client) => {
      const count = async (sql: string, before: number) => (await client.query(sql, [before, limit])).rowCount ?? 0;
      return {
        output: await count(`DELETE FROM output WHERE ctid IN
          (SELECT ctid FROM output WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, c.outputBefore),
        trace: await count(`DELETE FROM trace WHERE ctid IN
          (SELECT ctid FROM trace WHERE created_at < $1 ORDER BY created_at LIMIT $2)`, c.outputBefore),
        audit: await count(`DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < $1 ORDER BY at LIMIT $2)`, c.auditBefore),
        events: await count(`DELETE FROM events WHERE event_offset IN (SELECT event_offset FROM events
          WHERE created_at < $1 AND event_offset < (SELECT MAX(event_offset) FROM events) ORDER BY created_at LIMIT $2)`, c.eventsBefore),
      };
    });
  }
}
