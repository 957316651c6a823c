import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster, TEST_REDIS_URL } from '../support/cluster.js';
import { receivedHistory, storedHistory, type HistoryEntry } from '../support/cluster-history.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
type Position = { epoch: string; offset: number };

async function resumeAt(wsUrl: string, token: string, resume: Position): Promise<TestSocket> {
  const socket = await TestSocket.open(`${wsUrl}/ws/dashboard`);
  socket.send('dashboard:connect', { token, clientInfo: { name: 'resume-any-node' }, resume });
  return socket;
}

/** Whether the dashboard was told the agent is online (in its agent list or a later status). */
function seesOnline(socket: TestSocket, agentId: string): boolean {
  return socket.messages.some((m) =>
    (m.type === 'agent:list' && (m.payload.agents as Array<{ id: string; status: string }>).some((x) => x.id === agentId && x.status === 'online'))
    || (m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === agentId && (m.payload.agent as { status: string }).status === 'online'));
}

function lastPosition(socket: TestSocket): Position {
  return socket.messages.filter((m) => m.position).at(-1)!.position as Position;
}

/** Output chunks of one command the agent streams, each batch sent once the one before it was acknowledged (committed). */
async function stream(agent: TestSocket, commandId: string, from: number, to: number, label: string, batch = 10): Promise<void> {
  for (let s = from; s <= to; s += batch) {
    const end = Math.min(s + batch - 1, to);
    for (let q = s; q <= end; q++) agent.send('terminal:output', { commandId, sequence: q, stream: 'stdout', data: `${label} ${q}\n` });
    await agent.waitFor('output:ack', (p) => p.commandId === commandId && (p.sequence as number) >= end, 30_000);
  }
}

/**
 * What a dashboard received (one or more sessions of it, in order) against the store's history from
 * its first event on: the same events at the same offsets, each once, none missing up to `until`.
 */
function expectSameHistory(received: HistoryEntry[], stored: HistoryEntry[], until: number): void {
  const from = received[0]!.offset;
  const seen = received.filter((e) => e.offset <= until);
  expect(seen.map((e) => e.offset)).toEqual(Array.from({ length: until - from + 1 }, (_, i) => from + i));
  expect(seen).toEqual(stored.filter((e) => e.offset >= from && e.offset <= until));
}

function sequencesOf(received: HistoryEntry[], commandId: string): number[] {
  return received.filter((e) => e.type === 'terminal:output' && e.key.startsWith(`${commandId} #`)).map((e) => Number(/#(\d+)/.exec(e.key)![1]));
}

describe.skipIf(!withEngines)('several nodes: resume on any node', () => {
  it('a dashboard that left node A resumes on node B while the agent on node C goes on: no gap, no duplicate, the store\'s history', async () => {
    await using cluster = await startTestCluster();
    const [a, b, c] = [await cluster.start('a'), await cluster.start('b'), await cluster.start('c')];
    const token = await tokens.issue('dashboard', 'ops');
    await using agent = await connectRawAgent(c.wsUrl, await tokens.issue('agent', 'agent-r'), 'agent r');
    const onA = await openDashboard(a.wsUrl, token);
    await waitUntil('node A shows agent-r online', () => seesOnline(onA, 'agent-r'));
    onA.send('command:request', { agentId: 'agent-r', command: 'stream', priority: 'normal', requestId: 'r1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 42 });
    await stream(agent, commandId, 1, 40, 'before');
    await onA.waitFor('terminal:output', (p) => p.sequence === 40);
    const left = lastPosition(onA);
    const firstSession = receivedHistory(onA.messages);
    await onA[Symbol.asyncDispose]();

    // Missed while away: committed on node C (the acknowledgement waits for the commit).
    await stream(agent, commandId, 41, 200, 'away');

    await using onB = await resumeAt(b.wsUrl, token, left);
    const ack = await onB.waitFor('connection:ack');
    expect(ack.payload.recovered).toBe(true);
    expect((ack.payload.position as Position).epoch).toBe(left.epoch);
    // Live on node C while node B replays or after it did.
    await stream(agent, commandId, 201, 300, 'live');
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: 300, outcome: 'exited' });
    await onB.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 30_000);

    const stored = await storedHistory(cluster.databaseUrl);
    const until = stored.at(-1)!.offset;
    await waitUntil('the resumed dashboard reached the store\'s newest event', () => lastPosition(onB).offset >= until, 30_000);
    const secondSession = receivedHistory(onB.messages);
    expect(secondSession[0]!.offset).toBe(left.offset + 1);
    expectSameHistory([...firstSession, ...secondSession], stored, until);
    expect(sequencesOf([...firstSession, ...secondSession], commandId)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // It kept its state and got what changed: no fresh agent list.
    expect(onB.messages.filter((m) => m.type === 'agent:list')).toEqual([]);
  }, 120_000);

  it('says recovered: false, with the current state, only for a position no node can resume from', async () => {
    await using cluster = await startTestCluster();
    const [a, b] = [await cluster.start('a'), await cluster.start('b')];
    const token = await tokens.issue('dashboard', 'ops');
    const onA = await openDashboard(a.wsUrl, token);
    await using _agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-s'), 'agent s');
    // Committed and delivered with a position: the store holds it.
    await onA.waitFor('agent:status', (p) => (p.agent as { id: string }).id === 'agent-s');
    const head = lastPosition(onA);
    await onA[Symbol.asyncDispose]();
    const stored = await storedHistory(cluster.databaseUrl);

    const cases: Array<{ what: string; resume: Position; recovered: boolean }> = [
      { what: 'the position node A handed out', resume: head, recovered: true },
      { what: 'another epoch', resume: { epoch: 'not-this-store', offset: head.offset }, recovered: false },
      { what: 'an offset no node committed yet', resume: { epoch: head.epoch, offset: stored.at(-1)!.offset + 1_000 }, recovered: false },
    ];
    for (const { what, resume, recovered } of cases) {
      await using onB = await resumeAt(b.wsUrl, token, resume);
      const ack = await onB.waitFor('connection:ack');
      expect(ack.payload.recovered, what).toBe(recovered);
      if (recovered) {
        // It has the state already: none is sent again; what follows is every event after its
        // position, then live ones (here a request of its own).
        onB.send('command:request', { agentId: 'agent-s', command: 'after resume', priority: 'normal', requestId: 'after' });
        await onB.waitFor('command:status', (p) => p.requestId === 'after');
        expect(receivedHistory(onB.messages)[0]!.offset, what).toBe(head.offset + 1);
        expect(onB.messages.filter((m) => m.type === 'agent:list'), what).toEqual([]);
      } else {
        // Told to start over, with the whole current picture from node B.
        const list = await onB.waitFor('agent:list');
        expect(['online', 'busy'], what).toContain((list.payload.agents as Array<{ id: string; status: string }>).find((x) => x.id === 'agent-s')?.status);
      }
    }
  }, 60_000);

  it('a node cut off from Redis misses bus messages: its dashboards, live and resuming, still get every event in order, once, from PostgreSQL', async () => {
    await using cluster = await startTestCluster();
    const redisPort = Number(new URL(TEST_REDIS_URL).port || 6379);
    await using redisProxy = await startTcpProxy(redisPort, new URL(TEST_REDIS_URL).hostname);
    const a = await cluster.start('a');
    const b = await cluster.start('b', { redisUrl: `redis://127.0.0.1:${redisProxy.port}` });
    const token = await tokens.issue('dashboard', 'ops');
    await using agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-t'), 'agent t');
    await using watcher = await openDashboard(b.wsUrl, token);
    await waitUntil('node B shows agent-t online', () => seesOnline(watcher, 'agent-t'));
    watcher.send('command:request', { agentId: 'agent-t', command: 'stream', priority: 'normal', requestId: 't1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 7 });
    await stream(agent, commandId, 1, 50, 'bus up');
    await watcher.waitFor('terminal:output', (p) => p.sequence === 50);
    // Where a second dashboard of node B stood when it went away.
    const left = lastPosition(watcher);

    // Node B's Redis connections are cut and stay refused: every event node A commits now is a bus
    // message node B never gets.
    redisProxy.setBlocked(true);
    const cutAt = watcher.messages.length;
    const streaming = stream(agent, commandId, 51, 400, 'bus cut', 5);
    await agent.waitFor('output:ack', (p) => (p.sequence as number) >= 150, 30_000);
    // Resumed on node B while its feed lags behind the store: the replay reads PostgreSQL, the feed
    // catches up from it, and the hand-over between the two must not repeat or skip anything.
    await using resumed = await resumeAt(b.wsUrl, token, left);
    expect((await resumed.waitFor('connection:ack')).payload.recovered).toBe(true);
    await streaming;
    await waitUntil('node B\'s dashboard got output committed while its bus was cut', () => watcher.messages.slice(cutAt).some((m) => m.type === 'terminal:output' && m.payload.sequence === 400), 30_000);
    expect(redisProxy.connections).toBe(0);

    redisProxy.setBlocked(false);
    await stream(agent, commandId, 401, 450, 'bus back');
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: 450, outcome: 'exited' });
    for (const d of [watcher, resumed]) await d.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 30_000);

    const stored = await storedHistory(cluster.databaseUrl);
    const until = stored.at(-1)!.offset;
    for (const d of [watcher, resumed]) await waitUntil('node B\'s dashboards reached the store\'s newest event', () => lastPosition(d).offset >= until, 30_000);
    expectSameHistory(receivedHistory(watcher.messages), stored, until);
    const afterResume = receivedHistory(resumed.messages);
    expect(afterResume[0]!.offset).toBe(left.offset + 1);
    expectSameHistory(afterResume, stored, until);
    expect(sequencesOf(receivedHistory(watcher.messages), commandId)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    expect(sequencesOf(afterResume, commandId)).toEqual(Array.from({ length: 400 }, (_, i) => i + 51));
  }, 120_000);
});
