import { toAgent } from '@onsembl/protocol';
import type { Store, TraceRecord } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';
import type { AgentLink } from './registry.js';

/** Trace events wait as long as output chunks do to share a store transaction (see OutputPipeline). */
const BATCH_WINDOW_MS = 10;
const BATCH_MAX_RECORDS = 256;

/** The trace delivery state of one command. */
interface CommandTrace {
  /** Highest sequence accepted. */
  received: number;
  /** Highest sequence acknowledged: every event accepted up to it is stored. */
  acked: number;
}

/**
 * Stores the trace events of AI runs in batches, one store transaction per batch, and tells each
 * agent with trace:ack how far its trace is stored, only after the write. Kept apart from output so
 * that neither waits for the other's writes; same window, same failure policy: a failed write is
 * retried until it succeeds (BatchWriter), and nothing after it is written or acknowledged before
 * it, so the agent keeps every unacknowledged event and resends it after any reconnect.
 */
export class TracePipeline {
  private readonly commands = new Map<string, CommandTrace>();
  private readonly writer: BatchWriter<{ record: TraceRecord; link: AgentLink }>;

  constructor(
    store: Store,
    /** Sends an acknowledgement; several nodes defer it until the events it covers are committed too. */
    private readonly acknowledgeWith: (send: () => void) => void = (send) => send(),
  ) {
    this.writer = new BatchWriter(async (batch) => {
      await store.appendTrace(batch.map((b) => b.record));
      const top = new Map<string, { link: AgentLink; sequence: number }>();
      for (const { record, link } of batch) top.set(record.commandId, { link, sequence: record.sequence });
      for (const [commandId, { link, sequence }] of top) {
        const state = this.commands.get(commandId);
        if (state && sequence > state.acked) state.acked = sequence;
        this.acknowledgeWith(() => link.send(toAgent('trace:ack', { commandId, sequence })));
      }
    }, { windowMs: BATCH_WINDOW_MS, maxItems: BATCH_MAX_RECORDS });
  }

  /** Starts tracking a command; `storedSequence` is what the store already holds (after a restart). */
  open(commandId: string, storedSequence = 0): void {
    if (!this.commands.has(commandId)) this.commands.set(commandId, { received: storedSequence, acked: storedSequence });
  }

  forget(commandId: string): void {
    this.commands.delete(commandId);
  }

  /**
   * Whether an event is new (then it counts as received from here on) or a duplicate. A duplicate
   * already stored is acknowledged at once; one still waiting for its write is acknowledged by it.
   */
  accept(commandId: string, sequence: number, link: AgentLink): 'new' | 'duplicate' {
    const state = this.commands.get(commandId);
    if (!state) return 'duplicate';
    if (sequence > state.received) {
      state.received = sequence;
      return 'new';
    }
    if (sequence <= state.acked) this.acknowledgeWith(() => link.send(toAgent('trace:ack', { commandId, sequence: state.acked })));
    return 'duplicate';
  }

  enqueue(record: TraceRecord, link: AgentLink): void {
    this.writer.add({ record, link });
  }

  /** Highest sequence accepted for a command (0 when none). */
  received(commandId: string): number {
    return this.commands.get(commandId)?.received ?? 0;
  }

  /** Writes what is pending; resolves when everything enqueued so far is stored. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Shutdown with the store down: stops retrying; resolves with how many events were not stored. */
  abandon(): Promise<number> {
    return this.writer.abandon();
  }
}
