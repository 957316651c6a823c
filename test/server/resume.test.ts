import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '@onsembl/server';
import { connectRawAgent } from '../support/raw-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

type Position = { epoch: string; offset: number };

async function resumeAt(wsUrl: string, token: string, resume: Position) {
  const socket = await TestSocket.open(`${wsUrl}/ws/dashboard`);
  socket.send('dashboard:connect', { token, clientInfo: { name: 'resume-test' }, resume });
  return socket;
}

describe('dashboard resume', () => {
  it('replays exactly the events after the position, then continues live with no gap or duplicate', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken();
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('r'));
    const first = await openDashboard(server.wsUrl, token);
    first.send('command:request', { agentId: 'r', command: 'long', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });
    for (let s = 1; s <= 50; s++) agent.send('terminal:output', { commandId, sequence: s, stream: 'stdout', data: `a${s}\n` });
    await first.waitFor('terminal:output', (p) => p.sequence === 50);
    const seen = first.messages.filter((m) => m.position).map((m) => m.position as Position);
    const last = seen.at(-1) as Position;
    expect(seen.map((p) => p.offset)).toEqual(seen.map((_, i) => seen[0]!.offset + i));
    await first[Symbol.asyncDispose]();

    // Missed while away.
    for (let s = 51; s <= 300; s++) agent.send('terminal:output', { commandId, sequence: s, stream: 'stdout', data: `b${s}\n` });
    await agent.waitFor('output:ack', (p) => p.sequence === 300);

    await using back = await resumeAt(server.wsUrl, token, last);
    const ack = await back.waitFor('connection:ack');
    expect(ack.payload).toMatchObject({ recovered: true });
    // Live, while or after the replay runs.
    for (let s = 301; s <= 400; s++) agent.send('terminal:output', { commandId, sequence: s, stream: 'stdout', data: `c${s}\n` });
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 1, lastSequence: 400, outcome: 'exited' });
    await back.waitFor('command:status', (p) => p.status === 'completed');
    const offsets = back.messages.filter((m) => m.position).map((m) => (m.position as Position).offset);
    expect(offsets[0]).toBe(last.offset + 1);
    expect(offsets).toEqual(offsets.map((_, i) => last.offset + 1 + i));
    const sequences = back.messages.filter((m) => m.type === 'terminal:output').map((m) => m.payload.sequence);
    expect(sequences).toEqual(Array.from({ length: 350 }, (_, i) => 51 + i));
    // A resumed session got no fresh agent:list: it already has the state, plus everything since.
    expect(back.messages.filter((m) => m.type === 'agent:list')).toEqual([]);
  });

  it('says recovered: false and sends the current state for another epoch, a future or a purged position', async () => {
    await using server = await startTestServer({ eventRetentionMs: 1, purgeIntervalMs: 20 });
    const token = await server.dashboardToken();
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('s'));
    const { epoch } = (await (await fetch(`${server.httpUrl}/health`)).json()) as { epoch: string };
    for (let i = 0; i < 5; i++) {
      await using d = await openDashboard(server.wsUrl, token);
      d.send('command:request', { agentId: 's', command: `c${i}`, priority: 'low' });
      await d.waitFor('command:queue', (p) => (p.queue as unknown[]).length >= 1);
    }
    await waitUntil('the purge kept only the newest event', async () => {
      const { first, last } = await server.context.store.eventBounds();
      return first === last;
    });
    for (const resume of [{ epoch: 'another-epoch', offset: 1 }, { epoch, offset: 1_000_000 }, { epoch, offset: 1 }]) {
      await using socket = await resumeAt(server.wsUrl, token, resume);
      expect((await socket.waitFor('connection:ack')).payload, JSON.stringify(resume)).toMatchObject({ recovered: false, position: { epoch } });
      const list = await socket.waitFor('agent:list');
      expect(list.payload.agents).toEqual([expect.objectContaining({ id: 's' })]);
      await socket.waitFor('command:queue', (p) => p.agentId === 's');
    }
    expect(agent.ws.readyState).toBe(agent.ws.OPEN);
  });

  it('validates the token before any replay', async () => {
    await using server = await startTestServer();
    await using d = await openDashboard(server.wsUrl, await server.dashboardToken());
    const position = d.messages[0]?.payload.position as Position;
    await using socket = await resumeAt(server.wsUrl, 'not-a-token', position);
    expect((await socket.closed).code).toBe(4001);
    expect(socket.messages.map((m) => m.type)).toEqual(['error']);
  });

  it('replays, after a restart, the agents going offline as the server shut down, however slow the store', async () => {
    await using dir = await tempDir();
    // Storing an agent's record takes 100 ms here (as over a network, PostgreSQL say): its offline
    // status is published only after that.
    const store = new SqliteStore(join(dir.path, 'onsembl.db'));
    const upsertAgent = store.upsertAgent.bind(store);
    store.upsertAgent = async (agent) => {
      await sleep(100);
      return upsertAgent(agent);
    };
    const first = await startTestServer({ dataDir: dir.path, store });
    const token = await first.dashboardToken();
    const dashboard = await openDashboard(first.wsUrl, token);
    const agent = await connectRawAgent(first.wsUrl, await first.agentToken('leaver'));
    await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
    const last = dashboard.messages.filter((m) => m.position).at(-1)!.position as Position;
    await dashboard[Symbol.asyncDispose]();
    await first.close();
    await agent[Symbol.asyncDispose]();

    await using second = await startTestServer({ dataDir: dir.path });
    await using back = await resumeAt(second.wsUrl, token, last);
    expect((await back.waitFor('connection:ack')).payload).toMatchObject({ recovered: true });
    const status = await back.waitFor('agent:status');
    expect(status.payload.agent).toMatchObject({ id: 'leaver', status: 'offline' });
  });
});
