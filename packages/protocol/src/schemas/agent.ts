import { Type } from '@sinclair/typebox';
import { Limits } from '../constants.js';
import {
  AgentTypeSchema, CommandText, ErrorPayload, Heartbeat, Id, Millis, Name, NonNegativeInt,
  OutputStreamSchema, Sequence, Text, TimeoutMs,
} from './common.js';

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
      Type.Object({ commandId: Id, lastSequence: NonNegativeInt, finished: Type.Boolean() }),
      { maxItems: 1000 },
    ),
  }),
  'command:started': Type.Object({ commandId: Id, pid: NonNegativeInt }),
  'terminal:output': Type.Object({
    commandId: Id,
    /** 1 for a command's first chunk, then +1 per chunk (spec example: "sequence": 1). */
    sequence: Sequence,
    stream: OutputStreamSchema,
    data: Type.String({ maxLength: Limits.outputChunkBytes }),
  }),
  'command:exit': Type.Object({
    commandId: Id,
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    signal: Type.Union([Type.String({ maxLength: 32 }), Type.Null()]),
    durationMs: Millis,
    /** Sequence of the last output chunk (0 when the command printed nothing; the first chunk is 1). */
    lastSequence: NonNegativeInt,
    outcome: Outcome,
    message: Type.Optional(Text),
  }),
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
  }),
  'command:interrupt': Type.Object({
    commandId: Id,
    reason: Type.Union([Type.Literal('user'), Type.Literal('timeout'), Type.Literal('emergency')]),
  }),
  /** Everything up to and including `sequence` of this command is stored; the agent may forget it. */
  'output:ack': Type.Object({ commandId: Id, sequence: NonNegativeInt }),
  /** The server has the command's final state; the agent may forget the command entirely. */
  'command:ack': Type.Object({ commandId: Id }),
  error: ErrorPayload,
  heartbeat: Heartbeat,
} as const;

