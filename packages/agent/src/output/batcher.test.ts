import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutputBatcher } from './batcher.js';

describe('OutputBatcher', () => {
  let chunks: string[];
  let batcher: OutputBatcher;

  beforeEach(() => {
    vi.useFakeTimers();
    chunks = [];
    batcher = new OutputBatcher({ batchMs: 50, maxBytes: 100, escapeLookback: 32 }, (data) => chunks.push(data));
  });
  afterEach(() => vi.useRealTimers());

  it('sends a partial chunk 50 ms after its first byte, not later reads', () => {
    batcher.push('a');
    vi.advanceTimersByTime(30);
    batcher.push('b');
    vi.advanceTimersByTime(19);
    expect(chunks).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(chunks).toEqual(['ab']);
  });

  it('sends a full chunk at once', () => {
    batcher.push('x'.repeat(250));
    expect(chunks).toEqual(['x'.repeat(100), 'x'.repeat(100)]);
    vi.advanceTimersByTime(50);
    expect(chunks.at(-1)).toBe('x'.repeat(50));
  });

  it('gives an open escape sequence one more period, then sends it as it is', () => {
    batcher.push('done\x1b[');
    vi.advanceTimersByTime(50);
    expect(chunks).toEqual(['done']);
    vi.advanceTimersByTime(50);
    expect(chunks).toEqual(['done', '\x1b[']);
  });

  it('sends everything at end and ignores later output', () => {
    batcher.push('tail\x1b]0;t');
    batcher.end();
    batcher.push('late');
    vi.advanceTimersByTime(200);
    expect(chunks).toEqual(['tail\x1b]0;t']);
  });
});
