import { toAgent } from '@onsembl/protocol';
import type { StoredOutputChunk, Store } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';
import type { AgentLink } from './registry.js';

/**
 * How long a chunk may wait for others to share its store transaction. Chunks arrive one per
 * event-loop turn (each agent frame is read, and inflated, on its own), so batching per turn wrote
 * one transaction per chunk, and under one flooding agent those commits were a large share of the
 * server's time (docs/performance-log.md). 10 ms is far below the agent's own 50 ms batch window and only
 * delays the output:ack, which frees the agent's memory, not what dashboards see.
 */
const BATCH_WINDOW_MS = 10;
/** A batch this large is written at once rather than waiting for the window to end. */
const BATCH_MAX_CHUNKS = 256;

/**
 * Stores output chunks in batches (one transaction per batch, not one per chunk) and acknowledges
 * each command's highest stored sequence to its agent once the batch is written, so the agent may
 * forget only what is stored. A failed write is retried until it succeeds (BatchWriter); meanwhile
 * nothing after it is acknowledged, and the agent keeps its output (docs/delivery.md).
 */
export class OutputPipeline {
  private readonly writer: BatchWriter<{ chunk: StoredOutputChunk; link: AgentLink }>;

  constructor(
    store: Store,
    /**
     * Sends an acknowledgement. Several nodes defer it until the output events are committed too:
     * a node that died between the two would otherwise leave chunks the agent forgot and no
     * dashboard was shown.
     */
    private readonly acknowledgeWith: (send: () => void) => void = (send) => send(),
  ) {
    this.writer = new BatchWriter(async (batch) => {
      await store.appendOutput(batch.map((b) => b.chunk));
      const acks = new Map<string, { link: AgentLink; sequence: number }>();
      for (const { chunk, link } of batch) acks.set(chunk.commandId, { link, sequence: chunk.sequence });
      this.acknowledgeWith(() => {
        for (const [commandId, { link, sequence }] of acks) link.send(toAgent('output:ack', { commandId, sequence }));
      });
    }, { windowMs: BATCH_WINDOW_MS, maxItems: BATCH_MAX_CHUNKS });
  }

  enqueue(chunk: StoredOutputChunk, link: AgentLink): void {
    this.writer.add({ chunk, link });
  }

  /**
   * Acknowledges a sequence the pipeline already took (a resend) once everything taken so far is
   * stored: an ack straight away could cover chunks still waiting for, or retrying, their write.
   */
  acknowledgeWhenStored(link: AgentLink, commandId: string, sequence: number): void {
    void this.writer.flush().then(() => this.acknowledgeWith(() => link.send(toAgent('output:ack', { commandId, sequence }))));
  }

  /** Writes what is pending; resolves when everything enqueued so far is stored. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Shutdown with the store down: stops retrying; resolves with how many chunks were not stored. */
  abandon(): Promise<number> {
    return this.writer.abandon();
  }
}
