import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PurgeCounts, Store } from '../ports/store.js';

export interface RetentionOptions {
  outputRetentionMs: number;
  auditRetentionMs: number;
  eventRetentionMs: number;
  purgeIntervalMs: number;
}

/**
 * Rows of each kind one store call may delete. A batch of output rows (~10 KB each) takes
 * milliseconds, and live traffic runs between batches: the embedded store is synchronous, so one
 * DELETE of everything that expired (an hour of busy output is hundreds of thousands of rows)
 * would stall every dashboard and agent until it finished.
 */
export const PURGE_BATCH_ROWS = 256;

/** Applies the retention settings now and then periodically; see docs/delivery.md for what it means to a reader. */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly store: Store, private readonly options: RetentionOptions, private readonly logger: Logger) {}

  start(): void {
    void this.purge();
    this.timer = setInterval(() => void this.purge(), this.options.purgeIntervalMs);
    this.timer.unref();
  }

  /** Deletes everything older than its retention at `now`, in batches; resolves when done (or stopped). */
  purge(now = Date.now()): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const removed = await this.purgeAll(now);
        if (removed.output + removed.trace + removed.audit + removed.events > 0) this.logger.info({ removed }, 'retention purge');
      } catch (err) {
        this.logger.error({ err }, 'retention purge failed');
      }
    });
    return this.running;
  }

  /** Stops the timer and a purge in progress (after its current batch). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async purgeAll(now: number): Promise<PurgeCounts> {
    const cutoffs = {
      outputBefore: now - this.options.outputRetentionMs,
      auditBefore: now - this.options.auditRetentionMs,
      eventsBefore: now - this.options.eventRetentionMs,
    };
    const total: PurgeCounts = { output: 0, trace: 0, audit: 0, events: 0 };
    while (!this.stopped) {
      const batch = await this.store.purge(cutoffs, PURGE_BATCH_ROWS);
      total.output += batch.output;
      total.trace += batch.trace;
      total.audit += batch.audit;
      total.events += batch.events;
      if (Math.max(batch.output, batch.trace, batch.audit, batch.events) < PURGE_BATCH_ROWS) break;
      // A macrotask, not just a microtask: sockets are read and written before the next batch.
      await nextTurn();
    }
    return total;
  }
}
