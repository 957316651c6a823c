import { describe, expect, it } from 'vitest';
import { MemoryBus, type Bus } from '@onsembl/server';

/** Every Bus implementation runs the same contract. Redis joins this list later. */
const IMPLEMENTATIONS: Array<[string, () => Promise<Bus>]> = [['memory', async () => new MemoryBus()]];

const settle = () => new Promise((r) => setTimeout(r, 20));

describe.each(IMPLEMENTATIONS)('Bus contract: %s', (_name, open) => {
  it('delivers in order to every subscriber of a topic, and only that topic', async () => {
    const bus = await open();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    await bus.subscribe('t', (m) => a.push(m));
    await bus.subscribe('t', (m) => b.push(m));
    await bus.subscribe('u', (m) => other.push(m));
    for (let i = 0; i < 100; i++) await bus.publish('t', `m${i}`);
    await settle();
    const expected = Array.from({ length: 100 }, (_, i) => `m${i}`);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);
    expect(other).toEqual([]);
    await bus.close();
  });

  it('stops delivering after unsubscribe', async () => {
    const bus = await open();
    const got: string[] = [];
    const unsubscribe = await bus.subscribe('t', (m) => got.push(m));
    await bus.publish('t', 'one');
    await settle();
    await unsubscribe();
    await bus.publish('t', 'two');
    await settle();
    expect(got).toEqual(['one']);
    await bus.close();
  });
});
