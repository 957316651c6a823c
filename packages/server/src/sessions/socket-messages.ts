import { ErrorRecoverable, toDashboard, type ErrorCode, type ErrorPayload, type ProtocolError } from '@onsembl/protocol';

/** Builds the serialised `error` message of the spec's format (the same shape on both endpoints). */
export function errorText(code: ErrorCode, message: string, extra: Partial<ErrorPayload> = {}): string {
  return JSON.stringify(toDashboard('error', { ...extra, code, message, recoverable: ErrorRecoverable[code] }));
}

/**
 * A ProtocolError as the serialised `error` message: the command and agent ids of its details go
 * in the payload's own fields, anything else in `details`.
 */
export function protocolErrorText(err: ProtocolError, requestId?: string): string {
  const { commandId, agentId, ...rest } = err.details ?? {};
  return errorText(err.code, err.message, {
    ...(requestId === undefined ? {} : { requestId }),
    ...(typeof commandId === 'string' ? { commandId } : {}),
    ...(typeof agentId === 'string' ? { agentId } : {}),
    ...(Object.keys(rest).length > 0 ? { details: rest } : {}),
  });
}

/** Decodes a text frame; binary frames are not part of the protocol. */
export function frameText(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): string | undefined {
  if (isBinary) return undefined;
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
