import type { Logger } from 'pino';
import type { AuditEntry, Store } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';

/**
 * Who did what: authentication failures, connections, requests, interrupts, emergency stops.
 * Entries are written in small batches; a failed write is logged, never thrown at the caller.
 */
export class AuditLog {
  private readonly writer: BatchWriter<AuditEntry>;

  constructor(store: Store, logger: Logger) {
    this.writer = new BatchWriter(
      (batch) => store.appendAudit(batch).catch((err: unknown) => logger.error({ err, entries: batch.length }, 'audit write failed')),
      { windowMs: 50, maxItems: 500 },
    );
  }

  record(entry: Omit<AuditEntry, 'at'>): void {
    this.writer.add({ at: Date.now(), ...entry });
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }
}
