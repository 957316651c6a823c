import type pg from 'pg';
import { traceFromRow, usageSumsFromRow, type TraceRecord, type TraceRow, type UsageFilter, type UsageSummary, type UsageSumsRow } from '@onsembl/server';
import { inTransaction } from './transaction.js';

const DAY_MS = 86_400_000;

const SUMS = `COUNT(*)::bigint AS commands, SUM(input_tokens)::bigint AS input_tokens, SUM(output_tokens)::bigint AS output_tokens,
  SUM(cache_read_tokens)::bigint AS cache_read_tokens, SUM(cache_write_tokens)::bigint AS cache_write_tokens,
  SUM(cost_usd) AS cost_usd, SUM(cost_usd) FILTER (WHERE cost_source = 'estimated') AS estimated_cost_usd,
  COUNT(*) FILTER (WHERE cost_usd IS NULL)::bigint AS unpriced`;

/** The trace records of AI runs, and the usage totals they leave on commands (PostgreSQL store). */
export class PgTrace {
  constructor(private readonly pool: pg.Pool) {}

  /** Stores new records; the newest newly stored usage record of each command sets its usage, in the same transaction. */
  async append(records: readonly TraceRecord[]): Promise<void> {
    if (records.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<{ command_id: string; sequence: number }>(
        `INSERT INTO trace (command_id, sequence, kind, event, created_at)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
         ON CONFLICT DO NOTHING RETURNING command_id, sequence`,
        [records.map((r) => r.commandId), records.map((r) => r.sequence), records.map((r) => r.kind),
          records.map((r) => r.event), records.map((r) => r.createdAt)],
      );
      const stored = new Set(rows.map((r) => `${r.command_id}\n${r.sequence}`));
      const newest = new Map<string, TraceRecord>();
      for (const r of records) {
        if (!r.usage || !stored.has(`${r.commandId}\n${r.sequence}`)) continue;
        const seen = newest.get(r.commandId);
        if (!seen || r.sequence > seen.sequence) newest.set(r.commandId, r);
      }
      for (const r of newest.values()) {
        const u = r.usage as NonNullable<TraceRecord['usage']>;
        await client.query(
          `UPDATE commands SET input_tokens = $2, output_tokens = $3, cache_read_tokens = $4, cache_write_tokens = $5,
             cost_usd = $6, cost_source = $7, usage_model = $8 WHERE id = $1`,
          [r.commandId, u.inputTokens, u.outputTokens, u.cacheReadTokens, u.cacheWriteTokens, u.costUsd, u.costSource, u.model ?? null],
        );
      }
    });
  }

  async read(commandId: string, afterSequence: number, limit: number): Promise<TraceRecord[]> {
    const { rows } = await this.pool.query<TraceRow>(
      `SELECT command_id, sequence, kind, event, created_at FROM trace
       WHERE command_id = $1 AND sequence > $2 ORDER BY sequence LIMIT $3`,
      [commandId, afterSequence, limit],
    );
    return rows.map(traceFromRow);
  }

  async last(commandId: string): Promise<number> {
    const { rows } = await this.pool.query<{ last: number | null }>('SELECT MAX(sequence) AS last FROM trace WHERE command_id = $1', [commandId]);
    return rows[0]?.last ?? 0;
  }

  async usageSummary(filter: UsageFilter): Promise<UsageSummary> {
    const where = ['input_tokens IS NOT NULL'];
    const params: unknown[] = [];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.agentId !== undefined) where.push(`agent_id = ${param(filter.agentId)}`);
    if (filter.since !== undefined) where.push(`queued_at >= ${param(filter.since)}`);
    if (filter.until !== undefined) where.push(`queued_at <= ${param(filter.until)}`);
    const from = `FROM commands WHERE ${where.join(' AND ')}`;
    const [total, byAgent, byDay] = await Promise.all([
      this.pool.query<UsageSumsRow>(`SELECT ${SUMS} ${from}`, params),
      this.pool.query<UsageSumsRow & { agent_id: string }>(`SELECT agent_id, ${SUMS} ${from} GROUP BY agent_id ORDER BY agent_id`, params),
      this.pool.query<UsageSumsRow & { day_start: number }>(
        `SELECT (queued_at / ${DAY_MS}) * ${DAY_MS} AS day_start, ${SUMS} ${from} GROUP BY day_start ORDER BY day_start`, params),
    ]);
    return {
      total: usageSumsFromRow(total.rows[0]),
      byAgent: byAgent.rows.map((r) => ({ agentId: r.agent_id, ...usageSumsFromRow(r) })),
      byDay: byDay.rows.map((r) => ({ dayStart: r.day_start, ...usageSumsFromRow(r) })),
    };
  }
}
