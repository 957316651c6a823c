import { describe, expect, it } from 'vitest';
import { BatchWriter } from './batch-writer.js';

/** A write that fails while `down` holds, recording every batch it was given and every batch it stored. */
function flakyWrite() {
  const state = { down: false, attempts: 0, stored: [] as number[][] };
  const write = async (batch: number[]) => {
    state.attempts++;
    await Promise.resolve();
    if (state.down) throw new Error('store down');
    state.stored.push([...batch]);
  };
  return { state, write };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

describe('BatchWriter', () => {
  it('writes in order, each item once, and flush resolves once what was added before it is written', async () => {
    const { state, write } = flakyWrite();
    const writer = new BatchWriter(write, { windowMs: 1, maxItems: 4 });
    for (let i = 1; i <= 10; i++) writer.add(i);
    await writer.flush();
    expect(state.stored.flat()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(state.stored.every((b) => b.length <= 4)).toBe(true);
    await writer.flush();
    expect(state.stored.flat()).toHaveLength(10);
  });

  it('while a write is retried, what arrives (and every flush of it) joins a few large batches after it, not one batch per flush', async () => {
    const { state, write } = flakyWrite();
    const writer = new BatchWriter(write, { windowMs: 0, maxItems: 100 });
    state.down = true;
    writer.add(0);
    const flushes = [writer.flush()];
    await until(() => state.attempts >= 1);
    // 250 items, each flushed on its own, as acknowledgements do while the store is down.
    for (let i = 1; i <= 250; i++) {
      writer.add(i);
      flushes.push(writer.flush());
    }
    let resolved = 0;
    for (const f of flushes) void f.then(() => resolved++);
    await until(() => state.attempts >= 2);
    expect(resolved).toBe(0);
    state.down = false;
    await Promise.all(flushes);
    expect(state.stored.flat()).toEqual(Array.from({ length: 251 }, (_, i) => i));
    // The first batch, then the 250 that waited in batches of at most 100.
    expect(state.stored.map((b) => b.length)).toEqual([1, 100, 100, 50]);
  });

  it('flushes resolve oldest first', async () => {
    const { write } = flakyWrite();
    const writer = new BatchWriter(write, { windowMs: 0, maxItems: 2 });
    const order: number[] = [];
    for (let i = 0; i < 6; i++) {
      writer.add(i);
      void writer.flush().then(() => order.push(i));
    }
    await writer.flush();
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('items left waiting for their window are written when it ends, also after a write that ran meanwhile', async () => {
    const { state, write } = flakyWrite();
    const writer = new BatchWriter(write, { windowMs: 5, maxItems: 100 });
    writer.add(1);
    void writer.flush();
    writer.add(2);
    await until(() => state.stored.flat().length === 2);
    expect(state.stored.flat()).toEqual([1, 2]);
  });

  it('abandon stops retrying and counts what was never written; flushes still resolve', async () => {
    const { state, write } = flakyWrite();
    const writer = new BatchWriter(write, { windowMs: 0, maxItems: 2 });
    state.down = true;
    for (let i = 0; i < 5; i++) writer.add(i);
    const flushed = writer.flush();
    await until(() => state.attempts >= 2);
    writer.add(5);
    expect(await writer.abandon()).toBe(6);
    await flushed;
    expect(state.stored).toEqual([]);
  });
});
