export interface BatchWriterOptions {
  /** How long an item may wait for others to share its write. */
  windowMs: number;
  /** A batch this large is written at once. */
  maxItems: number;
}

/**
 * Collects items and writes them in batches, one store transaction per batch, in order: each batch
 * starts after the previous one finished. `flush()` resolves once everything added so far is written.
 * The write function handles its own failures (it is the one that knows whether to retry or log).
 */
export class BatchWriter<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

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
    this.writing = this.writing.then(() => this.write(batch));
    return this.writing;
  }
}
