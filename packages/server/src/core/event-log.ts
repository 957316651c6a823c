import type { Position } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Store, StoredEvent } from '../ports/store.js';

/** Events wait at most this long to share a store transaction (like output chunks do). */
const BATCH_WINDOW_MS = 10;
const BATCH_MAX_EVENTS = 512;

/**
 * Gives every dashboard event the next position {epoch, offset} and stores it, in batches, so a
 * dashboard that reconnects can be sent everything it missed. Offsets are assigned synchronously in
 * broadcast order; `flush()` resolves once everything assigned so far is stored.
 */
export class EventLog {
  private last: number;
  private pending: StoredEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly store: Store, private readonly logger: Logger, last: number) {
    this.last = last;
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
    this.pending.push({ offset, text, createdAt: Date.now() });
    if (this.pending.length >= BATCH_MAX_EVENTS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_WINDOW_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.writing;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() =>
      this.store.appendEvents(batch).catch((err: unknown) => this.logger.error({ err, events: batch.length }, 'storing events failed')),
    );
    return this.writing;
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
