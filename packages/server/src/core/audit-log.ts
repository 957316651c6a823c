import type { Logger } from 'pino';
import type { AuditEntry, Store } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';

/** Audit entries that may wait for a failing store before new ones are dropped (and counted in the log). */
const MAX_UNSTORED = 10_000;

/**
 * Who did what: authentication failures, connections, requests, interrupts, emergency stops.
 * Entries are written in small batches; a failed write is retried, never thrown at the caller.
 */
export class AuditLog {
  private readonly writer: BatchWriter<AuditEntry>;
  private unstored = 0;
  private dropped = 0;

  constructor(store: Store, private readonly logger: Logger) {
    // Retried until stored, like every write (BatchWriter); while the store is down at most
    // MAX_UNSTORED entries wait, so a flood of failed logins cannot grow memory without end.
    this.writer = new BatchWriter(async (batch) => {
      await store.appendAudit(batch);
      this.unstored -= batch.length;
    }, { windowMs: 50, maxItems: 500 });
  }

  record(entry: Omit<AuditEntry, 'at'>): void {
    if (this.unstored >= MAX_UNSTORED) {
      if (this.dropped++ % 1_000 === 0) this.logger.error({ dropped: this.dropped, entry }, 'audit entries dropped: the store is not taking them');
      return;
    }
    this.unstored++;
    this.writer.add({ at: Date.now(), ...entry });
  }

  abandon(): Promise<number> {
    return this.writer.abandon();
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
