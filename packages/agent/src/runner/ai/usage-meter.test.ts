import { describe, expect, it } from 'vitest';
import { UsageMeter } from './usage-meter.js';

const t = (inputTokens: number, outputTokens = 0, cacheReadTokens = 0, cacheWriteTokens = 0) => ({ inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens });

describe('UsageMeter', () => {
  it('keeps the latest figure per model call and sums the calls, across thousands of them', () => {
    const meter = new UsageMeter({}, undefined);
    for (let i = 0; i < 5000; i++) {
      expect(meter.update({ mode: 'call', callId: `m${i}`, tokens: t(10, 1), model: 'claude-sonnet-4-5' })).toBe(true);
      // The same snapshot repeated on the call's next content block changes nothing.
      expect(meter.update({ mode: 'call', callId: `m${i}`, tokens: t(10, 1), model: 'claude-sonnet-4-5' })).toBe(false);
    }
    // A later, larger figure of one call replaces it.
    meter.update({ mode: 'call', callId: 'm0', tokens: t(10, 101), model: 'claude-sonnet-4-5' });
    expect(meter.totals).toMatchObject({ inputTokens: 50_000, outputTokens: 5_100, costSource: 'estimated', model: 'claude-sonnet-4-5' });
    expect(meter.totals.costUsd).toBeCloseTo((50_000 * 3 + 5_100 * 15) / 1e6, 10);
  });

  it('has no cost while any call is on an unpriced model, and takes the final totals and reported cost as they are', () => {
    const meter = new UsageMeter({ maxCostUsd: 1 }, undefined);
    meter.update({ mode: 'call', callId: 'a', tokens: t(10), model: 'claude-sonnet-4-5' });
    meter.update({ mode: 'call', callId: 'b', tokens: t(10), model: 'mystery-1' });
    expect(meter.totals.costUsd).toBeNull();
    expect(meter.costBudgetBlind).toBe(true);
    meter.update({ mode: 'call', callId: 'b', tokens: t(0), model: 'mystery-1' });
    expect(meter.totals.costUsd).not.toBeNull();
    meter.update({ mode: 'final', tokens: t(1, 2, 3, 4), model: 'claude-sonnet-4-5', cost: { usd: 0.5, source: 'reported' } });
    expect(meter.totals).toMatchObject({ inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, costUsd: 0.5, costSource: 'reported' });
  });

  it('says which budget the totals passed: every token counts toward maxTokens', () => {
    const tokens = new UsageMeter({ maxTokens: 100 }, 'claude-sonnet-4-5');
    tokens.update({ mode: 'call', callId: 'a', tokens: t(10, 10, 80) });
    expect(tokens.exceeded()).toBeUndefined();
    tokens.update({ mode: 'call', callId: 'b', tokens: t(1) });
    expect(tokens.exceeded()).toBe('budget_tokens');
    const cost = new UsageMeter({ maxCostUsd: 0.001 }, 'claude-sonnet-4-5');
    cost.update({ mode: 'call', callId: 'a', tokens: t(1000) });
    expect(cost.exceeded()).toBe('budget_cost');
  });
});
