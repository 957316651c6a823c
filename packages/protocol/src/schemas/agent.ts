import { Type } from '@sinclair/typebox';
import { Limits } from '../constants.js';
import {
  AgentTypeSchema, CommandText, ErrorPayload, Heartbeat, Id, Millis, Name, NonNegativeInt,
  OutputStreamSchema, Sequence, TerminalCols, TerminalInputData, TerminalRows, Text, TimeoutMs,
} from './common.js';
import { AgentApprovalRequest, AgentApprovalResponse } from './approval.js';
import { StopReasonSchema, TraceEvent } from './trace.js';

/** A per-command token budget (protocol 1.x). */
export const MaxTokens = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
/** A per-command cost budget in USD (protocol 1.x). */
export const MaxCostUsd = Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000 });

const Outcome = Type.Union([
  Type.Literal('exited'),
  Type.Literal('interrupted'),
  Type.Literal('timeout'),
  Type.Literal('denied'),
  Type.Literal('error'),
]);

/** Payload schemas of what an agent sends, by message type (see docs/protocol.md, agent side). */
export const AgentToServer = {
  /** First message after the socket opens. Identity comes from the token's `sub`. */
  'agent:connect': Type.Object({
    name: Name,
    type: AgentTypeSchema,
    version: Type.String({ maxLength: 64 }),
    hostname: Type.Optional(Name),
    capabilities: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 32 })),
    /** Commands this agent process still knows about (running, or finished with unacknowledged output). */
    running: Type.Array(
      Type.Object({
        commandId: Id,
        lastSequence: NonNegativeInt,
        finished: Type.Boolean(),
        /** Sequence of the last trace event the agent made for the command (1.x; 0 = none). */
        lastTraceSequence: Type.Optional(NonNegativeInt),
      }),
      { maxItems: 1000 },
    ),
    /** AI agents (1.x): where the CLI runs, the model asked for, the CLI's `--version`. */
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    model: Type.Optional(Type.String({ maxLength: 128 })),
    cliVersion: Type.Optional(Type.String({ maxLength: 64 })),
    /** AI agents (1.x): the session this agent process last ran, which the next prompt continues. */
    sessionId: Type.Optional(Id),
  }),
  'command:started': Type.Object({ commandId: Id, pid: NonNegativeInt }),
  'terminal:output': Type.Object({
    commandId: Id,
    /** 1 for a command's first chunk, then +1 per chunk (spec example: "sequence": 1). */
    sequence: Sequence,
    stream: OutputStreamSchema,
    data: Type.String({ maxLength: Limits.outputChunkBytes }),
  }),
  /** 1.x: the command is (or no longer is) blocked reading its terminal: a prompt waits for input. */
  'command:waiting': Type.Object({ commandId: Id, waiting: Type.Boolean() }),
  'command:exit': Type.Object({
    commandId: Id,
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    durationMs: Millis,
    /** Sequence of the last output chunk (0 when the command printed nothing; the first chunk is 1). */
    lastSequence: NonNegativeInt,
    outcome: Outcome,
    message: Type.Optional(Text),
    /** AI agents (1.x): sequence of the last trace event (0 = none). */
    lastTraceSequence: Type.Optional(NonNegativeInt),
    /** AI agents (1.x): why the run ended. */
    stopReason: Type.Optional(StopReasonSchema),
    /** AI agents (1.x): the session the run used (new or resumed). */
    sessionId: Type.Optional(Id),
  }),
  /**
   * One structured event of an AI run (1.x). `sequence` is 1-based and contiguous per command, its
   * own counter beside terminal:output's; kept by the agent until trace:ack, resent after reconnect.
   */
  'trace:event': Type.Object({ commandId: Id, sequence: Sequence, event: TraceEvent }),
  /** The CLI asks whether it may run a tool (1.x; only for a command:execute with `approvals: true`). */
  'approval:request': AgentApprovalRequest,
  heartbeat: Heartbeat,
} as const;

/** Payload schemas of what the server sends to agents, by message type. */
export const ServerToAgent = {
  'connection:ack': Type.Object({
    connectionId: Id,
    agentId: Id,
    serverVersion: Type.String({ maxLength: 64 }),
    heartbeatIntervalMs: Millis,
    heartbeatTimeoutMs: Millis,
  }),
  'command:execute': Type.Object({
    commandId: Id,
    command: CommandText,
    timeoutMs: Type.Optional(TimeoutMs),
    cwd: Type.Optional(Type.String({ maxLength: 4096 })),
    env: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 8192 }))),
    /** AI agents (1.x): continue this session; absent = start a new one. */
    resumeSessionId: Type.Optional(Id),
    /** AI agents (1.x): stop the run once its tokens (input, output, cache) pass this. */
    maxTokens: Type.Optional(MaxTokens),
    /** AI agents (1.x): stop the run once its cost passes this. */
    maxCostUsd: Type.Optional(MaxCostUsd),
    /** 1.x: the PTY's size (the requesting dashboard's terminal); absent = the agent's default. */
    cols: Type.Optional(TerminalCols),
    rows: Type.Optional(TerminalRows),
    /**
     * AI agents (1.x): the server relays this run's approval questions to dashboards, so the CLI
     * may ask (Claude Code: `--permission-prompt-tool stdio`). Absent: the permission mode decides alone.
     */
    approvals: Type.Optional(Type.Boolean()),
  }),
  /** 1.x: the running command's terminal changed size (the focused viewer resized). */
  'terminal:resize': Type.Object({ commandId: Id, cols: TerminalCols, rows: TerminalRows }),
  /** 1.x: keystrokes for the running command's terminal, as a dashboard user typed them. */
  'terminal:input': Type.Object({ commandId: Id, data: TerminalInputData }),
  'command:interrupt': Type.Object({
    commandId: Id,
    reason: Type.Union([Type.Literal('user'), Type.Literal('timeout'), Type.Literal('emergency')]),
  }),
  /** Everything up to and including `sequence` of this command is stored; the agent may forget it. */
  'output:ack': Type.Object({ commandId: Id, sequence: NonNegativeInt }),
  /** The server has the command's final state; the agent may forget the command entirely. */
  'command:ack': Type.Object({ commandId: Id }),
  /** Everything up to and including `sequence` of this command's trace is stored (1.x). */
  'trace:ack': Type.Object({ commandId: Id, sequence: NonNegativeInt }),
  /** The decision on an approval:request (1.x); resent when the agent asks again after a reconnect. */
  'approval:response': AgentApprovalResponse,
  error: ErrorPayload,
  heartbeat: Heartbeat,
} as const;

