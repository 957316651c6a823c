import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import {
  checkAcksAgainstStore, healthOf, openInspector, outputSeen, storedOutput, storedOutputEvents, streamOutput, upTo, waitForStatus,
  waitUntilDown, waitUntilHealthy,
} from '../support/engine-faults.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { redisServerAvailable, startOwnRedis } from '../support/redis-server.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = (await clusterEnginesAvailable()) && redisServerAvailable();

/** The channels every node subscribes to (BusTopic.dashboardEvents and CLUSTER_TOPIC in the server). */
const TOPICS = ['dashboard-events', 'cluster'] as const;

/** How many connections subscribe to each of the nodes' channels now. */
async function subscribers(url: string, prefix: string): Promise<number[]> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const reply = (await client.call('PUBSUB', 'NUMSUB', ...TOPICS.map((t) => prefix + t))) as Array<string | number>;
    return TOPICS.map((_, i) => Number(reply[i * 2 + 1]));
  } catch {
    return [];
  } finally {
    client.disconnect();
  }
}

/** The names of the pub/sub connections a Redis holds now. */
async function pubsubNames(url: string): Promise<string[]> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const list = (await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
    return list.split('\n').map((l) => / name=(\S*) /.exec(l)?.[1]).filter((n): n is string => n !== undefined && n !== '');
  } catch {
    return [];
  } finally {
    client.disconnect();
  }
}

describe.skipIf(!withEngines)('several nodes: Redis fails', () => {
  it('a node\'s pub/sub connection killed, then Redis killed and started again (empty) while output streams: dashboards on the other nodes miss nothing, /health names the bus while it is down, and every node resubscribes by itself', async () => {
    // This test's own Redis: the shared one is never restarted.
    await using redis = await startOwnRedis();
    await using cluster = await startTestCluster();
    const nameOf = (node: string) => `${cluster.redisPrefix}${node}`;
    const [a, b, c] = [await cluster.start('a', { redisUrl: redis.url }), await cluster.start('b', { redisUrl: redis.url }), await cluster.start('c', { redisUrl: redis.url })];
    await using db = await openInspector(cluster.databaseUrl);
    const token = await tokens.issue('dashboard', 'ops');
    await using onB = await openDashboard(b.wsUrl, token);
    await using onC = await openDashboard(c.wsUrl, token);
    const dashboards = [onB, onC];
    await using agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-a'), 'agent a');
    await waitUntil('both dashboards see agent-a online', () => dashboards.every((d) => d.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === 'online')));
    onB.send('command:request', { agentId: 'agent-a', command: 'stream', priority: 'normal', requestId: 'r1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 100 });
    const acks = checkAcksAgainstStore(agent, db, commandId);
    const stream = streamOutput(agent, commandId);
    const seenPast = (n: number) => () => dashboards.every((d) => outputSeen(d, commandId).length > n);
    await waitUntil('both dashboards see output', seenPast(20));
    expect(await subscribers(redis.url, cluster.redisPrefix)).toEqual([3, 3]);

    // 1. Node b's subscriber is killed (CLIENT KILL TYPE pubsub, only b's): it subscribes again by itself.
    expect(await redis.killPubsubClients(nameOf('b'))).toBe(1);
    const sentAtKill = stream.sent();
    await waitUntil('b subscribed again', async () => (await pubsubNames(redis.url)).includes(nameOf('b')) && (await subscribers(redis.url, cluster.redisPrefix)).every((n) => n === 3));
    await waitUntil('both dashboards see output sent after the kill', seenPast(sentAtKill + 20));

    // 2. Redis dies: every node says so in /health, and output still reaches the dashboards (from PostgreSQL).
    await redis.kill();
    const sentAtCrash = stream.sent();
    for (const node of [a, b, c]) await waitUntilDown(node, 'bus');
    expect((await healthOf(b)).body.down?.bus?.error).toBeTruthy();
    await waitUntil('both dashboards see output sent while Redis is down', seenPast(sentAtCrash + 20), 20_000);
    await waitUntil('acks go on while Redis is down', () => acks.highest() > sentAtCrash + 20);

    // 3. Redis is back, empty: every node reconnects and resubscribes by itself.
    await redis.start();
    for (const node of [a, b, c]) await waitUntilHealthy(node);
    await waitUntil('every node subscribed again', async () => {
      const names = await pubsubNames(redis.url);
      return ['a', 'b', 'c'].every((n) => names.includes(nameOf(n))) && (await subscribers(redis.url, cluster.redisPrefix)).every((n) => n === 3);
    });
    const sentAtRestart = stream.sent();
    await waitUntil('both dashboards see output sent after the restart', seenPast(sentAtRestart + 20));

    stream.stop();
    const last = stream.sent();
    await waitUntil('the last chunk is acknowledged', () => acks.highest() === last);
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: last, outcome: 'exited' });
    for (const d of dashboards) await waitForStatus(d, commandId, 'completed');
    await acks.settled();

    expect(acks.violations).toEqual([]);
    expect(await storedOutput(db, commandId)).toEqual(upTo(last));
    expect(await storedOutputEvents(db, commandId)).toEqual(upTo(last));
    for (const d of dashboards) {
      expect(outputSeen(d, commandId)).toEqual(upTo(last));
      // Every positioned event once, in offset order, with no offset skipped.
      const offsets = d.messages.filter((m) => m.position).map((m) => (m.position as { offset: number }).offset);
      expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => (offsets[0] as number) + i));
    }
  }, 90_000);
});
