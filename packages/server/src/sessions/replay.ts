import type { Position } from '@onsembl/protocol';
import type { OutputMeta } from '../core/broadcaster.js';
import type { History } from '../core/event-log.js';
import type { DashboardOutbox } from '../transport/dashboard-outbox.js';

/** Live events held while a replay runs; past this the buffer is dropped and read back from the store. */
const LIVE_BUFFER_MAX = 2_000;
/** Replay is handed to the socket in slices this size, each waiting for the previous one to drain. */
const REPLAY_SLICE_BYTES = 256 * 1024;
const READ_BATCH = 500;

interface LiveEvent {
  text: string;
  output: OutputMeta | undefined;
  offset: number;
}

/**
 * Replays every event after a position to one dashboard, then hands over to live events with no gap
 * and no duplicate: the session subscribes first (live events are held here), the log is flushed and
 * read until nothing newer is stored, and held events at or below the last replayed offset are
 * dropped as duplicates. Replayed events are never dropped for slowness: they go out in slices, each
 * after the socket drained, so a replay of any length holds bounded memory.
 */
export class Replay {
  private live: LiveEvent[] = [];
  private overflowed = false;

  constructor(private readonly log: History, private readonly outbox: DashboardOutbox, private readonly isOpen: () => boolean) {}

  /** Called for live events while the replay runs. */
  hold(text: string, output: OutputMeta | undefined, offset: number): void {
    if (this.live.length >= LIVE_BUFFER_MAX) {
      this.live = [];
      this.overflowed = true;
    }
    this.live.push({ text, output, offset });
  }

  /** Sends everything after `from`; returns the offset it caught up to. */
  async run(from: Position): Promise<number> {
    let cursor = from.offset;
    for (;;) {
      this.overflowed = false;
      await this.log.flush();
      const events = await this.log.read(cursor, READ_BATCH);
      for (const event of events) {
        if (!this.isOpen()) return cursor;
        if (event.text !== '') this.outbox.push(event.text);
        cursor = event.offset;
        if (this.outbox.queuedBytes >= REPLAY_SLICE_BYTES) await this.outbox.drained();
      }
      if (events.length === 0 && !this.overflowed) break;
    }
    for (const event of this.live) if (event.offset > cursor) this.outbox.push(event.text, event.output);
    this.live = [];
    return cursor;
  }
}
