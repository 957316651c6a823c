import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { prefixLengthWithinBytes, splitsSurrogatePair } from './utf8-boundary.js';

describe('prefixLengthWithinBytes', () => {
  it('cuts at the longest whole-character prefix within the byte budget', () => {
    expect(prefixLengthWithinBytes('abc', 10)).toBe(3);
    expect(prefixLengthWithinBytes('éé', 3)).toBe(1); // 2 bytes each
    expect(prefixLengthWithinBytes('€', 2)).toBe(0); // one 3-byte character that does not fit
    expect(prefixLengthWithinBytes('a😀b', 4)).toBe(1); // never half of a surrogate pair
    expect(prefixLengthWithinBytes('a😀b', 5)).toBe(3);
  });

  it('agrees with Buffer.byteLength on any text and budget', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), fc.integer({ min: 1, max: 400 }), (text, max) => {
        const cut = prefixLengthWithinBytes(text, max);
        expect(Buffer.byteLength(text.slice(0, cut))).toBeLessThanOrEqual(max);
        expect(splitsSurrogatePair(text, cut)).toBe(false);
        if (cut < text.length) {
          const next = cut + (splitsSurrogatePair(text, cut + 1) ? 2 : 1);
          expect(Buffer.byteLength(text.slice(0, next))).toBeGreaterThan(max);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
