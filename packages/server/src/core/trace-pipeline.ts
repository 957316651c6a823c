import { toAgent } from '@onsembl/protocol';
import type { Logger } from 'pino';
import type { Store, TraceRecord } from '../ports/store.js';
import { BatchWriter } from './batch-writer.js';
import type { AgentLink } from './registry.js';

/** Trace events wait as long as output chunks do to share a store transaction (see OutputPipeline). */
const BATCH_WINDOW_MS = 10;
const BATCH_MAX_RECORDS = 256;

/**
 * What to do with a trace event that arrived: `new` is broadcast and stored; `resent` is one a
 * failed store write lost, sent again after the agent reconnected: stored, not broadcast again
 * (dashboards already had it); `duplicate` is dropped.
 */
export type TraceVerdict = 'new' | 'resent' | 'duplicate';

/** The trace delivery state of one command. */
interface CommandTrace {
  /** Highest sequence accepted. */
  received: number;
  /** Highest sequence acknowledged: every event accepted up to it is stored. */
  acked: number;
  /** Sequences a failed store write lost and that are not stored again yet: acks stay below the lowest. */
  lost: Set<number>;
  /** The connection the loss happened on; the first event on a newer one tells what the agent still holds. */
  lostOn: AgentLink | undefined;
  /** Sequence of the newest usage event accepted (its totals are the command's). */
  usageSequence: number;
}

function lowest(values: Set<number>): number {
  let min = Infinity;
  for (const v of values) if (v < min) min = v;
  return min;
}

/**
 * Stores the trace events of AI runs in batches, one store transaction per batch, and tells each
 * agent with trace:ack how far its trace is stored, only after the write. Kept apart from output so
 * that neither waits for the other's writes; same window, same ordering guarantees.
 *
 * A failed write is never acknowledged. Its events are remembered as lost: acks stop below them, the
 * agent is asked to reconnect (`onFailure`), resends everything unacknowledged, and the lost events
 * are stored again without being broadcast twice.
 */
export class TracePipeline {
  private readonly commands = new Map<string, CommandTrace>();
  private readonly writer: BatchWriter<{ record: TraceRecord; link: AgentLink }>;

  constructor(
    store: Store,
    private readonly logger: Logger,
    /** Called once per failed batch with the commands whose events it lost. */
    onFailure: (commandIds: string[]) => void,
  ) {
    this.writer = new BatchWriter(async (batch) => {
      try {
        await store.appendTrace(batch.map((b) => b.record));
      } catch (err) {
        logger.error({ err, events: batch.length }, 'storing trace events failed');
        for (const { record, link } of batch) {
          const state = this.commands.get(record.commandId);
          if (!state) continue;
          state.lost.add(record.sequence);
          state.lostOn = link;
        }
        onFailure([...new Set(batch.map((b) => b.record.commandId))]);
        return;
      }
      this.acknowledge(batch);
    }, { windowMs: BATCH_WINDOW_MS, maxItems: BATCH_MAX_RECORDS });
  }

  private acknowledge(batch: ReadonlyArray<{ record: TraceRecord; link: AgentLink }>): void {
    const top = new Map<string, { link: AgentLink; sequence: number }>();
    for (const { record, link } of batch) {
      const state = this.commands.get(record.commandId);
      if (!state) continue;
      if (state.lost.size > 0) state.lost.delete(record.sequence);
      const seen = top.get(record.commandId);
      if (!seen || record.sequence > seen.sequence) top.set(record.commandId, { link, sequence: record.sequence });
    }
    for (const [commandId, { link, sequence }] of top) {
      const state = this.commands.get(commandId) as CommandTrace;
      const upTo = state.lost.size === 0 ? sequence : Math.min(sequence, lowest(state.lost) - 1);
      if (upTo <= state.acked) continue;
      state.acked = upTo;
      link.send(toAgent('trace:ack', { commandId, sequence: upTo }));
    }
  }

  /** Starts tracking a command; `storedSequence` is what the store already holds (after a restart). */
  open(commandId: string, storedSequence = 0): void {
    if (this.commands.has(commandId)) return;
    this.commands.set(commandId, { received: storedSequence, acked: storedSequence, lost: new Set(), lostOn: undefined, usageSequence: 0 });
  }

  forget(commandId: string): void {
    this.commands.delete(commandId);
  }

  /** Decides what to do with an event; a `new` one counts as received from here on. */
  accept(commandId: string, sequence: number, isUsage: boolean, link: AgentLink): TraceVerdict {
    const state = this.commands.get(commandId);
    if (!state) return 'duplicate';
    if (state.lost.size > 0 && state.lostOn !== link) {
      // First event on a newer connection: the agent resends oldest first, so a lost event below it
      // is gone from the agent too (dropped past its unacknowledged limit) and is not waited for.
      state.lostOn = link;
      const gone = [...state.lost].filter((s) => s < sequence);
      if (gone.length > 0) {
        this.logger.warn({ commandId, events: gone.length }, 'trace events lost by a failed store write were not resent');
        for (const s of gone) state.lost.delete(s);
      }
    }
    if (sequence > state.received) {
      if (sequence !== state.received + 1) {
        // The agent dropped events past its unacknowledged limit (it says so with a notice).
        this.logger.warn({ commandId, expected: state.received + 1, got: sequence }, 'trace sequence gap');
      }
      state.received = sequence;
      if (isUsage) state.usageSequence = sequence;
      return 'new';
    }
    if (state.lost.has(sequence)) return 'resent';
    // Already stored, or waiting in a batch whose write will acknowledge it.
    if (sequence <= state.acked) link.send(toAgent('trace:ack', { commandId, sequence: state.acked }));
    return 'duplicate';
  }

  /** Whether a resent usage event is the command's newest one (so its totals are to be stored). */
  isNewestUsage(commandId: string, sequence: number): boolean {
    return this.commands.get(commandId)?.usageSequence === sequence;
  }

  enqueue(record: TraceRecord, link: AgentLink): void {
    this.writer.add({ record, link });
  }

  /** Highest sequence accepted for a command (0 when none). */
  received(commandId: string): number {
    return this.commands.get(commandId)?.received ?? 0;
  }

  /** Whether events of this command were lost by a failed write and are not stored again yet. */
  hasLost(commandId: string): boolean {
    return (this.commands.get(commandId)?.lost.size ?? 0) > 0;
  }

  /** Writes what is pending; resolves when everything enqueued so far has been written (or failed). */
  flush(): Promise<void> {
    return this.writer.flush();
  }
}
