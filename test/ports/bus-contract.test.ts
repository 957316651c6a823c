import { describe, expect, it } from 'vitest';
import { MemoryBus, type Bus } from '@onsembl/server';
import { RedisBus } from '@onsembl/bus-redis';
import { redisAvailable, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait-until.js';

const withRedis = await redisAvailable();

/**
 * Every Bus implementation runs the same contract. `network()` makes a fresh network of nodes and
 * `node()` joins one more to it: the in-process bus is one object shared by every node (several
 * servers in one process), Redis one channel prefix.
 */
const IMPLEMENTATIONS: Array<[string, () => { node(): Promise<Bus> }]> = [
  ['memory', () => {
    const bus = new MemoryBus();
    return { node: async () => bus };
  }],
  ...(withRedis
    ? [['redis', () => {
      const prefix = uniquePrefix();
      return { node: () => RedisBus.open({ url: TEST_REDIS_URL, prefix, probeIntervalMs: 60_000 }) };
    }] as [string, () => { node(): Promise<Bus> }]]
    : []),
];

describe.each(IMPLEMENTATIONS)('Bus contract: %s', (_name, network) => {
  it('delivers in order to every subscriber of a topic, and only that topic', async () => {
    const bus = await network().node();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    await bus.subscribe('t', (m) => a.push(m));
    await bus.subscribe('t', (m) => b.push(m));
    await bus.subscribe('u', (m) => other.push(m));
    for (let i = 0; i < 100; i++) await bus.publish('t', `m${i}`);
    const expected = Array.from({ length: 100 }, (_, i) => `m${i}`);
    await waitUntil('every message arrived', () => a.length === 100 && b.length === 100);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);
    // A marker on the other topic, published last, arrives after everything before it.
    await bus.publish('u', 'marker');
    await waitUntil('the marker arrived', () => other.length === 1);
    expect(other).toEqual(['marker']);
    await bus.close();
  });

  it('stops delivering after unsubscribe', async () => {
    const bus = await network().node();
    const got: string[] = [];
    const marks: string[] = [];
    const unsubscribe = await bus.subscribe('t', (m) => got.push(m));
    await bus.subscribe('mark', (m) => marks.push(m));
    await bus.publish('t', 'one');
    await waitUntil('one arrived', () => got.length === 1);
    await unsubscribe();
    await bus.publish('t', 'two');
    await bus.publish('mark', 'after two');
    await waitUntil('the marker arrived', () => marks.length === 1);
    expect(got).toEqual(['one']);
    await bus.close();
  });

  it('reaches the subscribers on every node, in the order one node published', async () => {
    const net = network();
    const [a, b, c] = [await net.node(), await net.node(), await net.node()];
    const onB: string[] = [];
    const onC: string[] = [];
    await b.subscribe('t', (m) => onB.push(m));
    await c.subscribe('t', (m) => onC.push(m));
    const sent = Array.from({ length: 50 }, (_, i) => `n${i}`);
    await Promise.all(sent.map((m) => a.publish('t', m)));
    await waitUntil('both nodes got everything', () => onB.length === 50 && onC.length === 50);
    expect(onB).toEqual(sent);
    expect(onC).toEqual(sent);
    await Promise.all([a.close(), b.close(), c.close()]);
  });
});
