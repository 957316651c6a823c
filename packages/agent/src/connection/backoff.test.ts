import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.js';

describe('reconnectDelayMs', () => {
  const delays = [1000, 2000, 4000];

  it('follows the delays and repeats the last one forever', () => {
    const mid = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 50, 10_000].map((attempt) => reconnectDelayMs(attempt, delays, 0.2, mid))).toEqual([
      1000, 2000, 4000, 4000, 4000, 4000,
    ]);
  });

  it('applies at most ±20 % jitter', () => {
    expect(reconnectDelayMs(0, delays, 0.2, () => 0)).toBe(800);
    expect(reconnectDelayMs(0, delays, 0.2, () => 0.999999)).toBe(1200);
    for (let i = 0; i < 1000; i++) {
      const delay = reconnectDelayMs(1, delays, 0.2);
      expect(delay).toBeGreaterThanOrEqual(1600);
      expect(delay).toBeLessThanOrEqual(2400);
    }
  });
});
