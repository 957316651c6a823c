import { describe, expect, it } from 'vitest';
import { shouldCompress } from './compression.js';
import { Limits } from './constants.js';

describe('shouldCompress', () => {
  it('compresses only payloads over 10 KB', () => {
    expect(Limits.compressionThresholdBytes).toBe(10 * 1024);
    expect(shouldCompress(0)).toBe(false);
    expect(shouldCompress(Limits.compressionThresholdBytes)).toBe(false);
    expect(shouldCompress(Limits.compressionThresholdBytes + 1)).toBe(true);
  });

  it('is measured in UTF-8 bytes: 6,000 two-byte characters are 12,000 bytes', () => {
    const text = 'é'.repeat(6_000);
    expect(text.length).toBeLessThan(Limits.compressionThresholdBytes);
    expect(shouldCompress(new TextEncoder().encode(text).length)).toBe(true);
  });
});
