import { FINAL_COMMAND_STATUSES } from '@onsembl/protocol';
import type { CommandStatusPayload, OutputChunk, OutputGap } from './types.js';

export interface CommandHandlers {
  output?(chunk: OutputChunk): void;
  gap?(gap: OutputGap): void;
  status?(status: CommandStatusPayload): void;
}

export type CommandEvent =
  | { type: 'output'; chunk: OutputChunk }
  | { type: 'gap'; gap: OutputGap }
  | { type: 'status'; status: CommandStatusPayload };

/**
 * One command's events as an async iterator: buffers what arrives between `next()` calls and ends
 * after the command's final status (completed, failed, cancelled, timeout) or on `return()`.
 */
export class CommandEvents implements AsyncIterableIterator<CommandEvent> {
  readonly #buffer: CommandEvent[] = [];
  readonly #waiting: ((result: IteratorResult<CommandEvent>) => void)[] = [];
  readonly #unsubscribe: () => void;
  #finished = false;

  constructor(subscribe: (handlers: CommandHandlers) => () => void) {
    this.#unsubscribe = subscribe({
      output: (chunk) => this.#push({ type: 'output', chunk }),
      gap: (gap) => this.#push({ type: 'gap', gap }),
      status: (status) => {
        this.#push({ type: 'status', status });
        if (FINAL_COMMAND_STATUSES.has(status.status)) this.#finish();
      },
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<CommandEvent>> {
    const value = this.#buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  return(): Promise<IteratorResult<CommandEvent>> {
    this.#buffer.length = 0;
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  #push(event: CommandEvent): void {
    if (this.#finished) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.#buffer.push(event);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#unsubscribe();
    for (const waiter of this.#waiting.splice(0)) waiter({ value: undefined, done: true });
  }
}
