import { Type, type Static } from '@sinclair/typebox';
import { Limits } from '../constants.js';
import {
  AgentInfo, CommandStatusSchema, CommandText, ErrorPayload, Heartbeat, Id, Millis, Name,
  NonNegativeInt, OutputStreamSchema, Position, PrioritySchema, Sequence, TerminalCols, TerminalInputData, TerminalRows, Text,
  TimeoutMs, Token,
} from './common.js';
import { MaxCostUsd, MaxTokens } from './agent.js';
import { ApprovalDecidedPayload, ApprovalRequestPayload, DashboardApprovalResponse } from './approval.js';
import { StopReasonSchema, TraceEvent, UsageTotals } from './trace.js';

/** Payload schemas of what a dashboard may send, by message type. */
export const DashboardToServer = {
  /** Optional first message: authenticate in-band (browsers) and/or resume from a position. */
  'dashboard:connect': Type.Object({
    token: Token,
    clientInfo: Type.Object({
      name: Type.Optional(Name),
      version: Type.Optional(Type.String({ maxLength: 64 })),
      userAgent: Type.Optional(Type.String({ maxLength: 512 })),
    }),
    resume: Type.Optional(Position),
  }),
  'command:request': Type.Object({
    agentId: Id,
    command: CommandText,
    priority: PrioritySchema,
    timeoutMs: Type.Optional(TimeoutMs),
    /** Client-chosen id echoed on the `queued` status or the error, to match answers to requests. */
    requestId: Type.Optional(Id),
    /** AI agents (1.x): budgets; the run is stopped once its usage passes one. */
    maxTokens: Type.Optional(MaxTokens),
    maxCostUsd: Type.Optional(MaxCostUsd),
    /** AI agents (1.x): start a new session instead of continuing the agent's current one. */
    newSession: Type.Optional(Type.Boolean()),
    /** AI agents (1.x): continue this session instead of the agent's current one. */
    sessionId: Type.Optional(Id),
    /** 1.x: the size of the requesting dashboard's terminal, for the command's PTY (default 120×30). */
    cols: Type.Optional(TerminalCols),
    rows: Type.Optional(TerminalRows),
  }),
  /** Interrupts a running command, or cancels a queued one. */
  'command:interrupt': Type.Object({ commandId: Id, requestId: Type.Optional(Id) }),
  /** Empties every queue and interrupts every running command on every agent. */
  'emergency:stop': Type.Object({ reason: Type.Optional(Text), requestId: Type.Optional(Id) }),
  heartbeat: Heartbeat,
  'token:refresh': Type.Object({ token: Token, requestId: Type.Optional(Id) }),
  /** 1.x: the focused viewer's terminal changed size; the running command's PTY follows. */
  'terminal:resize': Type.Object({ commandId: Id, cols: TerminalCols, rows: TerminalRows }),
  /** 1.x: keystrokes (or a pasted piece) for a running shell command's terminal. */
  'terminal:input': Type.Object({ commandId: Id, data: TerminalInputData, requestId: Type.Optional(Id) }),
  /** Allow or deny a tool an AI CLI asks to run (1.x); the first answer wins. */
  'approval:response': DashboardApprovalResponse,
} as const;

export const QueueEntry = Type.Object({
  commandId: Id,
  command: CommandText,
  priority: PrioritySchema,
  /** 1 = runs next. */
  position: Type.Integer({ minimum: 1, maximum: Limits.queueCapacity }),
});

export const CommandStatusPayload = Type.Object({
  commandId: Id,
  agentId: Id,
  status: CommandStatusSchema,
  command: Type.Optional(CommandText),
  priority: Type.Optional(PrioritySchema),
  requestId: Type.Optional(Id),
  requestedBy: Type.Optional(Name),
  exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  signal: Type.Optional(Type.Union([Type.String({ maxLength: 32 }), Type.Null()])),
  durationMs: Type.Optional(Millis),
  message: Type.Optional(Text),
  queuedAt: Type.Optional(Millis),
  startedAt: Type.Optional(Millis),
  finishedAt: Type.Optional(Millis),
  /** On a final status: the sequence of the command's last output chunk (0 = none), so a reader knows it has all. */
  lastSequence: Type.Optional(NonNegativeInt),
  /** AI agents (1.x): the session the run used. */
  sessionId: Type.Optional(Id),
  /** AI agents (1.x), on final statuses: why the run ended. */
  stopReason: Type.Optional(StopReasonSchema),
  /** AI agents (1.x), on final statuses: the run's token and cost totals. */
  usage: Type.Optional(UsageTotals),
  /** AI agents (1.x), on final statuses: sequence of the last trace event (0 = none). */
  lastTraceSequence: Type.Optional(NonNegativeInt),
  /** 1.x, on `running`: the command is blocked reading its terminal (a prompt waits for input). */
  waitingForInput: Type.Optional(Type.Boolean()),
});

/** Payload schemas of what the server sends to dashboards, by message type. */
export const ServerToDashboard = {
  'connection:ack': Type.Object({
    connectionId: Id,
    serverVersion: Type.String({ maxLength: 64 }),
    heartbeatIntervalMs: Millis,
    heartbeatTimeoutMs: Millis,
    /** Token expiry (ms since epoch): refresh with token:refresh before it. */
    tokenExpiresAt: Type.Optional(Millis),
    /** The newest position at the moment of the ack. */
    position: Type.Optional(Position),
    /** Present when the client asked to resume: whether every event after its position follows. */
    recovered: Type.Optional(Type.Boolean()),
  }),
  'agent:list': Type.Object({ agents: Type.Array(AgentInfo) }),
  'agent:status': Type.Object({ agent: AgentInfo }),
  'terminal:output': Type.Object({
    commandId: Id,
    agentId: Id,
    data: Type.String({ maxLength: Limits.outputChunkBytes }),
    stream: OutputStreamSchema,
    sequence: Sequence,
  }),
  'command:status': CommandStatusPayload,
  /** A structured event of an AI run (1.x), stored and carrying a `position` like terminal:output. */
  'trace:event': Type.Object({ commandId: Id, agentId: Id, sequence: Sequence, event: TraceEvent }),
  'command:queue': Type.Object({ agentId: Id, queue: Type.Array(QueueEntry) }),
  /** This dashboard was too slow: output from `fromSequence` up to `nextSequence - 1` was dropped. */
  'output:gap': Type.Object({
    commandId: Id,
    agentId: Id,
    fromSequence: NonNegativeInt,
    nextSequence: NonNegativeInt,
  }),
  'emergency:stop': Type.Object({
    requestedBy: Name,
    reason: Type.Optional(Text),
    cancelled: Type.Array(Id),
    interrupted: Type.Array(Id),
    requestId: Type.Optional(Id),
  }),
  'token:refreshed': Type.Object({ expiresAt: Millis, requestId: Type.Optional(Id) }),
  /** An AI CLI asks whether it may run a tool (1.x): to every dashboard, stored with a position. */
  'approval:request': ApprovalRequestPayload,
  /** How an approval was decided (1.x): to every dashboard, stored with a position. */
  'approval:decided': ApprovalDecidedPayload,
  error: ErrorPayload,
  heartbeat: Heartbeat,
} as const;

export type QueueEntry = Static<typeof QueueEntry>;
export type CommandStatusPayload = Static<typeof CommandStatusPayload>;
