import type { Store } from '../ports/store.js';

/** The Store methods the store thread runs (everything but the `epoch` property). */
export type StoreMethod = Exclude<keyof Store, 'epoch'>;

export interface StoreCall {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

/** A thrown error as it crosses the thread boundary (SqliteError's `code` included). */
export interface ThreadError {
  name: string;
  message: string;
  code?: string | undefined;
}

export type StoreReply =
  | { id: number; ok: true; value: unknown; ms: number }
  | { id: number; ok: false; error: ThreadError; ms: number };

/** The thread's first message: the store is open (or could not be opened). */
export type StoreReady = { ready: true; epoch: string } | { ready: false; error: ThreadError };

export interface StoreThreadData {
  file: string;
}

export function toThreadError(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, code: typeof code === 'string' ? code : undefined };
}

export function fromThreadError(e: ThreadError): Error {
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}
