import { ProtocolError, type ErrorPayload } from '@onsembl/protocol';

/** Failures the client itself detects, as opposed to `ProtocolError`s the server reports. */
export type ClientErrorCode =
  /** The request was made while not CONNECTED. */
  | 'NOT_CONNECTED'
  /** The connection dropped before the server answered; the request may or may not have been applied. */
  | 'CONNECTION_LOST'
  /** No answer within `requestTimeoutMs`. */
  | 'REQUEST_TIMEOUT'
  /** `close()` was called. */
  | 'CLOSED';

export class ClientError extends Error {
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string) {
    super(message);
    this.name = 'ClientError';
    this.code = code;
  }
}

/** A server `error` payload as a throwable `ProtocolError` (code, message, ids in `details`). */
export function protocolErrorFrom(payload: ErrorPayload): ProtocolError {
  const details: Record<string, unknown> = { ...payload.details };
  for (const key of ['requestId', 'commandId', 'agentId'] as const) {
    if (payload[key] !== undefined) details[key] = payload[key];
  }
  return new ProtocolError(payload.code, payload.message, details);
}

export { ProtocolError };
