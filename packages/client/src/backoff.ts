import { Reconnect } from '@onsembl/protocol';

/** The reconnect schedule, defaulting to the protocol's (spec "Reconnection Strategy"). */
export interface ReconnectPolicy {
  /** Base delay before the retry that follows the n-th consecutive failure (1-based), in ms. */
  delaysMs: readonly number[];
  /** No delay ever exceeds this, jitter included. */
  maxDelayMs: number;
  /** ±fraction of the base delay, drawn from the random source. */
  jitter: number;
  /** After this many consecutive failed attempts the client stops and waits for `reconnect()`. */
  maxFailures: number;
}

export const defaultReconnectPolicy: ReconnectPolicy = {
  delaysMs: Reconnect.delaysMs,
  maxDelayMs: Reconnect.maxDelayMs,
  jitter: Reconnect.jitter,
  maxFailures: Reconnect.maxFailures,
};

/**
 * Delay before the next attempt after `failures` consecutive failed attempts (failures >= 1).
 * The base is 1, 2, 4, 8, 16, 30, 30, ... s; `random()` in [0, 1) maps linearly onto
 * [base × (1 − jitter), base × (1 + jitter)), and the result is capped at `maxDelayMs` so the spec's
 * "30s (max)" holds with jitter too.
 */
export function retryDelayMs(failures: number, random: () => number, policy: ReconnectPolicy = defaultReconnectPolicy): number {
  const { delaysMs, maxDelayMs, jitter } = policy;
  const index = Math.min(Math.max(failures, 1), delaysMs.length) - 1;
  const base = Math.min(delaysMs[index] ?? maxDelayMs, maxDelayMs);
  const factor = 1 + jitter * (2 * random() - 1);
  return Math.round(Math.min(maxDelayMs, base * factor));
}
