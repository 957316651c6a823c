import { Type, type Static } from '@sinclair/typebox';
import { Limits } from '../constants.js';
import { CostSource, FileChangeKind, NoticeLevel, StopReason } from '../trace.js';
import { ApprovalDecisionSchema, ApprovalReasonSchema } from './approval.js';
import { Id, literals, Millis, Name, NonNegativeInt, Text } from './common.js';

export const StopReasonSchema = literals(StopReason);
export const CostSourceSchema = literals(CostSource);

const ModelId = Type.String({ minLength: 1, maxLength: 128 });
const Path = Type.String({ minLength: 1, maxLength: 4096 });
const TraceText = Type.String({ maxLength: Limits.traceTextMaxChars });
const Count = NonNegativeInt;

/** Token counts; `inputTokens` excludes tokens read from or written to a prompt cache. */
export const TokenCounts = Type.Object({
  inputTokens: Count,
  outputTokens: Count,
  cacheReadTokens: Count,
  cacheWriteTokens: Count,
});

/** Totals of a command (or of a group of commands): tokens and cost. */
export const UsageTotals = Type.Object({
  inputTokens: Count,
  outputTokens: Count,
  cacheReadTokens: Count,
  cacheWriteTokens: Count,
  /** null when the CLI reported none and the model is not in the price table. */
  costUsd: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
  costSource: CostSourceSchema,
});
export type UsageTotals = Static<typeof UsageTotals>;

const at = { at: Millis };

/** One structured event of an AI run; the union is discriminated by `kind`. */
export const TraceEvent = Type.Union([
  Type.Object({
    kind: Type.Literal('session'),
    ...at,
    sessionId: Id,
    model: Type.Optional(ModelId),
    cwd: Type.Optional(Path),
    cliVersion: Type.Optional(Type.String({ maxLength: 64 })),
    /** The run continued an earlier session (`resumeSessionId`). */
    resumed: Type.Boolean(),
  }),
  /** Assistant text; the agent joins delta chunks, and splits text longer than traceTextMaxChars. */
  Type.Object({ kind: Type.Literal('message'), ...at, text: TraceText }),
  Type.Object({ kind: Type.Literal('thinking'), ...at, text: TraceText }),
  Type.Object({
    kind: Type.Literal('tool_call'),
    ...at,
    toolId: Id,
    name: Type.String({ minLength: 1, maxLength: 256 }),
    /** The tool's input as the CLI gave it, or its JSON text cut at traceInputMaxChars. */
    input: Type.Unknown(),
    inputTruncated: Type.Optional(Type.Boolean()),
    /** The one-line gist shown in the terminal, e.g. `Bash ls -la`. */
    summary: Type.String({ maxLength: Limits.traceSummaryMaxChars }),
  }),
  Type.Object({
    kind: Type.Literal('tool_result'),
    ...at,
    toolId: Id,
    ok: Type.Boolean(),
    /** The start of the result, at most traceToolOutputMaxChars. */
    output: Type.String({ maxLength: Limits.traceToolOutputMaxChars }),
    /** The full result's size in UTF-8 bytes. */
    outputBytes: Count,
    truncated: Type.Boolean(),
  }),
  Type.Object({
    kind: Type.Literal('file_change'),
    ...at,
    path: Path,
    change: literals(FileChangeKind),
    /** Unified diff, where the CLI gave old and new text; cut at traceDiffMaxChars. */
    diff: Type.Optional(Type.String({ maxLength: Limits.traceDiffMaxChars })),
    toolId: Type.Optional(Id),
  }),
  /** Totals for the command so far; the last one is the command's. */
  Type.Object({
    kind: Type.Literal('usage'),
    ...at,
    inputTokens: Count,
    outputTokens: Count,
    cacheReadTokens: Count,
    cacheWriteTokens: Count,
    costUsd: Type.Union([Type.Number({ minimum: 0 }), Type.Null()]),
    costSource: CostSourceSchema,
    model: Type.Optional(ModelId),
  }),
  Type.Object({
    kind: Type.Literal('result'),
    ...at,
    ok: Type.Boolean(),
    reason: StopReasonSchema,
    message: Type.Optional(Text),
    turns: Type.Optional(Count),
    durationMs: Type.Optional(Millis),
    /** The run's final answer, as the CLI gave it. */
    text: Type.Optional(TraceText),
  }),
  /** Retries and non-fatal errors the CLI reported. */
  Type.Object({
    kind: Type.Literal('notice'),
    ...at,
    level: literals(NoticeLevel),
    message: Text,
  }),
  /** The CLI asked whether it may run a tool; the question went to every dashboard (approval:request). */
  Type.Object({
    kind: Type.Literal('approval_request'),
    ...at,
    approvalId: Id,
    tool: Type.String({ minLength: 1, maxLength: 256 }),
    input: Type.Unknown(),
    inputTruncated: Type.Optional(Type.Boolean()),
    toolId: Type.Optional(Id),
  }),
  /** How the question was answered, and what the agent told the CLI. */
  Type.Object({
    kind: Type.Literal('approval_decision'),
    ...at,
    approvalId: Id,
    decision: ApprovalDecisionSchema,
    reason: ApprovalReasonSchema,
    decidedBy: Name,
    message: Type.Optional(Text),
  }),
]);
export type TraceEvent = Static<typeof TraceEvent>;
/** One kind of trace event, e.g. `TraceEventOf<'usage'>`. */
export type TraceEventOf<K extends TraceEvent['kind']> = Extract<TraceEvent, { kind: K }>;
