import { Reconnect, reconnectDelayMs, type ReconnectSchedule } from '@onsembl/protocol';

/** The reconnect schedule, defaulting to the protocol's (spec "Reconnection Strategy"). */
export interface ReconnectPolicy extends ReconnectSchedule {
  /** After this many consecutive failed attempts the client offers `reconnect()` beside its retries. */
  maxFailures: number;
}

export const defaultReconnectPolicy: ReconnectPolicy = {
  delaysMs: Reconnect.delaysMs,
  maxDelayMs: Reconnect.maxDelayMs,
  jitter: Reconnect.jitter,
  maxFailures: Reconnect.maxFailures,
};

/** Delay before the next attempt after `failures` consecutive failed attempts: the protocol's reconnectDelayMs, which the agent uses too. */
export const retryDelayMs: (failures: number, random: () => number, policy?: ReconnectPolicy) => number = reconnectDelayMs;
