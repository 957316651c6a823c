import { Reconnect, reconnectDelayMs } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { defaultReconnectPolicy, retryDelayMs } from './backoff.js';

// The schedule itself is tested with the protocol's reconnectDelayMs (protocol/src/backoff.test.ts).
describe('retryDelayMs', () => {
  it('is the protocol reconnect schedule the agent uses too', () => {
    expect(retryDelayMs).toBe(reconnectDelayMs);
    expect([1, 2, 6, 7].map((f) => retryDelayMs(f, () => 0.5, defaultReconnectPolicy))).toEqual([1_000, 2_000, 30_000, 30_000]);
  });

  it('takes its numbers from the protocol package', () => {
    expect(defaultReconnectPolicy).toEqual({
      delaysMs: Reconnect.delaysMs, maxDelayMs: Reconnect.maxDelayMs, jitter: Reconnect.jitter, maxFailures: Reconnect.maxFailures,
    });
    expect(Reconnect.jitter).toBe(0.2);
    expect(Reconnect.maxFailures).toBe(5);
  });
});
