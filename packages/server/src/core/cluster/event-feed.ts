import type { Logger } from 'pino';
import type { OutputMeta } from '../broadcaster.js';

/** One dashboard event at its offset, as a node hands it to its dashboards. */
export interface FeedEvent {
  offset: number;
  /** The message type (so the cluster view picks out statuses without parsing output). */
  type: string;
  text: string;
  output: OutputMeta | undefined;
}

export interface EventFeedOptions {
  /** How long an event that arrived ahead of a missing one waits for it before the store is asked. */
  gapWaitMs: number;
  /** How often the node compares what it delivered with the store's newest offset (a lost last message). */
  checkEveryMs: number;
}

/** Events read from the store per call while filling a gap. */
const FILL_BATCH = 500;
/** Events held ahead of a gap; past this they are dropped and read back from the store instead. */
const MAX_HELD = 5_000;

/**
 * Hands every event to this node's dashboards exactly once and in offset order, whatever order
 * (or loss) the bus delivers in. Offsets are dense in the store, so a missing one is noticed at
 * once: events after it wait `gapWaitMs` for it (a late message), then the gap is read from the
 * store (a lost one). A periodic check against the store's newest offset catches a lost message
 * nothing came after, and anything missed while the bus was down. Redis holds no truth.
 */
export class EventFeed {
  private delivered: number;
  private readonly held = new Map<number, FeedEvent>();
  private gapTimer: NodeJS.Timeout | undefined;
  private readonly checkTimer: NodeJS.Timeout;
  private filling: Promise<void> | undefined;
  private stopped = false;
  private readonly waiters = new Set<{ offset: number; resolve: () => void }>();

  constructor(
    start: number,
    private readonly read: (afterOffset: number, limit: number) => Promise<FeedEvent[]>,
    private readonly top: () => Promise<number>,
    private readonly deliver: (event: FeedEvent) => void,
    private readonly options: EventFeedOptions,
    private readonly logger: Logger,
  ) {
    this.delivered = start;
    this.checkTimer = setInterval(() => void this.check(), options.checkEveryMs);
    this.checkTimer.unref();
  }

  /** The newest offset delivered here. */
  get head(): number {
    return this.delivered;
  }

  push(event: FeedEvent): void {
    if (this.stopped || event.offset <= this.delivered) return;
    if (event.offset === this.delivered + 1) {
      this.emit(event);
      this.drainHeld();
      return;
    }
    if (this.held.size < MAX_HELD) this.held.set(event.offset, event);
    this.gapTimer ??= setTimeout(() => {
      this.gapTimer = undefined;
      void this.fill();
    }, this.options.gapWaitMs);
  }

  /** Resolves once every event up to `offset` was delivered here (reading the store if need be). */
  async catchUp(offset: number): Promise<void> {
    if (this.delivered >= offset) return;
    const reached = new Promise<void>((resolve) => this.waiters.add({ offset, resolve }));
    await this.fill();
    await reached;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.gapTimer);
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
  }

  private emit(event: FeedEvent): void {
    this.delivered = event.offset;
    try {
      this.deliver(event);
    } catch (err) {
      this.logger.error({ err, offset: event.offset }, 'delivering an event failed');
    }
    for (const w of this.waiters) {
      if (w.offset <= this.delivered) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private drainHeld(): void {
    for (let next = this.held.get(this.delivered + 1); next; next = this.held.get(this.delivered + 1)) {
      this.held.delete(next.offset);
      this.emit(next);
    }
    for (const offset of this.held.keys()) if (offset <= this.delivered) this.held.delete(offset);
    if (this.held.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  private async check(): Promise<void> {
    if (this.filling || this.stopped) return;
    try {
      if ((await this.top()) > this.delivered) await this.fill();
    } catch {
      // The store is down (Health says so); the next check tries again.
    }
  }

  /** Reads from the store everything after what was delivered, until it has nothing newer. */
  private fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (;;) {
          const events = await this.read(this.delivered, FILL_BATCH);
          for (const event of events) {
            if (event.offset <= this.delivered) continue;
            if (event.offset !== this.delivered + 1) {
              // Retention purged what was missing: say so, and go on from what exists.
              this.logger.warn({ from: this.delivered + 1, to: event.offset - 1 }, 'events missing from the store (purged)');
            }
            this.emit(event);
          }
          this.drainHeld();
          if (events.length < FILL_BATCH || this.stopped) break;
        }
      } catch (err) {
        this.logger.warn({ err }, 'filling a gap in the event feed failed; retrying');
        if (!this.stopped) this.gapTimer ??= setTimeout(() => {
          this.gapTimer = undefined;
          void this.fill();
        }, Math.max(this.options.gapWaitMs, 200));
      } finally {
        this.filling = undefined;
      }
      if (this.held.size > 0 && !this.stopped) this.gapTimer ??= setTimeout(() => {
        this.gapTimer = undefined;
        void this.fill();
      }, this.options.gapWaitMs);
    })();
    return this.filling;
  }
}
