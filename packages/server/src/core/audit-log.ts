import type { Logger } from 'pino';
import type { AuditEntry, Store } from '../ports/store.js';

/**
 * Who did what: authentication failures, connections, requests, interrupts, emergency stops.
 * Entries are written in small batches; a failed write is logged, never thrown at the caller.
 */
export class AuditLog {
  private pending: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, private readonly logger: Logger) {}

  record(entry: Omit<AuditEntry, 'at'>): void {
    this.pending.push({ at: Date.now(), ...entry });
    this.timer ??= setTimeout(() => void this.flush(), 50);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.writing;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() =>
      this.store.appendAudit(batch).catch((err: unknown) => this.logger.error({ err, entries: batch.length }, 'audit write failed')),
    );
    return this.writing;
  }
}
