import type { Clock } from '@onsembl/protocol';

/**
 * Time as the client sees it (the protocol's Clock, which its HeartbeatMonitor takes). Injected so
 * tests can drive the reconnect schedule and heartbeats with fake timers; the default looks the
 * globals up at call time, so `vi.useFakeTimers()` also works.
 */
export type { Clock };

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** One pending timeout that can be re-armed; clearing an unarmed one is a no-op. */
export class Timer {
  #handle: unknown = undefined;
  #armed = false;

  constructor(private readonly clock: Clock) {}

  get armed(): boolean {
    return this.#armed;
  }

  set(ms: number, fn: () => void): void {
    this.clear();
    this.#armed = true;
    this.#handle = this.clock.setTimeout(() => {
      this.#armed = false;
      fn();
    }, ms);
  }

  clear(): void {
    if (this.#armed) this.clock.clearTimeout(this.#handle);
    this.#armed = false;
    this.#handle = undefined;
  }
}
