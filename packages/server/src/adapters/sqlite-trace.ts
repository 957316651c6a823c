import type Database from 'better-sqlite3';
import type { TraceRecord, UsageFilter, UsageSummary } from '../ports/store.js';
import { traceFromRow, usageSumsFromRow, type TraceRow, type UsageSumsRow } from './store-rows.js';

const DAY_MS = 86_400_000;

const SUMS = `COUNT(*) AS commands, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
  SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
  SUM(cost_usd) AS cost_usd, SUM(CASE WHEN cost_source = 'estimated' THEN cost_usd END) AS estimated_cost_usd,
  SUM(cost_usd IS NULL) AS unpriced`;

/** The trace records of AI runs, and the usage totals they leave on commands (SQLite store). */
export class SqliteTrace {
  private readonly appendTx: (records: readonly TraceRecord[]) => void;
  private readonly selectTrace: Database.Statement;
  private readonly lastSequence: Database.Statement;

  constructor(private readonly db: Database.Database) {
    const insert = db.prepare(`INSERT OR IGNORE INTO trace (command_id, sequence, kind, event, created_at)
      VALUES (?, ?, ?, ?, ?)`);
    const setUsage = db.prepare(`UPDATE commands SET input_tokens = @inputTokens, output_tokens = @outputTokens,
        cache_read_tokens = @cacheReadTokens, cache_write_tokens = @cacheWriteTokens, cost_usd = @costUsd,
        cost_source = @costSource, usage_model = @model
      WHERE id = @id`);
    this.appendTx = db.transaction((records: readonly TraceRecord[]) => {
      for (const r of records) {
        const stored = insert.run(r.commandId, r.sequence, r.kind, r.event, r.createdAt).changes === 1;
        if (stored && r.usage) setUsage.run({ ...r.usage, model: r.usage.model ?? null, id: r.commandId });
      }
    });
    this.selectTrace = db.prepare(`SELECT command_id, sequence, kind, event, created_at FROM trace
      WHERE command_id = ? AND sequence > ? ORDER BY sequence LIMIT ?`);
    this.lastSequence = db.prepare('SELECT MAX(sequence) AS last FROM trace WHERE command_id = ?');
  }

  append(records: readonly TraceRecord[]): void {
    if (records.length > 0) this.appendTx(records);
  }

  read(commandId: string, afterSequence: number, limit: number): TraceRecord[] {
    return (this.selectTrace.all(commandId, afterSequence, limit) as TraceRow[]).map(traceFromRow);
  }

  last(commandId: string): number {
    return (this.lastSequence.get(commandId) as { last: number | null }).last ?? 0;
  }

  usageSummary(filter: UsageFilter): UsageSummary {
    const where = ['input_tokens IS NOT NULL'];
    const params: unknown[] = [];
    if (filter.agentId !== undefined) { where.push('agent_id = ?'); params.push(filter.agentId); }
    if (filter.since !== undefined) { where.push('queued_at >= ?'); params.push(filter.since); }
    if (filter.until !== undefined) { where.push('queued_at <= ?'); params.push(filter.until); }
    const from = `FROM commands WHERE ${where.join(' AND ')}`;
    const total = this.db.prepare(`SELECT ${SUMS} ${from}`).get(...params) as UsageSumsRow;
    const byAgent = this.db.prepare(`SELECT agent_id, ${SUMS} ${from} GROUP BY agent_id ORDER BY agent_id`)
      .all(...params) as Array<UsageSumsRow & { agent_id: string }>;
    const byDay = this.db.prepare(`SELECT (queued_at / ${DAY_MS}) * ${DAY_MS} AS day_start, ${SUMS} ${from}
      GROUP BY day_start ORDER BY day_start`).all(...params) as Array<UsageSumsRow & { day_start: number }>;
    return {
      total: usageSumsFromRow(total),
      byAgent: byAgent.map((r) => ({ agentId: r.agent_id, ...usageSumsFromRow(r) })),
      byDay: byDay.map((r) => ({ dayStart: r.day_start, ...usageSumsFromRow(r) })),
    };
  }
}
