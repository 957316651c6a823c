import { Type, type Static } from '@sinclair/typebox';
import { ApprovalDecision, ApprovalReason } from '../approvals.js';
import { Id, literals, Millis, Name, Text } from './common.js';

export const ApprovalDecisionSchema = literals(ApprovalDecision);
export const ApprovalReasonSchema = literals(ApprovalReason);

const ToolName = Type.String({ minLength: 1, maxLength: 256 });

/** What the CLI asks to run, as the agent hands it on (the same caps as a trace tool_call). */
const Question = {
  approvalId: Id,
  commandId: Id,
  tool: ToolName,
  /** The tool's input, or its JSON text cut at traceInputMaxChars with `inputTruncated`. */
  input: Type.Unknown(),
  inputTruncated: Type.Optional(Type.Boolean()),
  /** The CLI's id of the tool call this approval is for (the trace's tool_call `toolId`). */
  toolUseId: Type.Optional(Id),
  /** The CLI's own words on what the tool will do, when it gives them. */
  description: Type.Optional(Text),
};

/** agent → server: the CLI asks whether it may run a tool. Resent after every reconnect until answered. */
export const AgentApprovalRequest = Type.Object(Question);

/** server → agent: the decision; the agent answers the CLI with it. */
export const AgentApprovalResponse = Type.Object({
  approvalId: Id,
  commandId: Id,
  decision: ApprovalDecisionSchema,
  reason: ApprovalReasonSchema,
  decidedBy: Name,
  /** The deny message a dashboard user gave (the CLI tells the model). */
  message: Type.Optional(Text),
});

/** server → dashboard: a question waits for an answer until `deadlineAt`. */
export const ApprovalRequestPayload = Type.Object({
  ...Question,
  agentId: Id,
  requestedAt: Millis,
  deadlineAt: Millis,
});
export type ApprovalRequestPayload = Static<typeof ApprovalRequestPayload>;

/** dashboard → server: the answer; the first one wins, a later one gets APPROVAL_DECIDED. */
export const DashboardApprovalResponse = Type.Object({
  approvalId: Id,
  decision: ApprovalDecisionSchema,
  message: Type.Optional(Text),
  requestId: Type.Optional(Id),
});

/** server → dashboard: how a question was decided, by whom and why. */
export const ApprovalDecidedPayload = Type.Object({
  approvalId: Id,
  agentId: Id,
  commandId: Id,
  tool: ToolName,
  decision: ApprovalDecisionSchema,
  reason: ApprovalReasonSchema,
  /** The dashboard user's token subject, or `onsembl` for the server's own decisions. */
  decidedBy: Name,
  decidedAt: Millis,
  message: Type.Optional(Text),
  /** The answering request's id (only that dashboard sent it). */
  requestId: Type.Optional(Id),
});
export type ApprovalDecidedPayload = Static<typeof ApprovalDecidedPayload>;
