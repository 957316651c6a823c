import { ClientError, ProtocolError, type ErrorPayload } from '@onsembl/client';
import type { Notice } from '../state/dashboard-state.js';

type NoticeInput = Omit<Notice, 'id'>;

/** Titles that say what happened and what to do, per error code. */
const TITLES: Record<string, string> = {
  RATE_LIMIT: 'Too many requests: slow down a little',
  QUEUE_FULL: "The agent's queue is full",
  AGENT_OFFLINE: 'The agent is offline',
  COMMAND_TIMEOUT: 'A command ran past its timeout and was stopped',
  INVALID_MESSAGE: 'The server rejected the request',
  COMMAND_NOT_FOUND: 'That command has already finished',
  COMMAND_DENIED: "The agent's policy refused the command",
  STORE_UNAVAILABLE: 'The server cannot store anything right now: nothing was done, try again shortly',
  AUTH_FAILED: 'The token was refused',
  NOT_CONNECTED: 'Not connected: wait for the connection to come back',
  CONNECTION_LOST: 'The connection dropped before the server answered',
  REQUEST_TIMEOUT: 'The server did not answer in time',
  CLOSED: 'The dashboard connection is closed',
};

export function noticeFromServerError(error: ErrorPayload): NoticeInput {
  return {
    key: `${error.code}:${error.commandId ?? error.agentId ?? ''}`,
    tone: 'error',
    title: TITLES[error.code] ?? error.code,
    detail: `${error.message} (${error.code})`,
  };
}

/** Turns whatever a client promise rejected with into a readable notice. */
export function noticeFromFailure(action: string, error: unknown): NoticeInput {
  if (error instanceof ProtocolError || error instanceof ClientError) {
    return { key: `${action}:${error.code}`, tone: 'error', title: TITLES[error.code] ?? error.code, detail: `${action}: ${error.message} (${error.code})` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { key: `${action}:unknown`, tone: 'error', title: `${action} failed`, detail: message };
}
