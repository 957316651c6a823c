export * from './constants.js';
export * from './errors.js';
export * from './messages.js';
export * from './validate.js';
export * from './json-schema.js';
export { AgentInfo, Position, ErrorPayload } from './schemas/common.js';
export { DashboardToServer, ServerToDashboard, QueueEntry, CommandStatusPayload } from './schemas/dashboard.js';
export { AgentToServer, ServerToAgent } from './schemas/agent.js';
export {
  HistoryCommand, CommandListResponse, OutputPageResponse, AuditListResponse, AgentListResponse, ApiError,
} from './schemas/rest.js';
