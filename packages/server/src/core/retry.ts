import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Delays between attempts of a store write that failed: fast at first (a lock timeout, a dropped
 * connection the pool replaces), then every 2 s for as long as the store stays down.
 */
export const RETRY_DELAYS_MS = [50, 100, 200, 500, 1_000, 2_000] as const;

export function retryDelay(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1] as number;
}

/** Tells retries to stop (the server is shutting down and gave up waiting for the store). */
export class RetryStop {
  private stopped = false;
  private readonly controller = new AbortController();

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort();
  }

  /** Waits `ms`, or less if stopped meanwhile. */
  async wait(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.controller.signal, ref: false }).catch(() => undefined);
  }
}

/**
 * Runs `attempt` until it succeeds: the failure policy of writes whose data someone waits to have
 * acknowledged (docs/delivery.md, "When the store or the bus fails"). Each failure is already
 * reported to Health by the watched store. Resolves `false` when stopped before it succeeded.
 */
export async function untilDone(attempt: () => Promise<void>, stop: RetryStop): Promise<boolean> {
  for (let n = 1; ; n++) {
    if (stop.isStopped) return false;
    try {
      await attempt();
      return true;
    } catch {
      await stop.wait(retryDelay(n));
    }
  }
}
