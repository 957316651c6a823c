import { Type, type Static } from '@sinclair/typebox';
import { AgentStatus, AgentType, CommandStatus, Limits, OutputStream, Priority } from '../constants.js';
import { ErrorCode } from '../errors.js';

/** Builds a string-literal union schema from an `as const` object of names. */
export function literals<T extends Record<string, string>>(names: T) {
  return Type.Union(Object.values(names).map((v) => Type.Literal(v as T[keyof T])));
}

/** Ids are short, printable and safe in URLs and logs. */
export const Id = Type.String({ minLength: 1, maxLength: Limits.idMaxChars, pattern: '^[A-Za-z0-9._:@-]+$' });
export const Name = Type.String({ minLength: 1, maxLength: Limits.nameMaxChars });
export const Token = Type.String({ minLength: 1, maxLength: Limits.tokenMaxChars });
/** Command text: no NUL or other control bytes (tab and newline allowed), bounded length. */
export const CommandText = Type.String({
  minLength: 1,
  maxLength: Limits.commandMaxChars,
  pattern: '^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F]+$',
});
export const Text = Type.String({ maxLength: Limits.messageTextMaxChars });
export const NonNegativeInt = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Output chunk sequence: 1-based, contiguous per command. */
export const Sequence = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
export const Millis = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
export const TimeoutMs = Type.Integer({ minimum: 1, maximum: Limits.timeoutMaxMs });

export const PrioritySchema = literals(Priority);
export const AgentStatusSchema = literals(AgentStatus);
export const AgentTypeSchema = literals(AgentType);
export const CommandStatusSchema = literals(CommandStatus);
export const OutputStreamSchema = literals(OutputStream);
export const ErrorCodeSchema = literals(ErrorCode);

/** A place in a store's event history: `epoch` names the history, `offset` counts events in it. */
export const Position = Type.Object({ epoch: Id, offset: NonNegativeInt });
export type Position = Static<typeof Position>;

export const AgentInfo = Type.Object({
  id: Id,
  name: Name,
  type: AgentTypeSchema,
  status: AgentStatusSchema,
  hostname: Type.Optional(Name),
  version: Type.Optional(Type.String({ maxLength: 64 })),
  connectedAt: Type.Optional(Millis),
  lastSeenAt: Type.Optional(Millis),
  currentCommandId: Type.Optional(Type.Union([Id, Type.Null()])),
  queueLength: Type.Optional(NonNegativeInt),
  /** AI agents: the session the next prompt continues (protocol 1.x). */
  sessionId: Type.Optional(Id),
  /** AI agents: the working directory the CLI runs in. */
  cwd: Type.Optional(Type.String({ maxLength: 4096 })),
  /** AI agents: the model asked for, or the one the CLI last reported. */
  model: Type.Optional(Type.String({ maxLength: 128 })),
});
export type AgentInfo = Static<typeof AgentInfo>;

export const ErrorPayload = Type.Object({
  code: ErrorCodeSchema,
  message: Text,
  recoverable: Type.Boolean(),
  requestId: Type.Optional(Id),
  commandId: Type.Optional(Id),
  agentId: Type.Optional(Id),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});
export type ErrorPayload = Static<typeof ErrorPayload>;

export const Heartbeat = Type.Object({ sequence: NonNegativeInt });

/** The size of the terminal a dashboard shows a command in (protocol 1.x). */
export const TerminalCols = Type.Integer({ minimum: Limits.terminalColsMin, maximum: Limits.terminalColsMax });
export const TerminalRows = Type.Integer({ minimum: Limits.terminalRowsMin, maximum: Limits.terminalRowsMax });
/** Keystrokes or a pasted piece for a running command's terminal: any text (control keys included), bounded. */
export const TerminalInputData = Type.String({ minLength: 1, maxLength: Limits.terminalInputMaxChars });
