/**
 * An exact sliding-window limiter: at most `limit` events in any `windowMs`. Keeps the times of the
 * last `limit` accepted events in a ring, so each check is O(1) and memory is fixed per connection.
 */
export class SlidingWindow {
  private readonly times: Float64Array;
  private next = 0;

  constructor(readonly limit: number, readonly windowMs: number) {
    this.times = new Float64Array(Math.max(1, limit)).fill(Number.NEGATIVE_INFINITY);
  }

  /** Records the event and returns true when it fits in the window; returns false (not recorded) otherwise. */
  take(now: number): boolean {
    // The slot we would overwrite holds the oldest of the last `limit` events.
    if (now - (this.times[this.next] as number) < this.windowMs) return false;
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.times.length;
    return true;
  }
}
