import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { toDashboard } from '@onsembl/protocol';
import type { OutputMeta } from '../core/broadcaster.js';
import { noCounters, SocketRole, typeOfText, type ServerCounters } from '../core/counters.js';
import { textFrame } from './frame-options.js';
import { isFramed, joinedRun, payloadOf, sharedMessage, type SharedMessage } from './shared-message.js';
import { cancelFlush, scheduleFlush, type Flushable } from './turn.js';

interface Item {
  message: SharedMessage;
  output: OutputMeta | undefined;
}

/** Holes (dropped output) tolerated in a queue before it is compacted. */
const COMPACT_MIN_HOLES = 1024;

export interface OutboxOptions {
  /**
   * Output bytes kept for a dashboard whose socket is backed up, before the oldest chunks are
   * dropped (spec: "Maximum buffer size: 100KB").
   */
  maxPendingOutputBytes: number;
  /**
   * Output bytes that may arrive within one event-loop turn for a dashboard that is keeping up,
   * before the oldest are dropped anyway: the bound on a burst (see `push`).
   */
  maxBurstOutputBytes: number;
  /** Everything pending (output and control) past which the dashboard is hopeless and is closed. */
  maxPendingBytes: number;
  /** Bytes handed to the socket but not yet written, past which we stop handing more. */
  socketHighWaterBytes: number;
  onOverflow: () => void;
  /** GET /metrics: messages, bytes, drops and gap markers, counted per push, flush and drop run. */
  counters?: ServerCounters;
}

/**
 * The send side of one dashboard socket. Messages wait here, not in the kernel, so that when the
 * dashboard is slow the oldest output can be dropped (and the dashboard told, with output:gap) while
 * other dashboards and the agent carry on. Writes are corked per event-loop turn: one syscall for
 * many messages.
 */
export class DashboardOutbox implements Flushable {
  private queue: Array<Item | undefined> = [];
  private head = 0;
  /** Dropped slots (undefined) between head and the end of the queue. */
  private holes = 0;
  /** Index from which dropOldestOutput looks for output to drop. */
  private scanFrom = 0;
  private pendingOutputBytes = 0;
  private pendingBytes = 0;
  private waitingForDrain = false;
  /** Messages handed to ws for deflating and not yet written by it (see `write`). */
  private deflating = 0;
  private drainWaiters: Array<() => void> = [];
  private closed = false;
  /** commandId → the first dropped sequence and the agent, until the gap marker is sent. */
  private readonly gaps = new Map<string, { agentId: string; from: number; next: number }>();
  private readonly socket: Socket | undefined;
  private readonly counters: ServerCounters;

  constructor(private readonly ws: WebSocket, private readonly options: OutboxOptions) {
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
    this.counters = options.counters ?? noCounters;
  }

  /** A message for this dashboard alone (a reply, a replayed event). */
  push(text: string, output?: OutputMeta): void {
    // Broadcasts are counted once for every dashboard where they fan out (Broadcaster).
    if (!this.closed) this.counters.sent(SocketRole.dashboard, typeOfText(text));
    this.enqueue(sharedMessage(text), output);
  }

  /** A live broadcast: every dashboard is handed the same text this turn (see joinedRun). */
  pushBroadcast(text: string, output?: OutputMeta): void {
    this.enqueue(sharedMessage(text, true), output);
  }

  private enqueue(message: SharedMessage, output: OutputMeta | undefined): void {
    if (this.closed) return;
    const bytes = message.bytes.length;
    this.queue.push({ message, output });
    this.pendingBytes += bytes;
    if (output) {
      this.pendingOutputBytes += bytes;
      // Only a dashboard whose socket is backed up is slow. One that is keeping up can still be
      // handed a burst within one turn (a turn takes in up to its budget of agent output, see
      // turn.ts), which the flush at the end of the turn writes out; dropping it at 100 KB lost
      // output for dashboards that were reading (gap markers at fan-out to one).
      const limit = this.waitingForDrain ? this.options.maxPendingOutputBytes : this.options.maxBurstOutputBytes;
      if (this.pendingOutputBytes > limit) this.dropOldestOutput(limit);
    }
    if (this.pendingBytes > this.options.maxPendingBytes) {
      this.close();
      this.options.onOverflow();
      return;
    }
    if (!this.waitingForDrain) scheduleFlush(this);
  }

  /**
   * Drops the oldest output until what is pending fits. Dropped slots become holes; `scanFrom`
   * remembers where the last drop stopped (nothing droppable lies before it), and holes are
   * compacted away once they outnumber the live items. Without both, a dashboard stalled for an
   * hour while an agent floods would make every push rescan millions of holes and keep them all.
   */
  private dropOldestOutput(limit: number): void {
    let i = Math.max(this.head, this.scanFrom);
    const holesBefore = this.holes;
    for (; i < this.queue.length && this.pendingOutputBytes > limit; i++) {
      const item = this.queue[i];
      if (!item?.output) continue;
      this.queue[i] = undefined;
      this.holes++;
      this.pendingOutputBytes -= item.message.bytes.length;
      this.pendingBytes -= item.message.bytes.length;
      const { commandId, agentId, sequence } = item.output;
      const gap = this.gaps.get(commandId);
      if (gap) gap.next = Math.max(gap.next, sequence + 1);
      else this.gaps.set(commandId, { agentId, from: sequence, next: sequence + 1 });
    }
    this.scanFrom = i;
    this.counters.outputDropped(this.holes - holesBefore);
    if (this.holes > COMPACT_MIN_HOLES && this.holes * 2 > this.queue.length - this.head) this.compact();
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
   * Hands everything queued to the socket in one write (the turn's joined broadcasts, or a corked
   * run of messages), then waits for 'drain' if the kernel did not take it all. The high-water mark
   * is checked before corking, not during: while corked every byte counts in bufferedAmount, so
   * checking inside the loop capped each dashboard at one high-water mark per turn whatever the
   * kernel would have taken (fan-out to many dashboards fell behind and dropped).
   */
  flush(): void {
    if (this.closed || this.waitingForDrain) return;
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > this.options.socketHighWaterBytes) {
      this.waitForDrain();
      this.dropOldestOutput(this.options.maxPendingOutputBytes);
      return;
    }
    if (!this.writeJoined()) this.writeEach();
    // Uncorked, bufferedAmount is what the kernel did not take.
    if (ws.bufferedAmount > this.options.socketHighWaterBytes) this.waitForDrain();
    else this.resolveDrainWaiters();
  }

  /**
   * The common case: nothing dropped, nothing private, just this turn's broadcasts, written as the
   * one Buffer every such dashboard shares.
   */
  private writeJoined(): boolean {
    if (!this.socket || this.holes > 0 || this.gaps.size > 0 || this.deflating > 0) return false;
    const bytes = joinedRun(this.queue, this.head);
    if (!bytes) return false;
    this.socket.write(bytes);
    this.counters.bytesSent(SocketRole.dashboard, bytes.length);
    this.emptyQueue();
    this.pendingBytes = 0;
    this.pendingOutputBytes = 0;
    return true;
  }

  private writeEach(): void {
    this.socket?.cork();
    let written = 0;
    try {
      while (this.head < this.queue.length) {
        const item = this.queue[this.head];
        this.queue[this.head++] = undefined;
        if (!item) {
          this.holes--;
          continue;
        }
        this.pendingBytes -= item.message.bytes.length;
        if (item.output) {
          this.pendingOutputBytes -= item.message.bytes.length;
          this.sendGapBefore(item.output);
        } else if (this.gaps.size > 0) {
          // A status (say, the command's final one) must not overtake the news of what was dropped.
          this.sendAllGaps();
        }
        this.write(item.message);
        written += item.message.bytes.length;
      }
      this.emptyQueue();
      // Output dropped with nothing of that command left to send: say so now.
      this.sendAllGaps();
    } finally {
      this.socket?.uncork();
      this.counters.bytesSent(SocketRole.dashboard, written);
    }
  }

  private emptyQueue(): void {
    this.queue = [];
    this.head = 0;
    this.holes = 0;
    this.scanFrom = 0;
  }

  /**
   * A framed message goes straight to the socket, unless ws still holds a message it is deflating
   * (it writes that one when zlib is done, and anything sent meanwhile waits behind it in ws's
   * queue): then ws.send keeps the order.
   */
  private write(message: SharedMessage): void {
    if (isFramed(message) && this.deflating === 0 && this.socket) {
      this.socket.write(message.bytes);
      return;
    }
    const payload = payloadOf(message);
    // A Buffer would go out as a binary frame unless told otherwise; these are JSON text.
    const options = textFrame(payload.length);
    if (!options.compress) {
      this.ws.send(payload, options);
      return;
    }
    this.deflating++;
    this.ws.send(payload, options, () => this.deflating--);
  }

  private sendGapBefore(output: OutputMeta): void {
    const gap = this.gaps.get(output.commandId);
    if (!gap) return;
    this.gaps.delete(output.commandId);
    this.sendGap(output.commandId, { ...gap, next: output.sequence });
  }

  private sendAllGaps(): void {
    for (const [commandId, gap] of this.gaps) this.sendGap(commandId, gap);
    this.gaps.clear();
  }

  private sendGap(commandId: string, gap: { agentId: string; from: number; next: number }): void {
    const marker = toDashboard('output:gap', {
      commandId, agentId: gap.agentId, fromSequence: gap.from, nextSequence: gap.next,
    });
    const text = JSON.stringify(marker);
    this.ws.send(text, textFrame(0));
    this.counters.gapSent();
    this.counters.sent(SocketRole.dashboard, 'output:gap');
    this.counters.bytesSent(SocketRole.dashboard, text.length);
  }

  /**
   * Resumes on the socket's 'drain', with a short poll as a fallback: bytes still inside ws's deflate
   * queue are counted in bufferedAmount but never make the TCP socket emit 'drain'.
   */
  private waitForDrain(): void {
    this.waitingForDrain = true;
    const resume = () => {
      if (!this.waitingForDrain) return;
      this.waitingForDrain = false;
      clearTimeout(timer);
      this.socket?.off('drain', resume);
      scheduleFlush(this);
    };
    const timer = setTimeout(resume, 25);
    this.socket?.once('drain', resume);
  }

  /** Bytes waiting in this outbox (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Resolves once everything queued has been handed to the socket and the socket's own buffer is
   * low again (or the outbox closed): the flow control of a replay, which must not be dropped.
   */
  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      scheduleFlush(this);
    });
  }

  private resolveDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  close(): void {
    this.resolveDrainWaiters();
    this.closed = true;
    this.emptyQueue();
    this.gaps.clear();
    cancelFlush(this);
  }
}
