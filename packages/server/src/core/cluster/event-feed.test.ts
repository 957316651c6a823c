import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { afterTurnFlush, countTurnBytes, currentTurn, scheduleFlush, turnIsFull, TURN_BUDGET_BYTES } from '../../transport/turn.js';
import { EventFeed, type FeedEvent } from './event-feed.js';

const CHUNK_BYTES = 9 * 1024;
const event = (offset: number): FeedEvent => ({ offset, type: 'terminal:output', text: `{"offset":${offset}}`, output: undefined });
const quiet = pino({ level: 'silent' });
const turnPace = { full: turnIsFull, after: afterTurnFlush };

/**
 * A feed paced by the transport's real turn budget, whose deliveries count their bytes the way a
 * broadcast does when it is encoded for dashboards; records which turn each offset was handed in.
 */
function pacedFeed(stored: FeedEvent[] = []) {
  const handed: Array<{ offset: number; turn: number }> = [];
  const flushable = { flush: () => undefined };
  const feed = new EventFeed(
    0,
    (after, limit) => Promise.resolve(stored.filter((e) => e.offset > after).slice(0, limit)),
    () => Promise.resolve(stored.length),
    (e) => {
      handed.push({ offset: e.offset, turn: currentTurn() });
      countTurnBytes(CHUNK_BYTES);
      scheduleFlush(flushable);
    },
    { gapWaitMs: 10, checkEveryMs: 60_000, pace: turnPace },
    quiet,
  );
  return { feed, handed };
}

function perTurn(handed: Array<{ turn: number }>): number[] {
  const counts = new Map<number, number>();
  for (const h of handed) counts.set(h.turn, (counts.get(h.turn) ?? 0) + 1);
  return [...counts.values()];
}

describe('EventFeed pacing', () => {
  it('hands a large committed batch on over several turns, each within the turn budget, in order', async () => {
    const { feed, handed } = pacedFeed();
    const total = 600; // about 5 MB: what one commit of 512 output events could hand at once
    for (let offset = 1; offset <= total; offset++) feed.push(event(offset));
    // The offsets are taken in order at once, but dashboards get them no faster than the budget allows.
    expect(feed.head).toBeLessThan(total);
    await feed.catchUp(total);
    expect(handed.map((h) => h.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    const perTurnLimit = Math.ceil(TURN_BUDGET_BYTES / CHUNK_BYTES);
    const counts = perTurn(handed);
    expect(counts.length).toBeGreaterThanOrEqual(Math.ceil(total / perTurnLimit));
    for (const count of counts) expect(count).toBeLessThanOrEqual(perTurnLimit);
    feed.stop();
  });

  it('head is what was handed: a waiter resolves only once its offset reached dashboards', async () => {
    const { feed, handed } = pacedFeed();
    for (let offset = 1; offset <= 200; offset++) feed.push(event(offset));
    const head = feed.head;
    expect(handed.at(-1)?.offset).toBe(head);
    expect(head).toBeLessThan(200);
    await feed.catchUp(200);
    expect(handed.at(-1)?.offset).toBe(200);
    expect(feed.head).toBe(200);
    feed.stop();
  });

  it('a gap read from the store is paced too, and events held behind it follow in order', async () => {
    const stored = Array.from({ length: 400 }, (_, i) => event(i + 1));
    const { feed, handed } = pacedFeed(stored);
    // The bus lost 1..399; the last one arrives and is held until the gap is read.
    feed.push(event(400));
    await feed.catchUp(400);
    expect(handed.map((h) => h.offset)).toEqual(stored.map((e) => e.offset));
    for (const count of perTurn(handed)) expect(count).toBeLessThanOrEqual(Math.ceil(TURN_BUDGET_BYTES / CHUNK_BYTES));
    feed.stop();
  });

  it('an event pushed while another is being handed on goes out after it, once', async () => {
    const handed: number[] = [];
    const feed: EventFeed = new EventFeed(
      0,
      () => Promise.resolve([]),
      () => Promise.resolve(0),
      (e) => {
        handed.push(e.offset);
        // What a listener's synchronous work could cause: the next event arrives mid-delivery.
        if (e.offset < 5) feed.push(event(e.offset + 1));
      },
      { gapWaitMs: 10, checkEveryMs: 60_000, pace: turnPace },
      quiet,
    );
    feed.push(event(1));
    await feed.catchUp(5);
    expect(handed).toEqual([1, 2, 3, 4, 5]);
    feed.stop();
  });
});
