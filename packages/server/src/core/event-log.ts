import { PROTOCOL_VERSION, type Position } from '@onsembl/protocol';
import type { EventReference, ReadEvent, Store, StoredEvent } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';
import { traceEventText } from './trace-text.js';

/** What sessions need of the event log: positions, resume checks, and reading back (one node's or a cluster's). */
export interface History {
  readonly epoch: string;
  /** The newest position this node delivered (or handed out). */
  readonly head: Position;
  /** Whether every event after `from` can be replayed. */
  canResumeFrom(from: Position): Promise<boolean>;
  /** Resolves once what this node broadcast so far is stored. */
  flush(): Promise<void>;
  /** Events after `afterOffset`, serialised as dashboards receive them. */
  read(afterOffset: number, limit: number): Promise<Array<{ offset: number; text: string }>>;
}

/**
 * Gives every dashboard event the next position {epoch, offset} and stores it, in batches, so a
 * dashboard that reconnects can be sent everything it missed. Offsets are assigned synchronously in
 * broadcast order; `flush()` resolves once everything assigned so far is stored.
 */
export class EventLog implements History {
  private last: number;
  /** Events wait at most 10 ms to share a store transaction, like output chunks do. */
  private readonly writer: BatchWriter<StoredEvent>;

  private constructor(
    private readonly store: Store,
    last: number,
    /** Flushes what references point at (the output and trace pipelines), so a read finds every record. */
    private readonly flushReferenced: () => Promise<void>,
  ) {
    this.last = last;
    // A failed write is retried until it succeeds: a position handed out is never skipped in the store.
    this.writer = new BatchWriter((batch) => store.appendEvents(batch), { windowMs: 10, maxItems: 512 });
  }

  static async open(store: Store, flushReferenced: () => Promise<void>): Promise<EventLog> {
    const { last } = await store.eventBounds();
    return new EventLog(store, last, flushReferenced);
  }

  get epoch(): string {
    return this.store.epoch;
  }

  /** The newest position handed out. */
  get head(): Position {
    return { epoch: this.store.epoch, offset: this.last };
  }

  /** Reserves the next position; the caller records the event's text at it with `record`. */
  next(): Position {
    return { epoch: this.store.epoch, offset: ++this.last };
  }

  record(offset: number, text: string): void {
    this.writer.add({ offset, text, createdAt: Date.now() });
  }

  /** Records a terminal:output event by reference: its chunk is already stored by the output pipeline. */
  recordOutput(offset: number, output: NonNullable<StoredEvent['output']>): void {
    this.writer.add({ offset, text: '', output, createdAt: Date.now() });
  }

  /** Records a trace:event by reference: its record is stored by the trace pipeline. */
  recordTrace(offset: number, trace: EventReference): void {
    this.writer.add({ offset, text: '', trace, createdAt: Date.now() });
  }

  async flush(): Promise<void> {
    await this.flushReferenced();
    await this.writer.flush();
  }

  /**
   * Shutdown with the store down: stops retrying. Resolves with how many events were never stored;
   * if any, the history has holes and must not be resumed (the SQLite store then takes a new epoch).
   */
  abandon(): Promise<number> {
    return this.writer.abandon();
  }

  /**
   * Whether every event after `from` can still be replayed: same history (epoch), not from the
   * future, and not older than what retention kept.
   */
  async canResumeFrom(from: Position): Promise<boolean> {
    if (from.epoch !== this.store.epoch || from.offset > this.last) return false;
    await this.flush();
    const { first } = await this.store.eventBounds();
    return first === 0 ? from.offset === this.last : from.offset >= first - 1;
  }

  /**
   * Events after `afterOffset`, serialised. A trace event whose record is gone (purged, or its store
   * write failed and was never repaired) reads as empty text: there is nothing to send at its offset.
   */
  async read(afterOffset: number, limit: number): Promise<Array<{ offset: number; text: string }>> {
    const events = await this.store.readEvents(afterOffset, limit);
    return events.map((e) => ({ offset: e.offset, text: storedEventText(e, this.store.epoch) }));
  }
}

/** The text of a stored event as dashboards receive it: output and trace events are rebuilt from what they refer to. */
export function storedEventText(event: ReadEvent, epoch: string): string {
  if (event.output) return outputText(event, epoch);
  if (event.trace) return event.traceEvent === undefined ? '' : traceEventText(event.trace, event.traceEvent, { epoch, offset: event.offset });
  return event.text;
}

/** Rebuilds an output event from its stored chunk; a chunk retention already purged becomes a gap marker. */
function outputText(event: ReadEvent, epoch: string): string {
  const { commandId, agentId, sequence, timestamp } = event.output as NonNullable<ReadEvent['output']>;
  const position = { epoch, offset: event.offset };
  const envelope = { version: PROTOCOL_VERSION, timestamp };
  if (!event.chunk) {
    const payload = { commandId, agentId, fromSequence: sequence, nextSequence: sequence + 1 };
    return JSON.stringify({ ...envelope, type: 'output:gap', payload, position });
  }
  const payload = { commandId, agentId, data: event.chunk.data, stream: event.chunk.stream, sequence };
  return JSON.stringify({ ...envelope, type: 'terminal:output', payload, position });
}
