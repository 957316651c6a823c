import type { ServerToDashboardPayloads } from '@onsembl/protocol';
import type { OutputMeta } from '../core/broadcaster.js';
import { joinedRun, type SharedMessage } from './shared-message.js';

/** What an output:gap marker says: this dashboard was not sent `fromSequence` up to (not including) `nextSequence`. */
export type OutputGap = ServerToDashboardPayloads['output:gap'];

export interface BacklogLimits {
  /**
   * Output bytes kept for a dashboard whose socket is backed up, before the oldest chunks are
   * dropped (spec: "Maximum buffer size: 100KB").
   */
  maxPendingOutputBytes: number;
  /**
   * Output bytes that may arrive within one event-loop turn for a dashboard that is keeping up,
   * before the oldest are dropped anyway: the bound on a burst.
   */
  maxBurstOutputBytes: number;
  /** Everything pending (output and control) past which the dashboard is hopeless (`overflowing`). */
  maxPendingBytes: number;
}

interface Item {
  message: SharedMessage;
  output: OutputMeta | undefined;
}

/** Holes (dropped output) tolerated in a queue before it is compacted. */
const COMPACT_MIN_HOLES = 1024;

/**
 * The messages waiting for one dashboard's socket, and the bookkeeping of a slow dashboard: which
 * output is dropped when it passes the limits (the oldest chunks; control messages never), and the
 * output:gap markers that say so, each placed before the next chunk of its command or before the
 * next control message, whichever comes first. Knows nothing of sockets: DashboardOutbox says when
 * the socket is backed up and writes what `drain` hands it.
 */
export class OutboxBacklog {
  private queue: Array<Item | undefined> = [];
  private head = 0;
  /** Dropped slots (undefined) between head and the end of the queue. */
  private holes = 0;
  /** Index from which dropOldestOutput looks for output to drop. */
  private scanFrom = 0;
  private outputBytes = 0;
  private bytes = 0;
  /** commandId → the first dropped sequence and the agent, until the gap marker is handed out. */
  private readonly gaps = new Map<string, { agentId: string; from: number; next: number }>();

  constructor(private readonly limits: BacklogLimits) {}

  /** Bytes of every message waiting (dropped ones no longer count). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** Bytes of the output messages waiting. */
  get pendingOutputBytes(): number {
    return this.outputBytes;
  }

  /** Everything pending passed `maxPendingBytes`: the dashboard is hopeless and should be closed. */
  get overflowing(): boolean {
    return this.bytes > this.limits.maxPendingBytes;
  }

  /** Slots the queue holds, dropped ones included: what compaction keeps bounded. */
  get slots(): number {
    return this.queue.length - this.head;
  }

  /**
   * Queues one message. Output past the allowance drops the oldest output first: the send buffer
   * (`maxPendingOutputBytes`) once the socket is backed up, else the burst allowance. Only a
   * dashboard whose socket is backed up is slow: one that keeps up may be handed a whole turn's
   * burst, which the flush at the end of the turn writes out. Returns the chunks dropped.
   */
  add(message: SharedMessage, output: OutputMeta | undefined, socketBackedUp: boolean): number {
    const bytes = message.bytes.length;
    this.queue.push({ message, output });
    this.bytes += bytes;
    if (!output) return 0;
    this.outputBytes += bytes;
    const limit = socketBackedUp ? this.limits.maxPendingOutputBytes : this.limits.maxBurstOutputBytes;
    return this.outputBytes > limit ? this.dropOldestOutput(limit) : 0;
  }

  /** The socket was found backed up: pending output is cut to the send buffer. Returns the chunks dropped. */
  trimToSendBuffer(): number {
    return this.dropOldestOutput(this.limits.maxPendingOutputBytes);
  }

  /**
   * Drops the oldest output until what is pending fits. Dropped slots become holes; `scanFrom`
   * remembers where the last drop stopped (nothing droppable lies before it), and holes are
   * compacted away once they outnumber the live items. Without both, a dashboard stalled for an
   * hour while an agent floods would make every push rescan millions of holes and keep them all.
   */
  private dropOldestOutput(limit: number): number {
    let i = Math.max(this.head, this.scanFrom);
    const holesBefore = this.holes;
    for (; i < this.queue.length && this.outputBytes > limit; i++) {
      const item = this.queue[i];
      if (!item?.output) continue;
      this.queue[i] = undefined;
      this.holes++;
      this.outputBytes -= item.message.bytes.length;
      this.bytes -= item.message.bytes.length;
      const { commandId, agentId, sequence } = item.output;
      const gap = this.gaps.get(commandId);
      if (gap) gap.next = Math.max(gap.next, sequence + 1);
      else this.gaps.set(commandId, { agentId, from: sequence, next: sequence + 1 });
    }
    this.scanFrom = i;
    const dropped = this.holes - holesBefore;
    if (this.holes > COMPACT_MIN_HOLES && this.holes * 2 > this.queue.length - this.head) this.compact();
    return dropped;
  }

  private compact(): void {
    const live: Item[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const item = this.queue[i];
      if (item) live.push(item);
    }
    this.queue = live;
    this.head = 0;
    this.holes = 0;
    // Only control messages can precede the first output item now: rescanning them is cheap.
    this.scanFrom = 0;
  }

  /**
   * The common case: nothing dropped, nothing private, just this turn's broadcasts, as the one
   * Buffer every such dashboard shares (see joinedRun). Empties the backlog when it answers.
   */
  takeJoinedRun(): Buffer | undefined {
    if (this.holes > 0 || this.gaps.size > 0) return undefined;
    const bytes = joinedRun(this.queue, this.head);
    if (bytes) this.clear();
    return bytes;
  }

  /**
   * Hands every waiting message to `send`, in order, and each gap marker to `sendGap` where it
   * belongs: before the next chunk of its command (up to that chunk), or before any control message
   * (a command's final status must not overtake the news of what was dropped), or at the end for
   * output dropped with nothing of its command left. Leaves the backlog empty.
   */
  drain(send: (message: SharedMessage) => void, sendGap: (gap: OutputGap) => void): void {
    while (this.head < this.queue.length) {
      const item = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (!item) {
        this.holes--;
        continue;
      }
      this.bytes -= item.message.bytes.length;
      if (item.output) {
        this.outputBytes -= item.message.bytes.length;
        this.takeGapBefore(item.output, sendGap);
      } else if (this.gaps.size > 0) {
        this.takeAllGaps(sendGap);
      }
      send(item.message);
    }
    this.emptyQueue();
    this.takeAllGaps(sendGap);
  }

  /** Forgets everything waiting and every gap not yet reported (the dashboard is gone). */
  clear(): void {
    this.emptyQueue();
    this.gaps.clear();
    this.bytes = 0;
    this.outputBytes = 0;
  }

  private emptyQueue(): void {
    this.queue = [];
    this.head = 0;
    this.holes = 0;
    this.scanFrom = 0;
  }

  private takeGapBefore(output: OutputMeta, sendGap: (gap: OutputGap) => void): void {
    const gap = this.gaps.get(output.commandId);
    if (!gap) return;
    this.gaps.delete(output.commandId);
    sendGap({ commandId: output.commandId, agentId: gap.agentId, fromSequence: gap.from, nextSequence: output.sequence });
  }

  private takeAllGaps(sendGap: (gap: OutputGap) => void): void {
    for (const [commandId, gap] of this.gaps) sendGap({ commandId, agentId: gap.agentId, fromSequence: gap.from, nextSequence: gap.next });
    this.gaps.clear();
  }
}
