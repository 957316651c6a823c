import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@onsembl/protocol';
import { MemoryBus, SqliteStore, type ServerOptions } from '@onsembl/server';
import { failingStore } from '../support/failing-store.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

type Position = { epoch: string; offset: number };
type HealthBody = { status: string; down?: Record<string, { error: string; since: number; failing: string[] }> };

const health = async (server: TestServer) => {
  const res = await fetch(`${server.httpUrl}/health`);
  return { status: res.status, body: (await res.json()) as HealthBody };
};

async function setUp(dir: string, options: Partial<ServerOptions> = {}) {
  const failing = failingStore(new SqliteStore(join(dir, 'onsembl.db')));
  const server = await startTestServer({ dataDir: dir, store: failing.store, ...options });
  return { failing, server };
}

/** A dashboard, a raw agent `a`, and one command the agent started. */
async function running(server: TestServer) {
  const dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
  const agent = await connectRawAgent(server.wsUrl, await server.agentToken('a'));
  await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
  dashboard.send('command:request', { agentId: 'a', command: 'work', priority: 'normal', requestId: 'first' });
  const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
  agent.send('command:started', { commandId, pid: 1 });
  return { dashboard, agent, commandId };
}

const outputAcks = (agent: TestSocket, commandId: string) =>
  agent.messages.filter((m) => m.type === 'output:ack' && m.payload.commandId === commandId).map((m) => m.payload.sequence as number);

describe('when the store fails (one failure policy: docs/delivery.md)', () => {
  it('retries output and final states, acknowledges neither before it is stored, and /health answers 503 naming the store meanwhile', async () => {
    await using dir = await tempDir();
    const { failing, server } = await setUp(dir.path);
    await using _server = server;
    const { dashboard, agent, commandId } = await running(server);
    await using _d = dashboard;
    await using _a = agent;
    agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'one\n' });
    await agent.waitFor('output:ack', (p) => p.sequence === 1);
    expect((await health(server)).status).toBe(200);

    failing.fail('appendOutput');
    for (let s = 2; s <= 5; s++) agent.send('terminal:output', { commandId, sequence: s, stream: 'stdout', data: `line ${s}\n` });
    await dashboard.waitFor('terminal:output', (p) => p.sequence === 5);
    await waitUntil('the batch was retried', () => failing.failures('appendOutput') >= 3);
    const down = await health(server);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.down?.store).toMatchObject({ failing: ['appendOutput'], error: expect.stringContaining('disk I/O error') });
    // A resend of what is waiting is not acknowledged either (it is not stored yet).
    agent.send('terminal:output', { commandId, sequence: 3, stream: 'stdout', data: 'line 3\n' });
    await waitUntil('another retry', () => failing.failures('appendOutput') >= 4);
    expect(Math.max(...outputAcks(agent, commandId))).toBe(1);

    failing.heal();
    await agent.waitFor('output:ack', (p) => p.sequence === 5);
    await waitUntil('/health is 200 again', async () => (await health(server)).status === 200);

    // The final state: not told to anyone, nor acknowledged to the agent, before it is stored.
    failing.fail('updateCommand');
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: 5, outcome: 'exited' });
    await waitUntil('the final state was retried', () => failing.failures('updateCommand') >= 3);
    expect(agent.messages.some((m) => m.type === 'command:ack' && m.payload.commandId === commandId)).toBe(false);
    expect(dashboard.messages.some((m) => m.type === 'command:status' && m.payload.status === 'completed')).toBe(false);
    expect((await health(server)).body.down?.store?.failing).toEqual(['updateCommand']);
    failing.heal();
    await agent.waitFor('command:ack', (p) => p.commandId === commandId);
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed');

    const token = await server.dashboardToken();
    const stored = await fetch(`${server.httpUrl}/api/commands/${commandId}/output`, { headers: { Authorization: `Bearer ${token}` } });
    expect(await stored.text()).toBe('one\nline 2\nline 3\nline 4\nline 5\n');
  });

  it('refuses a command request it cannot store, with STORE_UNAVAILABLE, and never dispatches it', async () => {
    await using dir = await tempDir();
    const { failing, server } = await setUp(dir.path);
    await using _server = server;
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('a'));
    await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');

    failing.fail('createCommand');
    dashboard.send('command:request', { agentId: 'a', command: 'echo refused', priority: 'high', requestId: 'r1' });
    const refused = await dashboard.waitFor('error', (p) => p.requestId === 'r1');
    expect(refused.payload).toMatchObject({ code: 'STORE_UNAVAILABLE', recoverable: true, agentId: 'a' });
    expect((await health(server)).body.down?.store?.failing).toEqual(['createCommand']);

    failing.heal();
    dashboard.send('command:request', { agentId: 'a', command: 'echo accepted', priority: 'low', requestId: 'r2' });
    const execute = await agent.waitFor('command:execute');
    expect(execute.payload.command).toBe('echo accepted');
    await dashboard.waitFor('command:status', (p) => p.requestId === 'r2');
    expect(dashboard.messages.filter((m) => m.type === 'command:status' && m.payload.requestId === 'r1')).toEqual([]);
    expect(agent.messages.filter((m) => m.type === 'command:execute')).toHaveLength(1);
    // The next createCommand worked, so the store counts as up again.
    await waitUntil('/health is 200 again', async () => (await health(server)).status === 200);
  });

  it('keeps events it could not store and stores them later: no resume while they are missing, a complete one after', async () => {
    await using dir = await tempDir();
    const { failing, server } = await setUp(dir.path);
    await using _server = server;
    const { dashboard, agent, commandId } = await running(server);
    await using _d = dashboard;
    await using _a = agent;
    agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'before\n' });
    const before = (await dashboard.waitFor('terminal:output', (p) => p.sequence === 1)).position as Position;

    failing.fail('appendEvents');
    for (let s = 2; s <= 20; s++) agent.send('terminal:output', { commandId, sequence: s, stream: 'stdout', data: `during ${s}\n` });
    await dashboard.waitFor('terminal:output', (p) => p.sequence === 20);
    await waitUntil('the events were retried', () => failing.failures('appendEvents') >= 3);
    const token = await server.dashboardToken();
    await using early = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    early.send('dashboard:connect', { token, clientInfo: {}, resume: before });
    expect((await early.closed).code).toBe(CloseCode.serverError);
    expect(early.messages.filter((m) => m.type === 'connection:ack')).toEqual([]);

    failing.heal();
    // Up again once the retried write went through (until then a resume is still sent away).
    await waitUntil('/health is 200 again', async () => (await health(server)).status === 200);
    await using late = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    late.send('dashboard:connect', { token, clientInfo: {}, resume: before });
    expect((await late.waitFor('connection:ack')).payload).toMatchObject({ recovered: true });
    await late.waitFor('terminal:output', (p) => p.sequence === 20);
    const offsets = late.messages.filter((m) => m.position).map((m) => (m.position as Position).offset);
    expect(offsets).toEqual(offsets.map((_, i) => before.offset + 1 + i));
    expect(late.messages.filter((m) => m.type === 'terminal:output').map((m) => m.payload.sequence)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
  });

  it('shuts down in bounded time with the store down, and the lost positions make the next start take a new epoch', async () => {
    await using dir = await tempDir();
    const { failing, server } = await setUp(dir.path, { shutdownFlushMs: 300 });
    const epoch = server.context.store.epoch;
    const { dashboard, agent, commandId } = await running(server);
    await using _d = dashboard;
    await using _a = agent;
    failing.fail('appendEvents', 'appendOutput', 'updateCommand', 'upsertAgent', 'appendAudit');
    agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'never stored\n' });
    await dashboard.waitFor('terminal:output', (p) => p.sequence === 1);
    await waitUntil('writes are failing', () => failing.failures('appendEvents') >= 2);
    await server.close();
    const reopened = new SqliteStore(join(dir.path, 'onsembl.db'));
    expect(reopened.epoch).not.toBe(epoch);
    await reopened.close();
    // A clean close keeps it.
    const again = new SqliteStore(join(dir.path, 'onsembl.db'));
    expect(again.epoch).toBe(reopened.epoch);
    await again.close();
  });

  it('keeps serving when bus publishes fail, and /health names the bus until it works again', async () => {
    class FlakyBus extends MemoryBus {
      failing = false;
      override async publish(topic: string, message: string): Promise<void> {
        if (this.failing) throw new Error('bus connection lost');
        return super.publish(topic, message);
      }
    }
    const bus = new FlakyBus();
    await using server = await startTestServer({ bus });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('a'));
    await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
    bus.failing = true;
    dashboard.send('command:request', { agentId: 'a', command: 'echo through', priority: 'normal', requestId: 'b1' });
    // Stored and dispatched although no event could be published (nor become an unhandled rejection).
    await agent.waitFor('command:execute', (p) => p.command === 'echo through');
    const down = await health(server);
    expect(down.status).toBe(503);
    expect(down.body.down?.bus).toMatchObject({ failing: ['publish'], error: 'bus connection lost' });
    expect(down.body.down?.store).toBeUndefined();
    bus.failing = false;
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 }); // its status is published, and the bus is seen working
    await waitUntil('/health is 200 again', async () => (await health(server)).status === 200);
  });
});

