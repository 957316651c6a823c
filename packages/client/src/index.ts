export { OnsemblClient } from './client.js';
export type { ClientOptions } from './options.js';
export { ConnectionState } from './types.js';
export type {
  AgentInfo, ApprovalDecided, ApprovalRequest, ClientEvents, CommandRequest, CommandStatusPayload, ConnectionAck, ConnectionStatus, DisconnectReason,
  EmergencyStopEvent, ErrorPayload, OutputChunk, OutputGap, Position, QueueEntry, QueueUpdate, TraceMessage,
} from './types.js';
export { ClientError, ProtocolError, type ClientErrorCode } from './errors.js';
export { defaultReconnectPolicy, retryDelayMs, type ReconnectPolicy } from './backoff.js';
export { systemClock, type Clock } from './clock.js';
export { dashboardUrlFor, type AuthMode, type WebSocketConstructor, type WebSocketLike, type SocketEvent } from './socket.js';
export type { CommandEvent, CommandHandlers } from './command-events.js';
export {
  apiBaseFor, HistoryApi, HistoryApiError, type AuditEntry, type AuditQuery, type CommandCursor, type CommandPage, type CommandQuery,
  type FetchLike, type HistoryApiOptions, type HistoryChunk, type HistoryCommand, type MissingOutput, type MissingOutputOptions, type OutputPage,
  type TracePage, type UsageQuery, type UsageReport,
} from './history.js';
