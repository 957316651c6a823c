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

/**
 * How much one event-loop turn may hand to dashboards (the transport's turn budget): a committed
 * batch, a burst from the bus or a gap read from the store is handed on over several turns, so a
 * dashboard that keeps up is never handed more in one turn than its burst allowance (past it, its
 * oldest output would be dropped though it was reading).
 */
export interface DeliveryPace {
  /** Whether this turn has been handed enough. */
  full(): boolean;
  /** Runs `callback` once this turn's writes are flushed. */
  after(callback: () => void): void;
}

/** No pacing (tests of ordering alone). */
export const unpaced: DeliveryPace = { full: () => false, after: (callback) => setImmediate(callback) };

export interface EventFeedOptions {
  /** How long an event that arrived ahead of a missing one waits for it before the store is asked. */
  gapWaitMs: number;
  /** How often the node compares what it delivered with the store's newest offset (a lost last message). */
  checkEveryMs: number;
  /** Default: unpaced. */
  pace?: DeliveryPace;
}

/** Events read from the store per call while filling a gap. */
const FILL_BATCH = 500;
/** Handed events kept at the head of the ready list before it is compacted. */
const COMPACT_AFTER = 1_024;
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
  /** The newest offset taken in order (held, read or pushed): what gap detection goes by. */
  private accepted: number;
  /** The newest offset handed to dashboards; `ready` holds what is accepted and not yet handed. */
  private delivered: number;
  private ready: FeedEvent[] = [];
  /** The next of `ready` to hand on (those before it were handed). */
  private readyHead = 0;
  private pumping = false;
  private readonly pace: DeliveryPace;
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
    this.accepted = start;
    this.delivered = start;
    this.pace = options.pace ?? unpaced;
    this.checkTimer = setInterval(() => void this.check(), options.checkEveryMs);
    this.checkTimer.unref();
  }

  /** The newest offset delivered here. */
  get head(): number {
    return this.delivered;
  }

  push(event: FeedEvent): void {
    if (this.stopped || event.offset <= this.accepted) return;
    if (event.offset === this.accepted + 1) {
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
    if (this.accepted < offset) await this.fill();
    await reached;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.checkTimer);
    clearTimeout(this.gapTimer);
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
  }

  /** Takes the next event in order; it is handed to dashboards as the turn budget allows. */
  private emit(event: FeedEvent): void {
    this.accepted = event.offset;
    this.ready.push(event);
    this.pump();
  }

  /** `afterFlush`: called once a turn's writes were flushed, it hands at least one event (progress). */
  private pump(afterFlush = false): void {
    if (this.pumping) return;
    let handed = 0;
    // The head moves before each hand-over, so an event pushed while one is handed goes out after it, once.
    while (this.readyHead < this.ready.length && ((afterFlush && handed === 0) || !this.pace.full())) {
      const event = this.ready[this.readyHead++] as FeedEvent;
      handed++;
      this.hand(event);
    }
    if (this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    } else if (!this.stopped) {
      // Under a stream that never lets it empty, drop what was handed now and then (memory stays bounded).
      if (this.readyHead >= COMPACT_AFTER) {
        this.ready = this.ready.slice(this.readyHead);
        this.readyHead = 0;
      }
      this.pumping = true;
      this.pace.after(() => {
        this.pumping = false;
        this.pump(true);
      });
    }
  }

  private hand(event: FeedEvent): void {
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
    for (let next = this.held.get(this.accepted + 1); next; next = this.held.get(this.accepted + 1)) {
      this.held.delete(next.offset);
      this.emit(next);
    }
    for (const offset of this.held.keys()) if (offset <= this.accepted) this.held.delete(offset);
    if (this.held.size === 0) {
      clearTimeout(this.gapTimer);
      this.gapTimer = undefined;
    }
  }

  private async check(): Promise<void> {
    if (this.filling || this.stopped) return;
    try {
      if ((await this.top()) > this.accepted) await this.fill();
    } catch {
      // The store is down (Health says so); the next check tries again.
    }
  }

  /** Reads from the store everything after what was delivered, until it has nothing newer. */
  private fill(): Promise<void> {
    this.filling ??= (async () => {
      try {
        for (;;) {
          const events = await this.read(this.accepted, FILL_BATCH);
          for (const event of events) {
            if (event.offset <= this.accepted) continue;
            if (event.offset !== this.accepted + 1) {
              // Retention purged what was missing: say so, and go on from what exists.
              this.logger.warn({ from: this.accepted + 1, to: event.offset - 1 }, 'events missing from the store (purged)');
            }
            this.emit(event);
          }
          this.drainHeld();
          // A long gap is read no faster than it is handed on: memory stays one read's worth.
          if (this.ready.length - this.readyHead >= FILL_BATCH) await new Promise<void>((resolve) => this.waiters.add({ offset: this.accepted, resolve }));
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
