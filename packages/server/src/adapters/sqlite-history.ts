import type Database from 'better-sqlite3';
import type { AuditEntry, NewEvent, AuditFilter, PurgeCounts, ReadEvent, RetentionCutoffs, StoredEvent } from '../ports/store.js';
import { auditFromRow, eventFromRow, type AuditRow, type EventRow } from './store-rows.js';

/** The event log, audit log and retention of the SQLite store (kept apart from commands and output). */
export class SqliteHistory {
  private readonly insertEvent: Database.Statement;
  private readonly selectEvents: Database.Statement;
  private readonly bounds: Database.Statement;
  private readonly insertAudit: Database.Statement;
  private readonly appendEventsTx: (events: readonly StoredEvent[]) => void;
  private readonly insertEventsTx: (events: readonly NewEvent[]) => number;
  private readonly appendAuditTx: (entries: readonly AuditEntry[]) => void;
  private readonly purgeTx: (cutoffs: RetentionCutoffs, limit: number) => PurgeCounts;

  constructor(private readonly db: Database.Database) {
    this.insertEvent = db.prepare(`INSERT INTO events (offset, created_at, text, command_id, agent_id, sequence, timestamp, trace)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    // A reference row points at an output chunk, or with trace = 1 at a trace record.
    this.selectEvents = db.prepare(`SELECT e.offset AS event_offset, e.created_at, e.text, e.command_id, e.agent_id, e.sequence,
        e.timestamp, e.trace, o.data, o.stream, t.event AS trace_event
      FROM events e
      LEFT JOIN output o ON e.command_id IS NOT NULL AND e.trace IS NULL AND o.command_id = e.command_id AND o.sequence = e.sequence
      LEFT JOIN trace t ON e.trace = 1 AND t.command_id = e.command_id AND t.sequence = e.sequence
      WHERE e.offset > ? ORDER BY e.offset LIMIT ?`);
    this.bounds = db.prepare('SELECT MIN(offset) AS first, MAX(offset) AS last FROM events');
    this.insertAudit = db.prepare(`INSERT INTO audit (at, actor, role, action, target, detail, remote)
      VALUES (@at, @actor, @role, @action, @target, @detail, @remote)`);
    this.appendEventsTx = db.transaction((events: readonly StoredEvent[]) => {
      for (const e of events) {
        const o = e.output ?? e.trace;
        this.insertEvent.run(
          e.offset, e.createdAt, e.text, o?.commandId ?? null, o?.agentId ?? null, o?.sequence ?? null, o?.timestamp ?? null,
          e.trace ? 1 : null,
        );
      }
    });
    const last = db.prepare('SELECT MAX(offset) AS last FROM events');
    this.insertEventsTx = db.transaction((events: readonly NewEvent[]) => {
      const first = ((last.get() as { last: number | null }).last ?? 0) + 1;
      this.appendEventsTx(events.map((e, i) => ({ ...e, offset: first + i })));
      return first;
    });
    this.appendAuditTx = db.transaction((entries: readonly AuditEntry[]) => {
      for (const a of entries) {
        this.insertAudit.run({
          at: a.at, actor: a.actor, role: a.role, action: a.action, target: a.target ?? null,
          detail: a.detail === undefined ? null : JSON.stringify(a.detail), remote: a.remote ?? null,
        });
      }
    });
    // Oldest first, `limit` at a time, through the time indexes: deleting a day of output at once
    // (10 KB rows, each freeing its overflow pages) would hold the event loop for seconds.
    const purgeOutput = db.prepare(`DELETE FROM output WHERE rowid IN
      (SELECT rowid FROM output WHERE created_at < ? ORDER BY created_at LIMIT ?)`);
    const purgeTrace = db.prepare(`DELETE FROM trace WHERE rowid IN
      (SELECT rowid FROM trace WHERE created_at < ? ORDER BY created_at LIMIT ?)`);
    const purgeAudit = db.prepare('DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? ORDER BY at LIMIT ?)');
    // The newest event always stays, so offsets keep counting from it after a restart.
    const purgeEvents = db.prepare(`DELETE FROM events WHERE offset IN (SELECT offset FROM events
      WHERE created_at < ? AND offset < (SELECT MAX(offset) FROM events) ORDER BY created_at LIMIT ?)`);
    this.purgeTx = db.transaction((c: RetentionCutoffs, limit: number) => ({
      output: purgeOutput.run(c.outputBefore, limit).changes,
      trace: purgeTrace.run(c.outputBefore, limit).changes,
      audit: purgeAudit.run(c.auditBefore, limit).changes,
      events: purgeEvents.run(c.eventsBefore, limit).changes,
    }));
  }

  appendEvents(events: readonly StoredEvent[]): void {
    if (events.length > 0) this.appendEventsTx(events);
  }

  /** Numbers events after the newest stored one, in the same transaction (SQLite has one writer at a time). */
  insertEvents(events: readonly NewEvent[]): number {
    return this.insertEventsTx(events);
  }

  readEvents(afterOffset: number, limit: number): ReadEvent[] {
    return (this.selectEvents.all(afterOffset, limit) as EventRow[]).map(eventFromRow);
  }

  eventBounds(): { first: number; last: number } {
    const row = this.bounds.get() as { first: number | null; last: number | null };
    return { first: row.first ?? 0, last: row.last ?? 0 };
  }

  appendAudit(entries: readonly AuditEntry[]): void {
    if (entries.length > 0) this.appendAuditTx(entries);
  }

  listAudit(filter: AuditFilter): Array<AuditEntry & { id: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.since !== undefined) { where.push('at >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('at <= ?'); params.push(filter.until); }
    if (filter.actor !== undefined) { where.push('actor = ?'); params.push(filter.actor); }
    if (filter.action !== undefined) { where.push('action = ?'); params.push(filter.action); }
    if (filter.beforeId !== undefined) { where.push('id < ?'); params.push(filter.beforeId); }
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const rows = this.db.prepare(
      `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${limit}`,
    ).all(...params) as AuditRow[];
    return rows.map(auditFromRow);
  }

  purge(cutoffs: RetentionCutoffs, limit: number): PurgeCounts {
    return this.purgeTx(cutoffs, limit);
  }
}
