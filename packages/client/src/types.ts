import type {
  AgentInfo, CommandStatusPayload, DashboardToServerPayloads, ErrorPayload, Position, QueueEntry, ServerToDashboardPayloads,
} from '@onsembl/protocol';

/** spec "Connection States". */
export const ConnectionState = {
  CONNECTING: 'CONNECTING',
  CONNECTED: 'CONNECTED',
  RECONNECTING: 'RECONNECTING',
  DISCONNECTED: 'DISCONNECTED',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Why the client is DISCONNECTED, which tells the UI what to offer. */
export type DisconnectReason =
  /** Never connected yet, or `close()` was called. */
  | 'closed'
  /** The token was refused (AUTH_FAILED, close 4001/4003): ask for a new one, then `setToken` + `reconnect()`. */
  | 'auth-failed';

/** Everything a connection indicator needs, as one immutable snapshot. */
export interface ConnectionStatus {
  state: ConnectionState;
  /** Consecutive failed attempts since the last successful connection. */
  failures: number;
  /** When the next automatic attempt starts (ms since epoch), or null when none is scheduled. */
  nextRetryAt: number | null;
  /** Set when DISCONNECTED. */
  reason: DisconnectReason | null;
  /**
   * spec "After 5 failures, show manual reconnect option": true once `maxFailures` attempts in a row
   * failed. Automatic retries go on (at the longest delay, with jitter); the UI offers `reconnect()`.
   */
  offerManualReconnect: boolean;
  /** Human-readable cause of the last failure or disconnection, for display. */
  lastError: string | null;
  /** Server's token expiry from the last `connection:ack` or `token:refreshed`. */
  tokenExpiresAt: number | null;
}

export type OutputChunk = ServerToDashboardPayloads['terminal:output'];
export type OutputGap = ServerToDashboardPayloads['output:gap'];
export type EmergencyStopEvent = ServerToDashboardPayloads['emergency:stop'];
export type QueueUpdate = ServerToDashboardPayloads['command:queue'];
export type ConnectionAck = ServerToDashboardPayloads['connection:ack'];
/** A structured event of an AI run (1.x). */
export type TraceMessage = ServerToDashboardPayloads['trace:event'];
/** An AI CLI asks whether it may run a tool (1.x). */
export type ApprovalRequest = ServerToDashboardPayloads['approval:request'];
/** How an approval was decided, by whom and why (1.x). */
export type ApprovalDecided = ServerToDashboardPayloads['approval:decided'];

export interface ClientEvents extends Record<string, unknown> {
  /** The connection snapshot changed. */
  state: ConnectionStatus;
  /** Connected (acknowledged); `resumed` is true when the server replays what was missed. */
  connected: { ack: ConnectionAck; resumed: boolean };
  /**
   * The server could not resume from the last position (new epoch, too old, or no resume at all
   * after a reconnect): drop derived state (queues, running commands) and rebuild it from the fresh
   * `agent:list` and queue events that follow.
   */
  reset: undefined;
  agents: readonly AgentInfo[];
  agent: AgentInfo;
  output: OutputChunk;
  status: CommandStatusPayload;
  queue: QueueUpdate;
  gap: OutputGap;
  emergency: EmergencyStopEvent;
  /** A structured event of an AI run, live (the stored trace is `history.trace(commandId)`). */
  trace: TraceMessage;
  /** A question waits for an answer (`answerApproval`), until its `deadlineAt`. */
  approval: ApprovalRequest;
  /** A question was decided (here or on another dashboard, or by its deadline). */
  approvalDecided: ApprovalDecided;
  /** A server error not answered through a request's promise (those reject the promise instead). */
  serverError: ErrorPayload;
  /** Every valid incoming message, for logging and tools. */
  message: { type: string; payload: unknown; position?: Position };
}

/** A `command:request` as the protocol defines it (budgets and session choice included); the client adds the requestId. */
export type CommandRequest = Omit<DashboardToServerPayloads['command:request'], 'requestId'>;

export type { AgentInfo, CommandStatusPayload, ErrorPayload, Position, QueueEntry };
