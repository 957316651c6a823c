import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { toDashboard } from '@onsembl/protocol';
import type { OutputMeta } from '../core/broadcaster.js';

interface Item {
  text: string;
  bytes: number;
  output: OutputMeta | undefined;
}

export interface OutboxOptions {
  /** Pending output bytes kept for a slow dashboard before the oldest chunks are dropped (spec: 100KB). */
  maxPendingOutputBytes: number;
  /** Everything pending (output and control) past which the dashboard is hopeless and is closed. */
  maxPendingBytes: number;
  /** Bytes handed to the socket but not yet written, past which we stop handing more. */
  socketHighWaterBytes: number;
  onOverflow: () => void;
}

/** Every outbox with something to send; flushed once at the end of the event-loop turn. */
const dirty = new Set<Outbox>();
let flushScheduled = false;
function scheduleFlush(outbox: Outbox): void {
  dirty.add(outbox);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    const batch = [...dirty];
    dirty.clear();
    for (const o of batch) o.flush();
  });
}

/**
 * The send side of one dashboard socket. Messages wait here, not in the kernel, so that when the
 * dashboard is slow the oldest output can be dropped (and the dashboard told, with output:gap) while
 * other dashboards and the agent carry on. Writes are corked per event-loop turn: one syscall for
 * many messages.
 */
export class Outbox {
  private queue: Array<Item | undefined> = [];
  private head = 0;
  private pendingOutputBytes = 0;
  private pendingBytes = 0;
  private waitingForDrain = false;
  private closed = false;
  /** commandId → the first dropped sequence and the agent, until the gap marker is sent. */
  private readonly gaps = new Map<string, { agentId: string; from: number; next: number }>();
  private readonly socket: Socket | undefined;

  constructor(private readonly ws: WebSocket, private readonly options: OutboxOptions) {
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
  }

  push(text: string, output?: OutputMeta): void {
    if (this.closed) return;
    const bytes = text.length;
    this.queue.push({ text, bytes, output });
    this.pendingBytes += bytes;
    if (output) {
      this.pendingOutputBytes += bytes;
      if (this.pendingOutputBytes > this.options.maxPendingOutputBytes) this.dropOldestOutput();
    }
    if (this.pendingBytes > this.options.maxPendingBytes) {
      this.close();
      this.options.onOverflow();
      return;
    }
    if (!this.waitingForDrain) scheduleFlush(this);
  }

  private dropOldestOutput(): void {
    for (let i = this.head; i < this.queue.length && this.pendingOutputBytes > this.options.maxPendingOutputBytes; i++) {
      const item = this.queue[i];
      if (!item?.output) continue;
      this.queue[i] = undefined;
      this.pendingOutputBytes -= item.bytes;
      this.pendingBytes -= item.bytes;
      const { commandId, agentId, sequence } = item.output;
      const gap = this.gaps.get(commandId);
      if (gap) gap.next = Math.max(gap.next, sequence + 1);
      else this.gaps.set(commandId, { agentId, from: sequence, next: sequence + 1 });
    }
  }

  /** Hands queued messages to ws until the socket's buffer is full; resumes on 'drain'. */
  flush(): void {
    if (this.closed || this.waitingForDrain) return;
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return;
    this.socket?.cork();
    try {
      while (this.head < this.queue.length) {
        if (ws.bufferedAmount > this.options.socketHighWaterBytes) {
          this.waitForDrain();
          break;
        }
        const item = this.queue[this.head];
        this.queue[this.head++] = undefined;
        if (!item) continue;
        this.pendingBytes -= item.bytes;
        if (item.output) {
          this.pendingOutputBytes -= item.bytes;
          this.sendGapBefore(item.output);
        }
        ws.send(item.text);
      }
      if (this.head >= this.queue.length) {
        this.queue = [];
        this.head = 0;
        // Output dropped with nothing of that command left to send: say so now.
        for (const [commandId, gap] of this.gaps) this.sendGap(commandId, gap);
        this.gaps.clear();
      } else if (this.head > 1024) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    } finally {
      this.socket?.uncork();
    }
  }

  private sendGapBefore(output: OutputMeta): void {
    const gap = this.gaps.get(output.commandId);
    if (!gap) return;
    this.gaps.delete(output.commandId);
    this.sendGap(output.commandId, { ...gap, next: output.sequence });
  }

  private sendGap(commandId: string, gap: { agentId: string; from: number; next: number }): void {
    const marker = toDashboard('output:gap', {
      commandId, agentId: gap.agentId, fromSequence: gap.from, nextSequence: gap.next,
    });
    this.ws.send(JSON.stringify(marker));
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

  close(): void {
    this.closed = true;
    this.queue = [];
    this.head = 0;
    this.gaps.clear();
    dirty.delete(this);
  }
}
