import { Reconnect } from './constants.js';

/** The delays a reconnecting side waits (spec "Reconnection Strategy"; default `Reconnect`). */
export interface ReconnectSchedule {
  /** Base delay before the retry that follows the n-th consecutive failure (1-based), in ms. */
  readonly delaysMs: readonly number[];
  /** No delay ever exceeds this, jitter included. */
  readonly maxDelayMs: number;
  /** ±fraction of the base delay, drawn from the random source. */
  readonly jitter: number;
}

/**
 * Delay before the next attempt after `failures` consecutive failed attempts (failures >= 1; 0 is
 * treated as 1). The base is 1, 2, 4, 8, 16, 30, 30, ... s, the last repeating; `random()` in [0, 1)
 * maps linearly onto [base × (1 − jitter), base × (1 + jitter)), and the result is capped at
 * `maxDelayMs` so the spec's "30s (max)" holds with jitter too. Jitter spreads a fleet's
 * reconnections after a server restart. Used by the dashboard client and the agent alike.
 */
export function reconnectDelayMs(failures: number, random: () => number, schedule: ReconnectSchedule = Reconnect): number {
  const { delaysMs, maxDelayMs, jitter } = schedule;
  const index = Math.min(Math.max(failures, 1), delaysMs.length) - 1;
  const base = Math.min(delaysMs[index] ?? maxDelayMs, maxDelayMs);
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(maxDelayMs, base * factor)));
}
