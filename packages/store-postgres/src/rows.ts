import type { AgentType, CommandStatus, OutputStream, Priority } from '@onsembl/protocol';
import type { AgentRecord, CommandPatch, CommandRecord, CommandUsage, StoredOutputChunk } from '@onsembl/server';

export interface AgentRow {
  id: string; name: string; type: string; hostname: string | null; version: string | null; last_seen_at: number;
  session_id: string | null; cwd: string | null; model: string | null;
}

export interface CommandRow {
  id: string; agent_id: string; command: string; priority: string; status: string; requested_by: string;
  timeout_ms: number | null; queued_at: number; started_at: number | null; finished_at: number | null;
  exit_code: number | null; signal: string | null; duration_ms: number | null; message: string | null;
  last_sequence: number; last_trace_sequence: number; max_tokens: number | null; max_cost_usd: number | null;
  new_session: boolean | null; resume_session_id: string | null; session_id: string | null; stop_reason: string | null;
  input_tokens: number | null; output_tokens: number | null; cache_read_tokens: number | null;
  cache_write_tokens: number | null; cost_usd: number | null; cost_source: string | null; usage_model: string | null;
}

/** The columns of a command as the store reads them (never the search vector). */
export const COMMAND_COLUMNS = `id, agent_id, command, priority, status, requested_by, timeout_ms, queued_at, started_at,
  finished_at, exit_code, signal, duration_ms, message, last_sequence, last_trace_sequence, max_tokens, max_cost_usd,
  new_session, resume_session_id, session_id, stop_reason, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, cost_usd, cost_source, usage_model`;

/** CommandPatch field → column. */
export const PATCH_COLUMNS: Record<keyof CommandPatch, string> = {
  priority: 'priority', status: 'status', timeoutMs: 'timeout_ms', startedAt: 'started_at',
  finishedAt: 'finished_at', exitCode: 'exit_code', signal: 'signal', durationMs: 'duration_ms',
  message: 'message', lastSequence: 'last_sequence', lastTraceSequence: 'last_trace_sequence',
  maxTokens: 'max_tokens', maxCostUsd: 'max_cost_usd', newSession: 'new_session',
  resumeSessionId: 'resume_session_id', sessionId: 'session_id', stopReason: 'stop_reason',
};

export function toAgent(r: AgentRow): AgentRecord {
  const agent: AgentRecord = {
    id: r.id, name: r.name, type: r.type as AgentType, hostname: r.hostname ?? undefined,
    version: r.version ?? undefined, lastSeenAt: r.last_seen_at,
  };
  if (r.session_id !== null) agent.sessionId = r.session_id;
  if (r.cwd !== null) agent.cwd = r.cwd;
  if (r.model !== null) agent.model = r.model;
  return agent;
}

function usageOf(row: CommandRow): CommandUsage | undefined {
  if (row.input_tokens === null) return undefined;
  const usage: CommandUsage = {
    inputTokens: row.input_tokens, outputTokens: row.output_tokens ?? 0, cacheReadTokens: row.cache_read_tokens ?? 0,
    cacheWriteTokens: row.cache_write_tokens ?? 0, costUsd: row.cost_usd,
    costSource: (row.cost_source ?? 'reported') as CommandUsage['costSource'],
  };
  if (row.usage_model !== null) usage.model = row.usage_model;
  return usage;
}

/** A command as the SQLite store reads it back: the fields of AI runs only when set. */
export function toCommand(row: CommandRow): CommandRecord {
  const command: CommandRecord = {
    id: row.id, agentId: row.agent_id, command: row.command, priority: row.priority as Priority,
    status: row.status as CommandStatus, requestedBy: row.requested_by, timeoutMs: row.timeout_ms ?? undefined,
    queuedAt: row.queued_at, startedAt: row.started_at ?? undefined, finishedAt: row.finished_at ?? undefined,
    exitCode: row.exit_code, signal: row.signal, durationMs: row.duration_ms ?? undefined,
    message: row.message ?? undefined, lastSequence: row.last_sequence,
  };
  if (row.last_trace_sequence > 0) command.lastTraceSequence = row.last_trace_sequence;
  if (row.max_tokens !== null) command.maxTokens = row.max_tokens;
  if (row.max_cost_usd !== null) command.maxCostUsd = row.max_cost_usd;
  if (row.new_session !== null) command.newSession = row.new_session;
  if (row.resume_session_id !== null) command.resumeSessionId = row.resume_session_id;
  if (row.session_id !== null) command.sessionId = row.session_id;
  if (row.stop_reason !== null) command.stopReason = row.stop_reason as NonNullable<CommandRecord['stopReason']>;
  const usage = usageOf(row);
  if (usage) command.usage = usage;
  return command;
}

export interface OutputRow { command_id: string; sequence: number; stream: string; data: string; created_at: number }

export function toChunk(r: OutputRow): StoredOutputChunk {
  return { commandId: r.command_id, sequence: r.sequence, stream: r.stream as OutputStream, data: r.data, createdAt: r.created_at };
}

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
