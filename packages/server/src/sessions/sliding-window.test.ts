import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './sliding-window.js';

describe('SlidingWindow', () => {
  it('lets exactly `limit` events through in any window, sliding', () => {
    const w = new SlidingWindow(3, 1_000);
    expect([w.take(0), w.take(100), w.take(200), w.take(300)]).toEqual([true, true, true, false]);
    expect(w.take(999)).toBe(false); // the event at 0 is still inside (999 - 0 < 1000)
    expect(w.take(1_000)).toBe(true); // it just left
    expect(w.take(1_050)).toBe(false);
    expect(w.take(1_100)).toBe(true);
  });

  it('does not count refused events', () => {
    const w = new SlidingWindow(1, 1_000);
    expect(w.take(0)).toBe(true);
    for (let t = 1; t < 1_000; t += 10) expect(w.take(t)).toBe(false);
    expect(w.take(1_000)).toBe(true);
  });

  it('keeps large limits in constant memory and still limits', () => {
    const w = new SlidingWindow(1_000_000, 1_000);
    let accepted = 0;
    for (let i = 0; i < 1_500_000; i++) if (w.take(500)) accepted++;
    expect(accepted).toBe(1_000_000);
    expect(w.take(2_600)).toBe(true); // two windows later everything is forgotten
  });

  it('says how long until a refused event would fit', () => {
    const w = new SlidingWindow(3, 60_000);
    expect(w.take(1_000)).toBe(true);
    expect(w.take(2_000)).toBe(true);
    expect(w.take(5_000)).toBe(true);
    expect(w.take(10_000)).toBe(false);
    // The oldest of the three leaves the window at 61,000.
    expect(w.retryAfterMs(10_000)).toBe(51_000);
    expect(w.take(60_999)).toBe(false);
    expect(w.take(10_000 + w.retryAfterMs(10_000))).toBe(true);
  });
});
