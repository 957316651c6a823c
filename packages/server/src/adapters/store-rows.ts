import type { AgentType, CommandStatus, OutputStream, Priority } from '@onsembl/protocol';
import type {
  AgentRecord, AuditEntry, CommandPatch, CommandRecord, CommandUsage, ReadEvent, StoredOutputChunk, TraceRecord, UsageSums,
} from '../ports/store.js';

/**
 * The rows of the SQL stores (SQLite here, PostgreSQL in @onsembl/store-postgres) and the records
 * they read back as. Both schemas have the same tables and columns; only how a boolean or a JSON
 * column comes back differs, so each mapping lives here once and core never sees a row.
 */

export interface AgentRow {
  id: string; name: string; type: string; hostname: string | null; version: string | null; last_seen_at: number;
  session_id: string | null; cwd: string | null; model: string | null;
}

export interface CommandRow {
  id: string; agent_id: string; command: string; priority: string; status: string; requested_by: string;
  timeout_ms: number | null; queued_at: number; started_at: number | null; finished_at: number | null;
  exit_code: number | null; signal: string | null; duration_ms: number | null; message: string | null;
  last_sequence: number; last_trace_sequence: number; max_tokens: number | null; max_cost_usd: number | null;
  /** SQLite keeps booleans as 0/1, PostgreSQL as boolean. */
  new_session: number | boolean | null;
  resume_session_id: string | null; session_id: string | null; stop_reason: string | null;
  input_tokens: number | null; output_tokens: number | null; cache_read_tokens: number | null;
  cache_write_tokens: number | null; cost_usd: number | null; cost_source: string | null; usage_model: string | null;
}

export interface OutputRow { command_id: string; sequence: number; stream: string; data: string; created_at: number }

export interface TraceRow { command_id: string; sequence: number; kind: string; event: string; created_at: number }

/** One row of a usage summary: the sums over a set of commands (NULL when the set is empty). */
export interface UsageSumsRow {
  commands: number; input_tokens: number | null; output_tokens: number | null; cache_read_tokens: number | null;
  cache_write_tokens: number | null; cost_usd: number | null; estimated_cost_usd: number | null; unpriced: number | null;
}

/** CommandPatch field → column. */
export const COMMAND_PATCH_COLUMNS: Record<keyof CommandPatch, string> = {
  priority: 'priority', status: 'status', timeoutMs: 'timeout_ms', startedAt: 'started_at',
  finishedAt: 'finished_at', exitCode: 'exit_code', signal: 'signal', durationMs: 'duration_ms',
  message: 'message', lastSequence: 'last_sequence', lastTraceSequence: 'last_trace_sequence',
  maxTokens: 'max_tokens', maxCostUsd: 'max_cost_usd', newSession: 'new_session',
  resumeSessionId: 'resume_session_id', sessionId: 'session_id', stopReason: 'stop_reason',
};

export function agentFromRow(r: AgentRow): AgentRecord {
  const agent: AgentRecord = {
    id: r.id, name: r.name, type: r.type as AgentType, hostname: r.hostname ?? undefined,
    version: r.version ?? undefined, lastSeenAt: r.last_seen_at,
  };
  if (r.session_id !== null) agent.sessionId = r.session_id;
  if (r.cwd !== null) agent.cwd = r.cwd;
  if (r.model !== null) agent.model = r.model;
  return agent;
}

/** A run's token and cost totals, once a usage trace event set them (input_tokens is never NULL then). */
function usageFromRow(row: CommandRow): CommandUsage | undefined {
  if (row.input_tokens === null) return undefined;
  const usage: CommandUsage = {
    inputTokens: row.input_tokens, outputTokens: row.output_tokens ?? 0, cacheReadTokens: row.cache_read_tokens ?? 0,
    cacheWriteTokens: row.cache_write_tokens ?? 0, costUsd: row.cost_usd,
    costSource: (row.cost_source ?? 'reported') as CommandUsage['costSource'],
  };
  if (row.usage_model !== null) usage.model = row.usage_model;
  return usage;
}

export function commandFromRow(row: CommandRow): CommandRecord {
  const command: CommandRecord = {
    id: row.id, agentId: row.agent_id, command: row.command, priority: row.priority as Priority,
    status: row.status as CommandStatus, requestedBy: row.requested_by, timeoutMs: row.timeout_ms ?? undefined,
    queuedAt: row.queued_at, startedAt: row.started_at ?? undefined, finishedAt: row.finished_at ?? undefined,
    exitCode: row.exit_code, signal: row.signal, durationMs: row.duration_ms ?? undefined,
    message: row.message ?? undefined, lastSequence: row.last_sequence,
  };
  // The fields of AI runs appear only when set, so a shell command reads back as it was written.
  if (row.last_trace_sequence > 0) command.lastTraceSequence = row.last_trace_sequence;
  if (row.max_tokens !== null) command.maxTokens = row.max_tokens;
  if (row.max_cost_usd !== null) command.maxCostUsd = row.max_cost_usd;
  if (row.new_session !== null) command.newSession = row.new_session === true || row.new_session === 1;
  if (row.resume_session_id !== null) command.resumeSessionId = row.resume_session_id;
  if (row.session_id !== null) command.sessionId = row.session_id;
  if (row.stop_reason !== null) command.stopReason = row.stop_reason as NonNullable<CommandRecord['stopReason']>;
  const usage = usageFromRow(row);
  if (usage) command.usage = usage;
  return command;
}

export function chunkFromRow(r: OutputRow): StoredOutputChunk {
  return { commandId: r.command_id, sequence: r.sequence, stream: r.stream as OutputStream, data: r.data, createdAt: r.created_at };
}

export function traceFromRow(r: TraceRow): TraceRecord {
  return { commandId: r.command_id, sequence: r.sequence, kind: r.kind, event: r.event, createdAt: r.created_at };
}

/** Sums of an empty set come back NULL: they read as zero. */
export function usageSumsFromRow(row: UsageSumsRow | undefined): UsageSums {
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

/** An event of the log, joined with the output chunk or trace record it refers to. */
export interface EventRow {
  event_offset: number; created_at: number; text: string; command_id: string | null; agent_id: string | null;
  sequence: number | null; timestamp: number | null;
  /** Set for a reference to a trace record (1 in SQLite, true in PostgreSQL), else a reference to output. */
  trace: number | boolean | null;
  data: string | null; stream: string | null; trace_event: string | null;
}

export interface AuditRow {
  id: number; at: number; actor: string; role: string; action: string; target: string | null;
  /** JSON text in SQLite, jsonb (already parsed) in PostgreSQL. */
  detail: string | Record<string, unknown> | null;
  remote: string | null;
}

export function eventFromRow(r: EventRow): ReadEvent {
  const event: ReadEvent = { offset: r.event_offset, createdAt: r.created_at, text: r.text };
  if (r.command_id !== null) {
    const reference = { commandId: r.command_id, agentId: r.agent_id ?? '', sequence: r.sequence ?? 0, timestamp: r.timestamp ?? r.created_at };
    if (r.trace === true || r.trace === 1) {
      event.trace = reference;
      if (r.trace_event !== null) event.traceEvent = r.trace_event;
    } else {
      event.output = reference;
      if (r.data !== null) event.chunk = { data: r.data, stream: (r.stream ?? 'stdout') as OutputStream };
    }
  }
  return event;
}

export function auditFromRow(r: AuditRow): AuditEntry & { id: number } {
  const detail = typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail;
  return {
    id: r.id, at: r.at, actor: r.actor, role: r.role as AuditEntry['role'], action: r.action,
    target: r.target ?? undefined, detail: detail ?? undefined, remote: r.remote ?? undefined,
  };
}
