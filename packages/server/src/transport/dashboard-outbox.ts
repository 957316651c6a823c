import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { toDashboard } from '@onsembl/protocol';
import type { OutputMeta } from '../core/broadcaster.js';
import { noCounters, SocketRole, typeOfText, type ServerCounters } from '../core/counters.js';
import { textFrame } from './frame-options.js';
import { OutboxBacklog, type BacklogLimits, type OutputGap } from './outbox-backlog.js';
import { isFramed, payloadOf, sharedMessage, type SharedMessage } from './shared-message.js';
import { cancelFlush, scheduleFlush, type Flushable } from './turn.js';

/** The backlog's limits (see BacklogLimits; past `maxPendingBytes` the dashboard is closed), and the socket's. */
export interface OutboxOptions extends BacklogLimits {
  /** Bytes handed to the socket but not yet written, past which we stop handing more. */
  socketHighWaterBytes: number;
  onOverflow: () => void;
  /** GET /metrics: messages, bytes, drops and gap markers, counted per push, flush and drop run. */
  counters?: ServerCounters;
}

/**
 * The send side of one dashboard socket. Messages wait here (in its OutboxBacklog), not in the
 * kernel, so that when the dashboard is slow the oldest output can be dropped (and the dashboard
 * told, with output:gap) while other dashboards and the agent carry on. This class decides when the
 * socket is backed up and writes; the backlog decides what is dropped and where the gaps go.
 * Writes are corked per event-loop turn: one syscall for many messages.
 */
export class DashboardOutbox implements Flushable {
  private readonly backlog: OutboxBacklog;
  private waitingForDrain = false;
  /** Messages handed to ws for deflating and not yet written by it (see `write`). */
  private deflating = 0;
  private drainWaiters: Array<() => void> = [];
  private closed = false;
  private readonly socket: Socket | undefined;
  private readonly counters: ServerCounters;

  constructor(private readonly ws: WebSocket, private readonly options: OutboxOptions) {
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
    this.counters = options.counters ?? noCounters;
    this.backlog = new OutboxBacklog(options);
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
    this.countDropped(this.backlog.add(message, output, this.waitingForDrain));
    if (this.backlog.overflowing) {
      this.close();
      this.options.onOverflow();
      return;
    }
    if (!this.waitingForDrain) scheduleFlush(this);
  }

  private countDropped(chunks: number): void {
    if (chunks > 0) this.counters.outputDropped(chunks);
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
      this.countDropped(this.backlog.trimToSendBuffer());
      return;
    }
    if (!this.writeJoined()) this.writeEach();
    // Uncorked, bufferedAmount is what the kernel did not take.
    if (ws.bufferedAmount > this.options.socketHighWaterBytes) this.waitForDrain();
    else this.resolveDrainWaiters();
  }

  /** The common case: this turn's broadcasts and nothing else, written as the one Buffer every such dashboard shares. */
  private writeJoined(): boolean {
    if (!this.socket || this.deflating > 0) return false;
    const bytes = this.backlog.takeJoinedRun();
    if (!bytes) return false;
    this.socket.write(bytes);
    this.counters.bytesSent(SocketRole.dashboard, bytes.length);
    return true;
  }

  private writeEach(): void {
    this.socket?.cork();
    let written = 0;
    try {
      this.backlog.drain(
        (message) => {
          this.write(message);
          written += message.bytes.length;
        },
        (gap) => this.sendGap(gap),
      );
    } finally {
      this.socket?.uncork();
      this.counters.bytesSent(SocketRole.dashboard, written);
    }
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

  private sendGap(gap: OutputGap): void {
    const text = JSON.stringify(toDashboard('output:gap', gap));
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
    return this.backlog.pendingBytes;
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
    this.backlog.clear();
    cancelFlush(this);
  }
}
