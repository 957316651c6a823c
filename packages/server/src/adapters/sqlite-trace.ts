import type Database from 'better-sqlite3';
import type { TraceRecord, UsageFilter, UsageSummary, UsageSums } from '../ports/store.js';

const DAY_MS = 86_400_000;

interface SumsRow {
  commands: number; input_tokens: number | null; output_tokens: number | null; cache_read_tokens: number | null;
  cache_write_tokens: number | null; cost_usd: number | null; estimated_cost_usd: number | null; unpriced: number | null;
}

const SUMS = `COUNT(*) AS commands, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
  SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
  SUM(cost_usd) AS cost_usd, SUM(CASE WHEN cost_source = 'estimated' THEN cost_usd END) AS estimated_cost_usd,
  SUM(cost_usd IS NULL) AS unpriced`;

function toSums(row: SumsRow | undefined): UsageSums {
  return {
    commands: row?.commands ?? 0,
    inputTokens: row?.input_tokens ?? 0,
    outputTokens: row?.output_tokens ?? 0,
    cacheReadTokens: row?.cache_read_tokens ?? 0,
    cacheWriteTokens: row?.cache_write_tokens ?? 0,
    costUsd: row?.cost_usd ?? 0,
    estimatedCostUsd: row?.estimated_cost_usd ?? 0,
    unpricedCommands: row?.unpriced ?? 0,
  };
}

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
    const rows = this.selectTrace.all(commandId, afterSequence, limit) as Array<{
      command_id: string; sequence: number; kind: string; event: string; created_at: number;
    }>;
    return rows.map((r) => ({ commandId: r.command_id, sequence: r.sequence, kind: r.kind, event: r.event, createdAt: r.created_at }));
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
    const total = this.db.prepare(`SELECT ${SUMS} ${from}`).get(...params) as SumsRow;
    const byAgent = this.db.prepare(`SELECT agent_id, ${SUMS} ${from} GROUP BY agent_id ORDER BY agent_id`)
      .all(...params) as Array<SumsRow & { agent_id: string }>;
    const byDay = this.db.prepare(`SELECT (queued_at / ${DAY_MS}) * ${DAY_MS} AS day_start, ${SUMS} ${from}
      GROUP BY day_start ORDER BY day_start`).all(...params) as Array<SumsRow & { day_start: number }>;
    return {
      total: toSums(total),
      byAgent: byAgent.map((r) => ({ agentId: r.agent_id, ...toSums(r) })),
      byDay: byDay.map((r) => ({ dayStart: r.day_start, ...toSums(r) })),
    };
  }
}
