import { CloseCode } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { agentIs, agentStatuses, chunksOf, commandIds, finalStatus, finalStatuses } from '../support/cluster-dashboards.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';
import { expectedOutput, printerCommand } from '../chaos/printer.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
const LINES = 4_000;
type Position = { epoch: string; offset: number };

/** A dashboard that authenticates in band (so it may resume), from `resume` when given. */
async function connectDashboard(wsUrl: string, token: string, resume?: Position): Promise<TestSocket> {
  const socket = await TestSocket.open(`${wsUrl}/ws/dashboard`);
  socket.send('dashboard:connect', { token, clientInfo: { name: 'drain-test' }, ...(resume ? { resume } : {}) });
  await socket.waitFor('connection:ack');
  return socket;
}

const positioned = (socket: TestSocket) => socket.messages.filter((m) => m.position).map((m) => ({ ...(m.position as Position), type: m.type, payload: JSON.stringify(m.payload) }));

describe.skipIf(!withEngines)('several nodes: a node drains on SIGTERM', () => {
  it('its agent and dashboard get 1012 and move to other nodes; the running command finishes with all output once; the resumed stream has no gap and no duplicate', async () => {
    await using cluster = await startTestCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    const c = await cluster.start('c');
    const dashToken = await tokens.issue('dashboard', 'ops');
    const first = await connectDashboard(a.wsUrl, dashToken);
    await using watcher = await openDashboard(c.wsUrl, dashToken);
    // The agent knows A first and B next.
    await using agent = spawnAgent(a.wsUrl, await tokens.issue('agent', 'mover'), ['--url', b.wsUrl, '--name', 'mover']);
    await waitUntil('the dashboards see the agent online', () => [first, watcher].every((d) => agentIs(d, 'mover', 'online')), 30_000);

    first.send('command:request', { agentId: 'mover', command: printerCommand(LINES, 100, 0.05), priority: 'normal', requestId: 'long' });
    first.send('command:request', { agentId: 'mover', command: 'echo after-the-drain', priority: 'normal', requestId: 'next' });
    const [longId, nextId] = await commandIds(first, ['long', 'next']);
    await waitUntil('the command has streamed some output', () => chunksOf(first, longId!).length >= 2, 30_000);

    a.child.kill('SIGTERM');
    const closed = await first.closed;
    expect(closed.code).toBe(CloseCode.serviceRestart);
    expect(await new Promise((resolve) => a.child.once('exit', resolve))).toBe(0);
    await waitUntil('the agent was told 1012', () => agent.stderr().includes('"code":1012'));

    // The dashboard resumes on B from the last position it saw.
    const seen = positioned(first);
    const last = seen.at(-1)!;
    await using resumed = await connectDashboard(b.wsUrl, dashToken, { epoch: last.epoch, offset: last.offset });
    expect((await resumed.waitFor('connection:ack')).payload).toMatchObject({ recovered: true });
    for (const id of [longId!, nextId!]) {
      for (const d of [resumed, watcher]) await finalStatus(d, id, 60_000);
    }
    expect(agentStatuses(resumed, 'mover').at(-1)).not.toBe('offline');

    // One stream across both connections: every offset once, none missing, as the watcher on C saw them.
    const stream = [...seen, ...positioned(resumed)];
    expect(new Set(stream.map((e) => e.epoch)).size).toBe(1);
    const start = stream[0]!.offset;
    expect(stream.map((e) => e.offset)).toEqual(Array.from({ length: stream.length }, (_, i) => start + i));
    const watched = positioned(watcher).filter((e) => e.offset >= start && e.offset <= stream.at(-1)!.offset);
    expect(watched).toEqual(stream.filter((e) => e.offset >= watched[0]!.offset));

    // The command that ran across the drain: every chunk once, in the store and on the dashboards.
    const get = async (path: string) => fetch(`${b.httpUrl}${path}`, { headers: { authorization: `Bearer ${dashToken}` } });
    expect(await (await get(`/api/commands/${longId}/output`)).text()).toBe(expectedOutput(LINES));
    const long = ((await (await get(`/api/commands/${longId}`)).json()) as { command: { status: string; lastSequence: number } }).command;
    expect(long.status).toBe('completed');
    const sequences = [...chunksOf(first, longId!), ...chunksOf(resumed, longId!)];
    expect(sequences.map((chunk) => chunk.sequence)).toEqual(Array.from({ length: long.lastSequence }, (_, i) => i + 1));
    expect(sequences.map((chunk) => chunk.data).join('')).toBe(expectedOutput(LINES));
    expect(chunksOf(watcher, longId!).map((chunk) => chunk.data).join('')).toBe(expectedOutput(LINES));
    expect(chunksOf(resumed, nextId!).map((chunk) => chunk.data).join('')).toBe('after-the-drain\r\n');
    for (const id of [longId!, nextId!]) expect([...finalStatuses(first, id), ...finalStatuses(resumed, id)], id).toHaveLength(1);
    expect(agent.child.exitCode).toBeNull();
  }, 180_000);
});
