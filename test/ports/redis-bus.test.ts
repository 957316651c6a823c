import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RedisBus } from '@onsembl/bus-redis';
import { killPubsubClients, redisAvailable, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { waitUntil } from '../support/wait-until.js';

// What only the Redis bus does (the shared contract is bus-contract.test.ts). Redis itself is never
// restarted: connections are cut through this test's own proxy, or killed by their client name.
const withRedis = await redisAvailable();
const redisPort = Number(new URL(TEST_REDIS_URL).port || 6379);
const redisHost = new URL(TEST_REDIS_URL).hostname;

/** Publishes numbered messages from `from` until `got` holds one, and returns. */
async function untilDelivered(from: RedisBus, topic: string, got: string[]): Promise<void> {
  let n = 0;
  await waitUntil(`a message on ${topic} arrived`, async () => {
    await from.publish(topic, `probe-${n++}`).catch(() => undefined);
    return got.length > 0;
  });
}

describe.skipIf(!withRedis)('RedisBus', () => {
  it('subscribes again by itself after its connections are cut, and says it was down meanwhile', async () => {
    await using proxy = await startTcpProxy(redisPort, redisHost);
    const prefix = uniquePrefix();
    const watched = await RedisBus.open({ url: `redis://127.0.0.1:${proxy.port}`, prefix, probeIntervalMs: 60_000 });
    const direct = await RedisBus.open({ url: TEST_REDIS_URL, prefix, probeIntervalMs: 60_000 });
    const states: Array<string | undefined> = [];
    watched.watch((down) => states.push(down?.message));
    const got: string[] = [];
    await watched.subscribe('events', (m) => got.push(m));
    await untilDelivered(direct, 'events', got);

    expect(proxy.cut()).toBeGreaterThanOrEqual(2);
    await waitUntil('it reported the loss', () => states.some((s) => s !== undefined));
    got.length = 0;
    await untilDelivered(direct, 'events', got);
    expect(states.at(-1)).toBeUndefined(); // back up
    // Publishing works again too.
    const back: string[] = [];
    await direct.subscribe('back', (m) => back.push(m));
    await untilDelivered(watched, 'back', back);
    await Promise.all([watched.close(), direct.close()]);
  });

  it('subscribes again after its pub/sub connection is killed in Redis (CLIENT KILL), for this bus alone', async () => {
    const prefix = uniquePrefix();
    const name = `onsembl-kill-${randomBytes(3).toString('hex')}`;
    const bus = await RedisBus.open({ url: TEST_REDIS_URL, prefix, connectionName: name, probeIntervalMs: 60_000 });
    const publisher = await RedisBus.open({ url: TEST_REDIS_URL, prefix, probeIntervalMs: 60_000 });
    const got: string[] = [];
    await bus.subscribe('events', (m) => got.push(m));
    await untilDelivered(publisher, 'events', got);
    expect(await killPubsubClients(name)).toBe(1);
    got.length = 0;
    await untilDelivered(publisher, 'events', got);
    await Promise.all([bus.close(), publisher.close()]);
  });

  it('notices connections that stay open but carry nothing, and replaces them', async () => {
    await using proxy = await startTcpProxy(redisPort, redisHost);
    const prefix = uniquePrefix();
    const bus = await RedisBus.open({ url: `redis://127.0.0.1:${proxy.port}`, prefix, probeIntervalMs: 100, commandTimeoutMs: 300 });
    const publisher = await RedisBus.open({ url: TEST_REDIS_URL, prefix, probeIntervalMs: 60_000 });
    const states: Array<string | undefined> = [];
    bus.watch((down) => states.push(down?.message));
    const got: string[] = [];
    await bus.subscribe('events', (m) => got.push(m));
    await untilDelivered(publisher, 'events', got);
    // Nothing closes them, so only the bus's own probe can tell.
    expect(proxy.stall()).toBe(2);
    got.length = 0;
    await untilDelivered(publisher, 'events', got);
    expect(states.filter((s) => s !== undefined).length).toBeGreaterThan(0);
    await waitUntil('it says it is up again', () => states.at(-1) === undefined);
    const back: string[] = [];
    await publisher.subscribe('back', (m) => back.push(m));
    await untilDelivered(bus, 'back', back);
    await Promise.all([bus.close(), publisher.close()]);
  });

  it('fails to open with one clear line when Redis is unreachable or the URL is not Redis', async () => {
    await expect(RedisBus.open({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 1_000 })).rejects.toThrow(/Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/);
    await expect(RedisBus.open({ url: 'postgres://x@y/z' })).rejects.toThrow(/not a Redis URL/);
  });

  it('fails a publish at once while Redis is away, instead of holding it in memory', async () => {
    await using proxy = await startTcpProxy(redisPort, redisHost);
    const bus = await RedisBus.open({ url: `redis://127.0.0.1:${proxy.port}`, prefix: uniquePrefix(), probeIntervalMs: 60_000 });
    proxy.block();
    proxy.cut();
    await expect(bus.publish('t', 'lost')).rejects.toThrow();
    proxy.restore();
    await waitUntil('publishing works again', () => bus.publish('t', 'ok').then(() => true, () => false));
    await bus.close();
  });
});
