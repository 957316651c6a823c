// PostgreSQL's own SQL for command rows. Reading rows back is shared with the SQLite store: @onsembl/server's
// store-rows (commandFromRow and the others).
import type { CommandRecord } from '@onsembl/server';

/** The columns of a command as the store reads them (never the search vector). */
export const COMMAND_COLUMNS = `id, agent_id, command, priority, status, requested_by, timeout_ms, queued_at, started_at,
  finished_at, exit_code, signal, duration_ms, message, last_sequence, last_trace_sequence, max_tokens, max_cost_usd,
  new_session, resume_session_id, session_id, stop_reason, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, cost_usd, cost_source, usage_model`;

/** Turns free text into a tsquery of prefix terms that must all match, so user input is never query syntax. */
export function searchQuery(text: string): string {
  const terms = text.match(/[\p{L}\p{N}_]+/gu) ?? [];
  return terms.map((t) => `${t.toLowerCase()}:*`).join(' & ');
}

export const INSERT_COMMAND = `INSERT INTO commands (id, agent_id, command, priority, status, requested_by, timeout_ms, queued_at, started_at,
    finished_at, exit_code, signal, duration_ms, message, last_sequence, last_trace_sequence, max_tokens, max_cost_usd,
    new_session, resume_session_id, session_id, stop_reason)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`;

export function insertCommandValues(c: CommandRecord): unknown[] {
  return [c.id, c.agentId, c.command, c.priority, c.status, c.requestedBy, c.timeoutMs ?? null, c.queuedAt, c.startedAt ?? null,
    c.finishedAt ?? null, c.exitCode ?? null, c.signal ?? null, c.durationMs ?? null, c.message ?? null, c.lastSequence,
    c.lastTraceSequence ?? 0, c.maxTokens ?? null, c.maxCostUsd ?? null, c.newSession ?? null, c.resumeSessionId ?? null,
    c.sessionId ?? null, c.stopReason ?? null];
}

/**
 * Taken by every command insert before it inserts: waits while an emergency stop holds the row
 * (its sweep and answer), and makes a stop wait for the inserts already under way (migrations.ts).
 */
export const LOCK_AGAINST_STOP = 'SELECT stops FROM emergency_stop WHERE id = 1 FOR SHARE';
