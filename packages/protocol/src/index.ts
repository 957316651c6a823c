export * from './constants.js';
export * from './trace.js';
export * from './approvals.js';
export * from './prices.js';
export * from './backoff.js';
export * from './compression.js';
export * from './heartbeat.js';
export * from './errors.js';
export * from './tls.js';
export * from './messages.js';
export * from './validate.js';
export * from './json-schema.js';
export { AgentInfo, Position, ErrorPayload } from './schemas/common.js';
export { DashboardToServer, ServerToDashboard, QueueEntry, CommandStatusPayload } from './schemas/dashboard.js';
export { AgentToServer, ServerToAgent, MaxTokens, MaxCostUsd } from './schemas/agent.js';
export {
  TraceEvent, type TraceEventOf, TokenCounts, UsageTotals, StopReasonSchema, CostSourceSchema,
} from './schemas/trace.js';
export {
  HistoryCommand, CommandListResponse, OutputPageResponse, AuditListResponse, AgentListResponse, ApiError,
  TracePageResponse, StoredTraceEvent, UsageResponse, UsageSum,
} from './schemas/rest.js';
export { ApprovalRequestPayload, ApprovalDecidedPayload } from './schemas/approval.js';
