import type { ServerToDashboardMessage } from '@onsembl/protocol';
import { Timer, type Clock } from './clock.js';
import { ClientError, protocolErrorFrom } from './errors.js';

/** Decides whether a message answers a request: a value settles it, `undefined` keeps waiting. */
export type Matcher<T> = (message: ServerToDashboardMessage) => T | undefined;

interface Pending {
  match: Matcher<unknown>;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: Timer;
}

/**
 * Requests waiting for the server's answer, keyed by the `requestId` the server echoes.
 * An `error` carrying the id rejects the request; a matcher recognises the success answer.
 */
export class PendingRequests {
  readonly #pending = new Map<string, Pending>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.#pending.size;
  }

  wait<T>(requestId: string, match: Matcher<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = new Timer(this.clock);
      this.#pending.set(requestId, { match, resolve, reject, timer });
      timer.set(this.timeoutMs, () => {
        this.#pending.delete(requestId);
        reject(new ClientError('REQUEST_TIMEOUT', `no answer from the server within ${this.timeoutMs} ms`));
      });
    });
  }

  /** Offers a message to the waiting requests; returns true when it was an error they consumed. */
  handle(message: ServerToDashboardMessage): boolean {
    if (message.type === 'error') {
      const id = message.payload.requestId;
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (!pending || id === undefined) return false;
      this.#settle(id, pending);
      pending.reject(protocolErrorFrom(message.payload));
      return true;
    }
    for (const [id, pending] of this.#pending) {
      const value = pending.match(message);
      if (value === undefined) continue;
      this.#settle(id, pending);
      pending.resolve(value);
    }
    return false;
  }

  /** Rejects a request that could not be sent. */
  fail(requestId: string, error: Error): void {
    const pending = this.#pending.get(requestId);
    if (!pending) return;
    this.#settle(requestId, pending);
    pending.reject(error);
  }

  rejectAll(error: ClientError): void {
    for (const [id, pending] of this.#pending) {
      this.#settle(id, pending);
      pending.reject(error);
    }
  }

  #settle(id: string, pending: Pending): void {
    pending.timer.clear();
    this.#pending.delete(id);
  }
}
