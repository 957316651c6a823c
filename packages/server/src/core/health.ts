import type { Logger } from 'pino';

/** What the server depends on outside its own process: the store and the bus between nodes. */
export const Dependency = {
  store: 'store',
  bus: 'bus',
} as const;
export type Dependency = (typeof Dependency)[keyof typeof Dependency];

/** What `/health` says about a dependency that is down. */
export interface DownReport {
  /** The last error, as its message (never a stack: /health is public). */
  error: string;
  /** When it went down (ms). */
  since: number;
  /** The calls whose most recent attempt failed, e.g. appendOutput. */
  failing: string[];
}

interface DependencyState {
  /** Call name → when its latest attempt failed, for calls whose latest attempt failed. */
  failing: Map<string, number>;
  since: number;
  lastError: string;
}

/**
 * A call that failed and has not been made again for this long is cleared once a probe succeeds.
 * Writes that others wait on are retried at least every 2 s (retry.ts), so they never go stale
 * while they still fail; a one-off read that failed does, and must not keep the node down.
 */
const STALE_MS = 5_000;
const PROBE_EVERY_MS = 1_000;

/**
 * The one record of whether the store and the bus work: every call to either reports here (see
 * watch-ports.ts). A dependency is down while the latest attempt of any of its calls failed, so a
 * store that reads but cannot write stays down until a write succeeds again.
 */
export class Health {
  private readonly states = new Map<Dependency, DependencyState>();
  private readonly listeners = new Set<() => void>();
  private readonly probes = new Map<Dependency, () => Promise<unknown>>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing = false;

  constructor(private readonly logger: Logger) {}

  /** A cheap call that tells whether the dependency works again (run only while it is down). */
  setProbe(dependency: Dependency, probe: () => Promise<unknown>): void {
    this.probes.set(dependency, probe);
  }

  succeeded(dependency: Dependency, call: string): void {
    const state = this.states.get(dependency);
    if (!state?.failing.delete(call)) return;
    this.clearIfNothingFails(dependency, state);
  }

  failed(dependency: Dependency, call: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    let state = this.states.get(dependency);
    if (!state) {
      state = { failing: new Map(), since: Date.now(), lastError: message };
      this.states.set(dependency, state);
      this.logger.error({ dependency, call, err }, `${dependency} failed`);
      state.failing.set(call, Date.now());
      this.probeTimer ??= setInterval(() => void this.probe(), PROBE_EVERY_MS).unref();
      this.changed();
      return;
    }
    // Logged once when it goes down, and for each call that starts failing, not for every retry.
    if (!state.failing.has(call)) this.logger.error({ dependency, call, err }, `${dependency} call failed`);
    state.failing.set(call, Date.now());
    state.lastError = message;
  }

  private clearIfNothingFails(dependency: Dependency, state: DependencyState): void {
    if (state.failing.size > 0) return;
    this.states.delete(dependency);
    this.logger.warn({ dependency, downMs: Date.now() - state.since }, `${dependency} recovered`);
    if (this.states.size === 0) {
      clearInterval(this.probeTimer);
      this.probeTimer = undefined;
    }
    this.changed();
  }

  /** Clears calls that failed long ago and were not made since, once the dependency answers again. */
  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      for (const [dependency, state] of [...this.states]) {
        const probe = this.probes.get(dependency);
        const staleBefore = Date.now() - STALE_MS;
        const stale = [...state.failing].filter(([, at]) => at < staleBefore).map(([call]) => call);
        if (!probe || stale.length === 0) continue;
        const works = await probe().then(() => true, () => false);
        if (!works || this.states.get(dependency) !== state) continue;
        for (const call of stale) if ((state.failing.get(call) ?? Infinity) < staleBefore) state.failing.delete(call);
        this.clearIfNothingFails(dependency, state);
      }
    } finally {
      this.probing = false;
    }
  }

  stop(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  isDown(dependency: Dependency): boolean {
    return this.states.has(dependency);
  }

  get ok(): boolean {
    return this.states.size === 0;
  }

  /** What is down, for `/health`. */
  report(): Partial<Record<Dependency, DownReport>> {
    const out: Partial<Record<Dependency, DownReport>> = {};
    for (const [dependency, state] of this.states) {
      out[dependency] = { error: state.lastError, since: state.since, failing: [...state.failing.keys()].sort() };
    }
    return out;
  }

  /** Called whenever a dependency goes down or comes back. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
