import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.js';
import { Reconnect } from './constants.js';

const middle = () => 0.5; // jitter factor exactly 1
const lowest = () => 0; // jitter factor 0.8
const highest = () => 1 - Number.EPSILON; // jitter factor just under 1.2

describe('reconnectDelayMs', () => {
  it('follows the spec schedule 1, 2, 4, 8, 16, 30 s and stays at 30 s', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 10_000].map((failures) => reconnectDelayMs(failures, middle));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('puts the lowest random value at -20 %', () => {
    expect([1, 2, 3, 4, 5, 6].map((f) => reconnectDelayMs(f, lowest))).toEqual([800, 1_600, 3_200, 6_400, 12_800, 24_000]);
  });

  it('puts the highest random value at +20 %, never above the 30 s maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((f) => reconnectDelayMs(f, highest))).toEqual([1_200, 2_400, 4_800, 9_600, 19_200, 30_000]);
  });

  it('keeps every random value inside the jitter band', () => {
    for (let failures = 1; failures <= 8; failures++) {
      const base = Reconnect.delaysMs[Math.min(failures, Reconnect.delaysMs.length) - 1] ?? 0;
      for (let r = 0; r < 1; r += 0.01) {
        const delay = reconnectDelayMs(failures, () => r);
        expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
        expect(delay).toBeLessThanOrEqual(Math.min(Math.ceil(base * 1.2), Reconnect.maxDelayMs));
      }
    }
  });

  it('treats 0 failures like the first', () => {
    expect(reconnectDelayMs(0, middle)).toBe(1_000);
  });

  it('takes another schedule (an agent configured with its own delays)', () => {
    const schedule = { delaysMs: [100, 200], maxDelayMs: 200, jitter: 0.2 };
    expect([1, 2, 3].map((f) => reconnectDelayMs(f, middle, schedule))).toEqual([100, 200, 200]);
    expect(reconnectDelayMs(1, lowest, schedule)).toBe(80);
    expect(reconnectDelayMs(2, highest, schedule)).toBe(200);
  });
});
