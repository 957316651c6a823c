import { toAgent } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { OutputChunk, Store } from '../ports/store.js';
import type { AgentLink } from './registry.js';

/**
 * Stores output chunks in batches (one transaction per event-loop turn, not one per chunk) and
 * acknowledges each command's highest stored sequence to its agent once the batch is written, so the
 * agent may forget only what is on disk.
 */
export class OutputPipeline {
  private pending: OutputChunk[] = [];
  private acks = new Map<string, { link: AgentLink; sequence: number }>();
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: Store, private readonly logger: Logger) {}

  enqueue(chunk: OutputChunk, link: AgentLink): void {
    this.pending.push(chunk);
    this.acks.set(chunk.commandId, { link, sequence: chunk.sequence });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
  }

  /** Writes what is pending; resolves when everything enqueued so far is stored. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.length === 0) return this.writing;
    const batch = this.pending;
    const acks = this.acks;
    this.pending = [];
    this.acks = new Map();
    this.writing = this.writing.then(async () => {
      try {
        await this.store.appendOutput(batch);
      } catch (err) {
        // Not acknowledged, so the agent keeps the chunks and resends them after its next reconnect.
        this.logger.error({ err, chunks: batch.length }, 'storing output failed');
        return;
      }
      for (const [commandId, { link, sequence }] of acks) link.send(toAgent('output:ack', { commandId, sequence }));
    });
    return this.writing;
  }
}
