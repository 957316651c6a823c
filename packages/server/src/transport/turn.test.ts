import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { afterTurnFlush, countTurnBytes, scheduleFlush, turnIsFull, TURN_BUDGET_BYTES } from './turn.js';

describe('the turn budget', () => {
  it('fills with the bytes broadcast this turn, and empties when the turn is flushed', async () => {
    const order: string[] = [];
    scheduleFlush({ flush: () => order.push('flush') });
    countTurnBytes(TURN_BUDGET_BYTES - 1);
    expect(turnIsFull()).toBe(false);
    countTurnBytes(1);
    expect(turnIsFull()).toBe(true);
    afterTurnFlush(() => order.push('resume'));
    expect(order).toEqual([]);
    await nextTurn();
    expect(order).toEqual(['flush', 'resume']);
    expect(turnIsFull()).toBe(false);
  });

  it('runs what waits for the flush even when no outbox had anything to send', async () => {
    let resumed = false;
    afterTurnFlush(() => (resumed = true));
    await nextTurn();
    expect(resumed).toBe(true);
  });
});
