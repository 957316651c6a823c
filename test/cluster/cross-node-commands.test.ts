import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { agentIs, commandIds, finalStatus, finalStatuses, outputOf } from '../support/cluster-dashboards.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();

describe.skipIf(!withEngines)('several nodes: commands from any node', () => {
  it('agents on A, dashboards on B and C: a request, a cancel, an interrupt and an emergency stop from other nodes reach the right agents', async () => {
    await using cluster = await startTestCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    const c = await cluster.start('c');
    const dashToken = await tokens.issue('dashboard', 'ops');
    await using onB = await openDashboard(b.wsUrl, dashToken);
    await using onC = await openDashboard(c.wsUrl, dashToken);
    const dashboards = [onB, onC];

    // A real agent process (shell runner) and a raw one on A; another raw one on C.
    await using real = spawnAgent(a.wsUrl, await tokens.issue('agent', 'real-a'), ['--name', 'real-a']);
    await using rawA = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'raw-a'), 'raw-a');
    await using rawC = await connectRawAgent(c.wsUrl, await tokens.issue('agent', 'raw-c'), 'raw-c');
    for (const id of ['real-a', 'raw-a', 'raw-c']) {
      await waitUntil(`both dashboards see ${id} online`, () => dashboards.every((d) => agentIs(d, id, 'online')), 30_000);
    }

    // 1. Requested on B, run by the real agent on A: its output and status reach B and C.
    onB.send('command:request', { agentId: 'real-a', command: 'echo "hello $((6 * 7))"', priority: 'normal', requestId: 'echo' });
    const [echoId] = await commandIds(onB, ['echo']);
    for (const d of dashboards) expect((await finalStatus(d, echoId!)).payload).toMatchObject({ status: 'completed', exitCode: 0, agentId: 'real-a' });
    for (const d of dashboards) expect(outputOf(d, echoId!)).toBe('hello 42\r\n');
    const stored = await fetch(`${c.httpUrl}/api/commands/${echoId}/output`, { headers: { authorization: `Bearer ${dashToken}` } });
    expect(await stored.text()).toBe('hello 42\r\n');

    // 2. The raw agent on A runs one command (asked on B) and has one queued behind it (asked on B): C cancels the queued one.
    onB.send('command:request', { agentId: 'raw-a', command: 'first', priority: 'normal', requestId: 'first' });
    const execute = await rawA.waitFor('command:execute');
    const firstId = execute.payload.commandId as string;
    rawA.send('command:started', { commandId: firstId, pid: 10 });
    onB.send('command:request', { agentId: 'raw-a', command: 'second', priority: 'normal', requestId: 'second' });
    const [secondId] = await commandIds(onB, ['second']);
    await waitUntil('C sees the second command queued on raw-a', () => onC.messages.some((m) => m.type === 'command:queue' && m.payload.agentId === 'raw-a'
      && (m.payload.queue as Array<{ commandId: string }>).some((e) => e.commandId === secondId)));
    onC.send('command:interrupt', { commandId: secondId, requestId: 'cancel-second' });
    for (const d of dashboards) expect((await finalStatus(d, secondId!)).payload).toMatchObject({ status: 'cancelled' });
    await waitUntil('B sees raw-a\'s queue empty', () => onB.messages.some((m) => m.type === 'command:queue' && m.payload.agentId === 'raw-a' && (m.payload.queue as unknown[]).length === 0));

    // 3. C interrupts the running one: the agent on A is told, and its exit is the final state everywhere.
    await waitUntil('C sees the first command running', () => onC.messages.some((m) => m.type === 'command:status' && m.payload.commandId === firstId && m.payload.status === 'running'));
    onC.send('command:interrupt', { commandId: firstId, requestId: 'interrupt-first' });
    const interrupt = await rawA.waitFor('command:interrupt');
    expect(interrupt.payload).toMatchObject({ commandId: firstId, reason: 'user' });
    rawA.send('terminal:output', { commandId: firstId, sequence: 1, stream: 'stdout', data: '^C\n' });
    rawA.send('command:exit', { commandId: firstId, exitCode: null, signal: 'SIGINT', durationMs: 5, lastSequence: 1, outcome: 'interrupted' });
    for (const d of dashboards) expect((await finalStatus(d, firstId)).payload).toMatchObject({ status: 'cancelled', signal: 'SIGINT', lastSequence: 1 });
    await rawA.waitFor('command:ack', (p) => p.commandId === firstId);
    // The second command was cancelled: it never reached the agent.
    expect(rawA.messages.filter((m) => m.type === 'command:execute').map((m) => m.payload.commandId)).toEqual([firstId]);

    // 4. Running commands on A (the real agent) and C, one queued behind each; B stops everything.
    onB.send('command:request', { agentId: 'real-a', command: 'sleep 60', priority: 'normal', requestId: 'sleep' });
    onB.send('command:request', { agentId: 'raw-c', command: 'busy', priority: 'normal', requestId: 'busy' });
    const [sleepId, busyId] = await commandIds(onB, ['sleep', 'busy']);
    const busyExecute = await rawC.waitFor('command:execute', (p) => p.commandId === busyId);
    rawC.send('command:started', { commandId: busyExecute.payload.commandId, pid: 11 });
    onC.send('command:request', { agentId: 'real-a', command: 'echo never-a', priority: 'normal', requestId: 'never-a' });
    onC.send('command:request', { agentId: 'raw-c', command: 'never-c', priority: 'normal', requestId: 'never-c' });
    const [neverA, neverC] = await commandIds(onC, ['never-a', 'never-c']);
    for (const id of [sleepId, busyId]) {
      await waitUntil(`B sees ${id} running`, () => onB.messages.some((m) => m.type === 'command:status' && m.payload.commandId === id && m.payload.status === 'running'));
    }
    await waitUntil('B sees both queues', () => [['real-a', neverA], ['raw-c', neverC]].every(([agent, id]) => onB.messages.some((m) => m.type === 'command:queue'
      && m.payload.agentId === agent && (m.payload.queue as Array<{ commandId: string }>).some((e) => e.commandId === id))));

    onB.send('emergency:stop', { reason: 'drill', requestId: 'stop' });
    const stop = await onB.waitFor('emergency:stop');
    expect(stop.payload).toMatchObject({ requestId: 'stop', reason: 'drill' });
    expect([...(stop.payload.cancelled as string[])].sort()).toEqual([neverA, neverC].sort());
    expect([...(stop.payload.interrupted as string[])].sort()).toEqual([sleepId, busyId].sort());
    await onC.waitFor('emergency:stop');
    // The raw agent on C is interrupted by its own node; the real one on A stops its sleep.
    const busyInterrupt = await rawC.waitFor('command:interrupt', (p) => p.commandId === busyId);
    expect(busyInterrupt.payload.reason).toBe('emergency');
    rawC.send('command:exit', { commandId: busyId, exitCode: null, signal: 'SIGINT', durationMs: 5, lastSequence: 0, outcome: 'interrupted' });
    for (const d of dashboards) {
      for (const id of [sleepId, busyId, neverA, neverC]) expect((await finalStatus(d, id!, 30_000)).payload.status, id).toBe('cancelled');
    }
    // The queued ones never ran anywhere.
    expect(rawC.messages.filter((m) => m.type === 'command:execute').map((m) => m.payload.commandId)).toEqual([busyId]);
    expect(outputOf(onB, neverA!)).toBe('');
    const never = await fetch(`${b.httpUrl}/api/commands/${neverA}`, { headers: { authorization: `Bearer ${dashToken}` } });
    expect(((await never.json()) as { command: { status: string; startedAt?: number } }).command).toMatchObject({ status: 'cancelled' });
    // Every command reached one final state, once, on every dashboard.
    for (const d of dashboards) {
      for (const id of [echoId, firstId, secondId, sleepId, busyId, neverA, neverC]) expect(finalStatuses(d, id!), id).toHaveLength(1);
    }
    expect(real.child.exitCode).toBeNull();
  }, 120_000);
});
