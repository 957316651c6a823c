/** spec "Error Codes": the code table, with whether a client may carry on after it. */
export const ErrorCode = {
  AUTH_FAILED: 'AUTH_FAILED',
  AGENT_OFFLINE: 'AGENT_OFFLINE',
  COMMAND_TIMEOUT: 'COMMAND_TIMEOUT',
  QUEUE_FULL: 'QUEUE_FULL',
  INVALID_MESSAGE: 'INVALID_MESSAGE',
  RATE_LIMIT: 'RATE_LIMIT',
  /** Onsembl addition: a command id that is unknown or already finished (interrupt, cancel). */
  COMMAND_NOT_FOUND: 'COMMAND_NOT_FOUND',
  /** Onsembl addition: the agent's policy refused the command. */
  COMMAND_DENIED: 'COMMAND_DENIED',
  /**
   * Onsembl addition: the server could not store the request (its database is failing), so it did
   * nothing; try again once GET /health answers 200.
   */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** Onsembl addition (1.x): an approval:response for an approval id the server does not know. */
  APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND',
  /**
   * Onsembl addition (1.x): the approval was decided already (another dashboard answered first, or
   * its deadline passed); `details` says how, by whom and why.
   */
  APPROVAL_DECIDED: 'APPROVAL_DECIDED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorRecoverable: Record<ErrorCode, boolean> = {
  AUTH_FAILED: false,
  AGENT_OFFLINE: true,
  COMMAND_TIMEOUT: true,
  QUEUE_FULL: true,
  INVALID_MESSAGE: true,
  RATE_LIMIT: true,
  COMMAND_NOT_FOUND: true,
  COMMAND_DENIED: true,
  STORE_UNAVAILABLE: true,
  APPROVAL_NOT_FOUND: true,
  APPROVAL_DECIDED: true,
};

/** WebSocket close codes used by Onsembl. 4xxx are application codes a browser can read. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Sustained rate-limit abuse, or a non-browser upgrade that broke policy. */
  policyViolation: 1008,
  /** Message over Limits.maxMessageBytes (ws raises it itself). */
  messageTooBig: 1009,
  /**
   * The server could not do what the connection needs because its store failed: an agent reconnects
   * and resends everything not yet acknowledged; a dashboard reconnects and resumes.
   */
  serverError: 1011,
  /**
   * The server is stopping (SIGTERM, a deploy): reconnect, to another node or to this one once it is
   * back, and resume. Replaces 1001 for a server's own shutdown.
   */
  serviceRestart: 1012,
  /**
   * The TLS handshake failed (RFC 6455 reserves it: never sent on the wire). The Node client
   * (`@onsembl/client/node`) reports a refused server certificate with it, the reason saying why.
   */
  tlsHandshake: 1015,
  /** A dashboard so far behind that even its non-droppable messages overflow: reconnect and resume. */
  tooSlow: 1013,
  /** Closed by the client itself: no connection:ack within its connect timeout. */
  connectTimeout: 4000,
  authFailed: 4001,
  authTimeout: 4002,
  tokenExpired: 4003,
  heartbeatTimeout: 4008,
  /** The same agent identity connected again; the older socket is closed. */
  replaced: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The one error type of the protocol: a code from the table plus a human message. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly recoverable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.recoverable = ErrorRecoverable[code];
    this.details = details;
  }
}
