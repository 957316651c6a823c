import type { Position, ServerToDashboardMessage } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Coordination, FencedEvent, StopOutcome } from '../../ports/coordination.js';
import type { CommandPatch, CommandRecord, EventReference, Store } from '../../ports/store.js';
import { BatchWriter } from '../batch-writer.js';
import type { OutputMeta } from '../broadcaster.js';
import { storedEventText, type History } from '../event-log.js';
import { traceEventBody } from '../trace-text.js';
import { EventFeed, type EventFeedOptions, type FeedEvent } from './event-feed.js';

/** What a node asks the shared log to commit. */
export interface SharedAppend {
  fence?: FencedEvent['fence'];
  update?: { commandId: string; patch: CommandPatch } | undefined;
  /**
   * A new command stored with the event. Such an event is tried once: if its transaction fails it
   * is taken out of the batch (the rest is retried) and the append rejects (the request is refused).
   */
  create?: CommandRecord | undefined;
  /** An approval's question or decision, written with the event (dropped, with it, when it does not hold). */
  approval?: FencedEvent['approval'];
}

interface Pending {
  event: FencedEvent;
  type: string;
  /** The text without its position (added once the store has numbered it). */
  text: string;
  output: OutputMeta | undefined;
  resolve: (offset: number | undefined) => void;
  /** Set for an event tried once (see SharedAppend.create). */
  reject?: ((err: unknown) => void) | undefined;
}

/** Adds `"position":…` to a serialised message that has none (the store numbers it after it was serialised). */
export function withPosition(text: string, position: Position): string {
  return `${text.slice(0, -1)},"position":${JSON.stringify(position)}}`;
}

/**
 * The event log of a node among several (positions: 'store'): the store numbers events as it
 * commits them, so every node's dashboards see one history. A node commits what it broadcasts in
 * batches (one transaction at a time; what arrives meanwhile shares the next), then hands each
 * committed event to its own feed and to the bus; the feed (EventFeed) orders what comes from
 * every node and fills gaps from the store. A broadcast reaches dashboards only once it is stored.
 */
export class SharedEventLog implements History {
  readonly feed: EventFeed;
  private readonly writer: BatchWriter<Pending>;
  private fencedOutListener: ((fence: NonNullable<FencedEvent['fence']>) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly coordination: Coordination,
    start: number,
    /** Flushes what references point at (output, trace), so a reader finds every record an event refers to. */
    flushReferenced: () => Promise<void>,
    /** Each committed event, serialised with its position (the broadcaster publishes it). */
    private readonly onCommitted: (event: FeedEvent) => void,
    deliver: (event: FeedEvent) => void,
    feedOptions: EventFeedOptions,
    logger: Logger,
  ) {
    this.feed = new EventFeed(start, (after, limit) => this.readFeed(after, limit), async () => (await store.eventBounds()).last, deliver, feedOptions, logger);
    // No window: a batch is written as soon as the one before it committed, so latency stays one
    // commit when idle, and under load everything that arrived during a commit shares the next.
    this.writer = new BatchWriter(async (batch) => {
      await flushReferenced();
      let offsets: Array<number | undefined>;
      try {
        offsets = await coordination.commitEvents(batch.map((p) => p.event));
      } catch (err) {
        // Requests are refused rather than kept waiting; everything else is retried (BatchWriter).
        for (let i = batch.length - 1; i >= 0; i--) {
          const p = batch[i] as Pending;
          if (p.reject) {
            batch.splice(i, 1);
            p.reject(err);
          }
        }
        if (batch.length === 0) return;
        throw err;
      }
      batch.forEach((p, i) => {
        const offset = offsets[i];
        p.resolve(offset);
        if (offset === undefined) {
          // The fence no longer held: another node claimed the agent since this node did.
          logger.warn({ type: p.type, fence: p.event.fence }, 'a write was refused: another node owns this agent now (fenced out)');
          // Output and trace are acknowledged to the agent once this batch is done: told first.
          if (p.event.fence && (p.output !== undefined || p.type === 'trace:event')) this.fencedOutListener?.(p.event.fence);
          return;
        }
        const event: FeedEvent = { offset, type: p.type, text: withPosition(p.text, { epoch: store.epoch, offset }), output: p.output };
        onCommitted(event);
        this.feed.push(event);
      });
    }, { windowMs: 0, maxItems: 512 });
  }

  /**
   * Called, before the appends of its batch resolve, for each output or trace event the store
   * refused because its fence no longer held: the acknowledgement waiting on the batch must not
   * reach the agent (its chunks would be stored yet never shown), so the agent must be let go first.
   */
  whenFencedOut(listener: (fence: NonNullable<FencedEvent['fence']>) => void): void {
    this.fencedOutListener = listener;
  }

  get epoch(): string {
    return this.store.epoch;
  }

  get head(): Position {
    return { epoch: this.store.epoch, offset: this.feed.head };
  }

  /** Commits a message; resolves with its offset, or undefined when its fence no longer held. */
  append(message: ServerToDashboardMessage, options: SharedAppend = {}): Promise<number | undefined> {
    const text = JSON.stringify(message);
    const event: FencedEvent = { createdAt: Date.now(), text, fence: options.fence, update: options.update, create: options.create, approval: options.approval };
    let output: OutputMeta | undefined;
    if (message.type === 'terminal:output') {
      const p = message.payload;
      output = { commandId: p.commandId, agentId: p.agentId, sequence: p.sequence };
      event.text = '';
      event.output = { ...output, timestamp: message.timestamp };
    }
    return this.enqueue(event, message.type, text, output, options.create !== undefined);
  }

  /** Commits a trace:event, recorded by reference to its stored record like on one node. */
  appendTrace(ref: EventReference, eventText: string, fence: FencedEvent['fence']): Promise<number | undefined> {
    const text = traceEventBody(ref, eventText);
    return this.enqueue({ createdAt: Date.now(), text: '', trace: ref, fence }, 'trace:event', text, undefined);
  }

  /**
   * An emergency stop with the messages `announce` makes of what it reached, committed in the
   * stop's own transaction (Coordination.emergencyStop): every request stored after it is numbered
   * after them. Rejects when the store failed (nothing was stopped then, nobody was told).
   */
  async commitStop(patch: CommandPatch, announce: (outcome: StopOutcome) => ServerToDashboardMessage[]): Promise<StopOutcome> {
    let messages: ServerToDashboardMessage[] = [];
    const { offsets, ...outcome } = await this.coordination.emergencyStop(patch, (reached) => {
      messages = announce(reached);
      return messages.map((m) => ({ createdAt: Date.now(), text: JSON.stringify(m) }));
    });
    messages.forEach((m, i) => {
      const offset = offsets[i] as number;
      const event: FeedEvent = { offset, type: m.type, text: withPosition(JSON.stringify(m), { epoch: this.store.epoch, offset }), output: undefined };
      this.onCommitted(event);
      this.feed.push(event);
    });
    return outcome;
  }

  private enqueue(event: FencedEvent, type: string, text: string, output: OutputMeta | undefined, once = false): Promise<number | undefined> {
    return new Promise((resolve, reject) => this.writer.add({ event, type, text, output, resolve, reject: once ? reject : undefined }));
  }

  async flush(): Promise<void> {
    await this.writer.flush();
  }

  abandon(): Promise<number> {
    return this.writer.abandon();
  }

  /**
   * A position another node handed out is resumable here too: same epoch, committed (at most the
   * store's newest), within retention. The feed first catches up to it, so the replay's hand-over
   * to live events starts past it.
   */
  async canResumeFrom(from: Position): Promise<boolean> {
    if (from.epoch !== this.store.epoch) return false;
    await this.flush();
    const { first, last } = await this.store.eventBounds();
    if (from.offset > last) return false;
    await this.feed.catchUp(from.offset);
    return first === 0 ? from.offset === last : from.offset >= first - 1;
  }

  async read(afterOffset: number, limit: number): Promise<Array<{ offset: number; text: string }>> {
    return (await this.readFeed(afterOffset, limit)).map(({ offset, text }) => ({ offset, text }));
  }

  private async readFeed(afterOffset: number, limit: number): Promise<FeedEvent[]> {
    const events = await this.store.readEvents(afterOffset, limit);
    return events.map((e) => {
      const position = { epoch: this.store.epoch, offset: e.offset };
      if (e.output || e.trace) {
        const text = storedEventText(e, this.store.epoch);
        const output = e.output && e.chunk ? { commandId: e.output.commandId, agentId: e.output.agentId, sequence: e.output.sequence } : undefined;
        return { offset: e.offset, type: e.trace ? 'trace:event' : e.chunk ? 'terminal:output' : 'output:gap', text, output };
      }
      const type = /"type":"([^"]+)"/.exec(e.text)?.[1] ?? '';
      return { offset: e.offset, type, text: withPosition(e.text, position), output: undefined };
    });
  }
}
