import { RetryStop, untilDone } from './retry.js';

export interface BatchWriterOptions {
  /** How long an item may wait for others to share its write. */
  windowMs: number;
  /** A batch this large is written at once (and no batch is larger). */
  maxItems: number;
}

/**
 * Collects items and writes them in batches, one store transaction per batch, in order: each batch
 * starts after the previous one was written. A write that throws is retried (retry.ts) until it
 * succeeds, so nothing after it is written, or acknowledged, before it. Whatever arrives while a
 * batch is being written (or retried, the store being down) waits for it and goes out in the next
 * batches, up to `maxItems` each: after an outage the backlog is written in a few large
 * transactions, not in as many small ones as there were flushes meanwhile, so it catches up.
 * `flush()` resolves once everything added so far is written; `abandon()` (shutdown with the store
 * down) gives up.
 */
export class BatchWriter<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Items added so far, and items written (or given up) so far: flush() waits for the count it saw. */
  private added = 0;
  private done = 0;
  /** The count flushes asked for: the loop writes until it is reached. */
  private wanted = 0;
  private loop: Promise<void> | undefined;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly stop = new RetryStop();
  private lost = 0;

  constructor(private readonly write: (batch: T[]) => Promise<void>, private readonly options: BatchWriterOptions) {}

  add(item: T): void {
    this.pending.push(item);
    this.added++;
    if (this.pending.length >= this.options.maxItems) this.request();
    else this.timer ??= setTimeout(() => this.request(), this.options.windowMs);
  }

  flush(): Promise<void> {
    const count = this.added;
    if (this.done >= count) return Promise.resolve();
    const written = new Promise<void>((resolve) => this.waiters.push({ count, resolve }));
    this.request();
    return written;
  }

  /** Asks for everything added so far to be written (the loop, if running, goes on to it). */
  private request(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.wanted = this.added;
    // With nothing pending the loop would end before it started (and stay set): nothing to do.
    if (this.loop === undefined && this.pending.length > 0) this.loop = this.run();
  }

  /** Writes batch after batch until every item a flush asked for is written. */
  private async run(): Promise<void> {
    try {
      while (this.done < this.wanted && this.pending.length > 0) {
        const batch = this.pending.splice(0, this.options.maxItems);
        const size = batch.length;
        if (!(await untilDone(() => this.write(batch), this.stop))) this.lost += size;
        this.done += size;
        this.release();
      }
    } finally {
      this.loop = undefined;
    }
    // Items added during the last write that no flush asked for yet keep their window timer.
  }

  /** Resolves the flushes whose items are all written, oldest first (acknowledgements keep their order). */
  private release(): void {
    while (this.waiters.length > 0 && (this.waiters[0] as { count: number }).count <= this.done) {
      (this.waiters.shift() as { resolve: () => void }).resolve();
    }
  }

  /** Stops retrying; what was not written is dropped. Resolves with how many items that was. */
  async abandon(): Promise<number> {
    this.stop.stop();
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.loop;
    this.lost += this.pending.length;
    this.done += this.pending.length;
    this.pending = [];
    this.release();
    return this.lost;
  }
}
