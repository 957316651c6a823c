import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { finalStatus } from '../support/cluster-dashboards.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();

/** Dashboards on B that stream requests, each sending its next one once the last was answered (10 per connection per minute). */
const STREAMS = 6;
const REQUESTS_PER_STREAM = 10;

type Message = TestSocket['messages'][number];
const offsetOf = (m: Message): number => (m.position as { offset: number }).offset;

describe.skipIf(!withEngines)('several nodes: an emergency stop while requests stream in', () => {
  it('requests stream from B to an agent on A while C stops everything: every request acknowledged before the answer is cancelled and never runs; later ones run', async () => {
    await using cluster = await startTestCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    const c = await cluster.start('c');
    const dashToken = await tokens.issue('dashboard', 'ops');
    await using onC = await openDashboard(c.wsUrl, dashToken);
    const streams: TestSocket[] = [];
    for (let i = 0; i < STREAMS; i++) streams.push(await openDashboard(b.wsUrl, dashToken));
    await using rawA = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'raw-a'), 'raw-a');
    await waitUntil('C sees raw-a online', () => onC.messages.some((m) => m.type === 'agent:status'
      && (m.payload.agent as { id: string; status: string }).id === 'raw-a' && (m.payload.agent as { status: string }).status === 'online'), 30_000);

    // The agent is busy, so what B requests queues behind this one.
    onC.send('command:request', { agentId: 'raw-a', command: 'hold', priority: 'normal', requestId: 'hold' });
    const hold = await rawA.waitFor('command:execute');
    const holdId = hold.payload.commandId as string;
    rawA.send('command:started', { commandId: holdId, pid: 10 });

    // Each stream's answers: the queued status with its request id (or a refusal, which fails the test).
    const requested = new Map<string, string>(); // requestId → commandId
    const stream = async (socket: TestSocket, lane: number) => {
      for (let i = 0; i < REQUESTS_PER_STREAM; i++) {
        const requestId = `r${lane}-${i}`;
        socket.send('command:request', { agentId: 'raw-a', command: `echo ${requestId}`, priority: 'normal', requestId });
        const answer = await Promise.race([
          socket.waitFor('command:status', (p) => p.requestId === requestId, 30_000),
          socket.waitFor('error', (p) => p.requestId === requestId, 30_000),
        ]);
        expect(answer.type, JSON.stringify(answer.payload)).toBe('command:status');
        requested.set(requestId, answer.payload.commandId as string);
      }
    };
    const streaming = Promise.all(streams.map((s, lane) => stream(s, lane)));

    // C stops everything while the streams are in full flow.
    await waitUntil('a third of the requests are acknowledged', () => requested.size >= (STREAMS * REQUESTS_PER_STREAM) / 3, 30_000);
    onC.send('emergency:stop', { reason: 'race', requestId: 'stop' });
    const answer = await onC.waitFor('emergency:stop', () => true, 30_000);
    await streaming;

    // The one history every dashboard sees: which queued statuses came before the stop's answer.
    const queuedAt = new Map<string, number>(); // commandId → offset of its queued status
    await waitUntil('C got every queued status', () => {
      for (const m of onC.messages) {
        if (m.type === 'command:status' && m.payload.status === 'queued' && m.payload.requestId !== 'hold') queuedAt.set(m.payload.commandId as string, offsetOf(m));
      }
      return [...requested.values()].every((id) => queuedAt.has(id));
    }, 30_000);
    const before = [...requested.values()].filter((id) => (queuedAt.get(id) as number) < offsetOf(answer));
    const after = [...requested.values()].filter((id) => (queuedAt.get(id) as number) > offsetOf(answer));
    expect(before.length + after.length).toBe(STREAMS * REQUESTS_PER_STREAM);
    expect(before.length).toBeGreaterThanOrEqual((STREAMS * REQUESTS_PER_STREAM) / 3);
    expect(after.length).toBeGreaterThan(0); // the streams went on after the answer

    // Everything acknowledged before the answer was cancelled by the stop, and the running one interrupted.
    expect([...(answer.payload.cancelled as string[])].sort()).toEqual([...before].sort());
    expect(answer.payload.interrupted).toEqual([holdId]);
    const interrupt = await rawA.waitFor('command:interrupt', (p) => p.commandId === holdId);
    expect(interrupt.payload.reason).toBe('emergency');
    rawA.send('command:exit', { commandId: holdId, exitCode: null, signal: 'SIGINT', durationMs: 5, lastSequence: 0, outcome: 'interrupted' });
    for (const id of before) expect((await finalStatus(onC, id)).payload.status, id).toBe('cancelled');

    // What came after the answer is new work: it runs, in order, on the agent (which finishes each at once).
    const answered = new Set<string>([holdId]);
    await waitUntil('every request acknowledged after the answer completed', () => {
      for (const m of rawA.messages) {
        const id = m.payload.commandId as string;
        if (m.type !== 'command:execute' || answered.has(id)) continue;
        answered.add(id);
        rawA.send('command:started', { commandId: id, pid: 20 });
        rawA.send('command:exit', { commandId: id, exitCode: 0, signal: null, durationMs: 1, lastSequence: 0, outcome: 'exited' });
      }
      return after.every((id) => onC.messages.some((m) => m.type === 'command:status' && m.payload.commandId === id && m.payload.status === 'completed'));
    }, 60_000);
    // None acknowledged before the answer ever reached the agent.
    const executed = rawA.messages.filter((m) => m.type === 'command:execute').map((m) => m.payload.commandId as string);
    expect(executed.filter((id) => before.includes(id))).toEqual([]);
    expect([...executed].sort()).toEqual([holdId, ...after].sort());
    for (const s of streams) await s[Symbol.asyncDispose]();
  }, 180_000);
});
