import type { Logger } from 'pino';
import type { Store } from '../ports/store.js';

export interface RetentionOptions {
  outputRetentionMs: number;
  auditRetentionMs: number;
  eventRetentionMs: number;
  purgeIntervalMs: number;
}

/** Applies the retention settings now and then periodically; see docs/delivery.md for what it means to a reader. */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, private readonly options: RetentionOptions, private readonly logger: Logger) {}

  start(): void {
    void this.purge();
    this.timer = setInterval(() => void this.purge(), this.options.purgeIntervalMs);
    this.timer.unref();
  }

  purge(now = Date.now()): Promise<void> {
    this.running = this.running.then(async () => {
      try {
        const removed = await this.store.purge({
          outputBefore: now - this.options.outputRetentionMs,
          auditBefore: now - this.options.auditRetentionMs,
          eventsBefore: now - this.options.eventRetentionMs,
        });
        if (removed.output + removed.audit + removed.events > 0) this.logger.info({ removed }, 'retention purge');
      } catch (err) {
        this.logger.error({ err }, 'retention purge failed');
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
