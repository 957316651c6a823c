/** Limits beyond this use the approximate counter instead of the exact ring (memory stays small). */
const EXACT_UP_TO = 1_024;

/**
 * At most `limit` events in any `windowMs`. For the spec's small limits (100/s, 10/min) it is exact:
 * a ring holds the times of the last `limit` accepted events, O(1) per check, fixed memory. For large
 * limits (tests and benchmarks turn the limiter off this way) it weighs the previous fixed window's
 * count by how much of it still overlaps the sliding window.
 */
export class SlidingWindow {
  private readonly times: Float64Array | undefined;
  private next = 0;
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  constructor(readonly limit: number, readonly windowMs: number) {
    if (limit <= EXACT_UP_TO) this.times = new Float64Array(Math.max(1, limit)).fill(Number.NEGATIVE_INFINITY);
  }

  /** Records the event and returns true when it fits in the window; returns false (not recorded) otherwise. */
  take(now: number): boolean {
    const times = this.times;
    if (times) {
      // The slot we would overwrite holds the oldest of the last `limit` events.
      if (now - (times[this.next] as number) < this.windowMs) return false;
      times[this.next] = now;
      this.next = (this.next + 1) % times.length;
      return true;
    }
    const elapsed = now - this.windowStart;
    if (elapsed >= this.windowMs) {
      this.previous = elapsed >= 2 * this.windowMs ? 0 : this.current;
      this.current = 0;
      this.windowStart = now - (elapsed % this.windowMs);
    }
    const overlap = 1 - (now - this.windowStart) / this.windowMs;
    if (this.previous * overlap + this.current >= this.limit) return false;
    this.current++;
    return true;
  }

  /** After a refused `take`: how long until one more event fits (exact for the ring, an upper bound otherwise). */
  retryAfterMs(now: number): number {
    if (this.times) return Math.max(0, Math.ceil((this.times[this.next] as number) + this.windowMs - now));
    return Math.max(0, Math.ceil(this.windowStart + this.windowMs - now));
  }
}
