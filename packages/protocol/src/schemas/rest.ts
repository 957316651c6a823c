import { Type, type Static } from '@sinclair/typebox';
import {
  AgentInfo, CommandStatusSchema, Id, Millis, Name, NonNegativeInt, OutputStreamSchema, PrioritySchema, Sequence,
} from './common.js';
import { MaxCostUsd, MaxTokens } from './agent.js';
import { StopReasonSchema, TraceEvent, UsageTotals } from './trace.js';

/**
 * Response shapes of the REST history API (docs/api.md), shared by the server that builds them and
 * the clients that read them.
 */
export const HistoryCommand = Type.Object({
  id: Id,
  agentId: Id,
  command: Type.String(),
  priority: PrioritySchema,
  status: CommandStatusSchema,
  requestedBy: Name,
  timeoutMs: Type.Optional(Millis),
  queuedAt: Millis,
  startedAt: Type.Optional(Millis),
  finishedAt: Type.Optional(Millis),
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  signal: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  durationMs: Type.Optional(Millis),
  message: Type.Optional(Type.String()),
  /** Highest output sequence stored. */
  lastSequence: NonNegativeInt,
  history: Type.Array(Type.Object({ status: CommandStatusSchema, at: Millis })),
  /** AI agents (1.x): the session the run used, why it ended, its totals, its last trace sequence. */
  sessionId: Type.Optional(Id),
  stopReason: Type.Optional(StopReasonSchema),
  usage: Type.Optional(UsageTotals),
  lastTraceSequence: Type.Optional(NonNegativeInt),
  /** AI agents (1.x): the budgets and the session choice of the request, and the session it was asked to continue. */
  maxTokens: Type.Optional(MaxTokens),
  maxCostUsd: Type.Optional(MaxCostUsd),
  newSession: Type.Optional(Type.Boolean()),
  resumeSessionId: Type.Optional(Id),
});
export type HistoryCommand = Static<typeof HistoryCommand>;

export const CommandListResponse = Type.Object({
  commands: Type.Array(HistoryCommand),
  /** Opaque cursor of the next (older) page, passed back as `cursor`; absent on the last page. */
  next: Type.Optional(Type.String()),
});
export type CommandListResponse = Static<typeof CommandListResponse>;

export const StoredOutputChunk = Type.Object({
  commandId: Id,
  sequence: Sequence,
  stream: OutputStreamSchema,
  data: Type.String(),
  createdAt: Millis,
});

export const OutputPageResponse = Type.Object({
  commandId: Id,
  status: CommandStatusSchema,
  chunks: Type.Array(StoredOutputChunk),
  lastSequence: NonNegativeInt,
  /** The command is final and these chunks reach its last stored sequence. */
  complete: Type.Boolean(),
});
export type OutputPageResponse = Static<typeof OutputPageResponse>;

/** GET /api/commands/:id/trace: the command's trace events in sequence order, paged like output. */
export const StoredTraceEvent = Type.Object({ sequence: Sequence, event: TraceEvent });
export const TracePageResponse = Type.Object({
  commandId: Id,
  status: CommandStatusSchema,
  events: Type.Array(StoredTraceEvent),
  /** Highest trace sequence stored. */
  lastSequence: NonNegativeInt,
  /** The command is final and these events reach its last stored sequence. */
  complete: Type.Boolean(),
});
export type TracePageResponse = Static<typeof TracePageResponse>;

/** Token and cost totals of a group of commands. */
export const UsageSum = Type.Object({
  commands: NonNegativeInt,
  inputTokens: NonNegativeInt,
  outputTokens: NonNegativeInt,
  cacheReadTokens: NonNegativeInt,
  cacheWriteTokens: NonNegativeInt,
  /** Sum of the known costs (commands with an unknown cost count as 0, see `unpricedCommands`). */
  costUsd: Type.Number({ minimum: 0 }),
  /** The part of costUsd that was estimated from the price table rather than reported by a CLI. */
  estimatedCostUsd: Type.Number({ minimum: 0 }),
  /** Commands whose cost is unknown (no reported cost and a model not in the price table). */
  unpricedCommands: NonNegativeInt,
});
export type UsageSum = Static<typeof UsageSum>;

/** GET /api/usage?agentId=&since=&until=: totals overall, per agent, per UTC day and per command. */
export const UsageResponse = Type.Object({
  since: Type.Optional(Millis),
  until: Type.Optional(Millis),
  total: UsageSum,
  byAgent: Type.Array(Type.Object({ agentId: Id, ...UsageSum.properties })),
  /** `day` is the UTC date, YYYY-MM-DD, of the command's `queuedAt` (the filter's time too). */
  byDay: Type.Array(Type.Object({ day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), ...UsageSum.properties })),
  byCommand: Type.Array(
    Type.Object({
      commandId: Id,
      agentId: Id,
      queuedAt: Millis,
      finishedAt: Type.Optional(Millis),
      sessionId: Type.Optional(Id),
      model: Type.Optional(Type.String({ maxLength: 128 })),
      ...UsageTotals.properties,
    }),
  ),
  /** byCommand is newest first, at most `limit`; the cursor of its next page, passed back as `cursor`. */
  next: Type.Optional(Type.String()),
});
export type UsageResponse = Static<typeof UsageResponse>;

export const AuditEntryResponse = Type.Object({
  id: NonNegativeInt,
  at: Millis,
  actor: Type.String(),
  /** `server` (1.x): a decision the server made itself, e.g. an approval nobody answered in time. */
  role: Type.Union([Type.Literal('dashboard'), Type.Literal('agent'), Type.Literal('anonymous'), Type.Literal('server')]),
  action: Type.String(),
  target: Type.Optional(Type.String()),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  remote: Type.Optional(Type.String()),
});
export const AuditListResponse = Type.Object({ entries: Type.Array(AuditEntryResponse) });
export type AuditListResponse = Static<typeof AuditListResponse>;

export const AgentListResponse = Type.Object({ agents: Type.Array(AgentInfo) });
export type AgentListResponse = Static<typeof AgentListResponse>;

export const ApiError = Type.Object({ error: Type.String() });
export type ApiError = Static<typeof ApiError>;
