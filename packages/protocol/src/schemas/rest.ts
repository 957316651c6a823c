import { Type, type Static } from '@sinclair/typebox';
import {
  AgentInfo, CommandStatusSchema, Id, Millis, Name, NonNegativeInt, OutputStreamSchema, PrioritySchema, Sequence,
} from './common.js';

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

export const AuditEntryResponse = Type.Object({
  id: NonNegativeInt,
  at: Millis,
  actor: Type.String(),
  role: Type.Union([Type.Literal('dashboard'), Type.Literal('agent'), Type.Literal('anonymous')]),
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
