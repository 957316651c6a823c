import type { Position } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Store, StoredEvent } from '../ports/store.js';

import { BatchWriter } from './batch-writer.js';

/**
 * Gives every dashboard event the next position {epoch, offset} and stores it, in batches, so a
 * dashboard that reconnects can be sent everything it missed. Offsets are assigned synchronously in
 * broadcast order; `flush()` resolves once everything assigned so far is stored.
 */
export class EventLog {
  private last: number;
  /** Events wait at most 10 ms to share a store transaction, like output chunks do. */
  private readonly writer: BatchWriter<StoredEvent>;

  private constructor(private readonly store: Store, logger: Logger, last: number) {
    this.last = last;
    this.writer = new BatchWriter(
      (batch) => store.appendEvents(batch).catch((err: unknown) => logger.error({ err, events: batch.length }, 'storing events failed')),
      { windowMs: 10, maxItems: 512 },
    );
  }

  static async open(store: Store, logger: Logger): Promise<EventLog> {
    const { last } = await store.eventBounds();
    return new EventLog(store, logger, last);
  }

  get epoch(): string {
    return this.store.epoch;
  }

  /** The newest position handed out. */
  get head(): Position {
    return { epoch: this.store.epoch, offset: this.last };
  }

  /** Reserves the next position; the caller records the event's text at it with `record`. */
  next(): Position {
    return { epoch: this.store.epoch, offset: ++this.last };
  }

  record(offset: number, text: string): void {
    this.writer.add({ offset, text, createdAt: Date.now() });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Whether every event after `from` can still be replayed: same history (epoch), not from the
   * future, and not older than what retention kept.
   */
  async canResumeFrom(from: Position): Promise<boolean> {
    if (from.epoch !== this.store.epoch || from.offset > this.last) return false;
    await this.flush();
    const { first } = await this.store.eventBounds();
    return first === 0 ? from.offset === this.last : from.offset >= first - 1;
  }

  read(afterOffset: number, limit: number): Promise<StoredEvent[]> {
    return this.store.readEvents(afterOffset, limit);
  }
}
