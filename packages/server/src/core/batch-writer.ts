import { RetryStop, untilDone } from './retry.js';

export interface BatchWriterOptions {
  /** How long an item may wait for others to share its write. */
  windowMs: number;
  /** A batch this large is written at once. */
  maxItems: number;
}

/**
 * Collects items and writes them in batches, one store transaction per batch, in order: each batch
 * starts after the previous one was written. A write that throws is retried (retry.ts) until it
 * succeeds, so nothing after it is written, or acknowledged, before it. `flush()` resolves once
 * everything added so far is written; `abandon()` (shutdown with the store down) gives up.
 */
export class BatchWriter<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private readonly stop = new RetryStop();
  private lost = 0;

  constructor(private readonly write: (batch: T[]) => Promise<void>, private readonly options: BatchWriterOptions) {}

  add(item: T): void {
    this.pending.push(item);
    if (this.pending.length >= this.options.maxItems) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.windowMs);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.writing;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(async () => {
      if (!(await untilDone(() => this.write(batch), this.stop))) this.lost += batch.length;
    });
    return this.writing;
  }

  /** Stops retrying; what was not written is dropped. Resolves with how many items that was. */
  async abandon(): Promise<number> {
    this.stop.stop();
    clearTimeout(this.timer);
    this.lost += this.pending.length;
    this.pending = [];
    await this.writing;
    return this.lost;
  }
}
