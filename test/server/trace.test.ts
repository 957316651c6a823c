import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { HistoryCommand, Limits, TracePageResponse, type TraceEvent } from '@onsembl/protocol';
import { SqliteStore } from '@onsembl/server';
import { failingStore } from '../support/failing-store.js';
import { connectRawAgentAs } from '../support/raw-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';
import { finalStatus, sendExit, sendTrace, startRun, totalsOf, trace } from '../support/trace-events.js';
import { waitUntil } from '../support/wait-until.js';

type Position = { epoch: string; offset: number };

const api = async (server: TestServer, path: string) => {
  const res = await fetch(`${server.httpUrl}${path}`, { headers: { Authorization: `Bearer ${await server.dashboardToken()}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Sequences of the trace:event messages a socket received for a command, in arrival order. */
const traceSequences = (socket: TestSocket, commandId: string) =>
  socket.messages.filter((m) => m.type === 'trace:event' && m.payload.commandId === commandId).map((m) => m.payload.sequence as number);

const RUN: TraceEvent[] = [
  trace.session('sess-1'),
  trace.message('I will list the files.'),
  trace.toolCall('toolu_1'),
  trace.toolResult('toolu_1'),
  trace.usage(100, 20, 0.01),
  trace.message('There is one file, README.md.'),
  trace.usage(150, 40, 0.02),
  trace.result(),
];

/** A store whose trace writes wait for `open()`, and that records each write once done. */
function gatedStore(dir: string) {
  const store = new SqliteStore(join(dir, 'onsembl.db'));
  const append = store.appendTrace.bind(store);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const written: number[] = [];
  store.appendTrace = async (records) => {
    await gate;
    await append(records);
    written.push(...records.map((r) => r.sequence));
  };
  return { store, open, written };
}

describe('trace events of AI runs', () => {
  it('broadcasts them with positions at once, acknowledges only what is stored, drops duplicates, and finishes with the run', async () => {
    await using dir = await tempDir();
    const { store, open, written } = gatedStore(dir.path);
    await using server = await startTestServer({ dataDir: dir.path, store });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('claude-1'), 'claude one', { type: 'claude', cwd: '/work/repo', model: 'sonnet' });
    const { commandId } = await startRun(dashboard, agent, 'claude-1');
    sendTrace(agent, commandId, RUN);
    await dashboard.waitFor('trace:event', (p) => p.sequence === RUN.length);
    // Dashboards have them; the store has not written them, so the agent has no acknowledgement.
    expect(written).toEqual([]);
    expect(agent.messages.filter((m) => m.type === 'trace:ack')).toEqual([]);
    // Resent before they are stored: dropped, and acknowledged by the write they wait in.
    sendTrace(agent, commandId, RUN.slice(1, 3), 2);
    open();
    await agent.waitFor('trace:ack', (p) => p.sequence === RUN.length);
    // Resent once stored: acknowledged at once, never stored or broadcast again.
    sendTrace(agent, commandId, RUN.slice(0, 1), 1);
    const acksOfAll = () => agent.messages.filter((m) => m.type === 'trace:ack' && m.payload.sequence === RUN.length).length;
    await agent.waitFor('trace:ack', () => acksOfAll() === 2);
    expect(written).toEqual(RUN.map((_, i) => i + 1));

    const received = dashboard.messages.filter((m) => m.type === 'trace:event');
    expect(received.map((m) => m.payload)).toEqual(RUN.map((event, i) => ({ commandId, agentId: 'claude-1', sequence: i + 1, event })));
    const offsets = received.map((m) => (m.position as Position).offset);
    expect(offsets.every((o, i) => i === 0 || o > (offsets[i - 1] as number))).toBe(true);

    // The session event makes its session, model and cwd the agent's.
    const status = await dashboard.waitFor('agent:status', (p) => (p.agent as { sessionId?: string }).sessionId === 'sess-1');
    expect(status.payload.agent).toMatchObject({ id: 'claude-1', sessionId: 'sess-1', model: 'claude-sonnet-4-5', cwd: '/work/repo' });

    sendExit(agent, commandId, { lastTraceSequence: RUN.length, sessionId: 'sess-1', message: 'done in 2 turns' });
    const final = await finalStatus(dashboard, commandId);
    expect(final.payload).toMatchObject({
      status: 'completed', sessionId: 'sess-1', stopReason: 'completed', lastTraceSequence: RUN.length,
      usage: totalsOf(RUN), message: 'done in 2 turns', lastSequence: 0,
    });
    await agent.waitFor('command:ack', (p) => p.commandId === commandId);

    const page = await api(server, `/api/commands/${commandId}/trace`);
    expect(page.status).toBe(200);
    expect(Value.Errors(TracePageResponse, page.body).First()).toBeUndefined(); // the published response schema
    expect(page.body).toEqual({
      commandId, status: 'completed', lastSequence: RUN.length, complete: true,
      events: RUN.map((event, i) => ({ sequence: i + 1, event })),
    });
    const middle = await api(server, `/api/commands/${commandId}/trace?after=3&limit=2`);
    expect(middle.body).toMatchObject({ complete: false, events: [{ sequence: 4, event: RUN[3] }, { sequence: 5, event: RUN[4] }] });
    expect((await api(server, `/api/commands/${commandId}/trace?after=6`)).body).toMatchObject({ complete: true, events: [{ sequence: 7 }, { sequence: 8 }] });
    expect((await api(server, '/api/commands/cmd-unknown/trace')).status).toBe(404);
    expect((await api(server, `/api/commands/${commandId}/trace?limit=0`)).status).toBe(400);
    const anonymous = await fetch(`${server.httpUrl}/api/commands/${commandId}/trace`);
    expect(anonymous.status).toBe(401);

    const { command } = (await api(server, `/api/commands/${commandId}`)).body as { command: Record<string, unknown> };
    expect(command).toMatchObject({ sessionId: 'sess-1', stopReason: 'completed', lastTraceSequence: RUN.length, usage: totalsOf(RUN) });
    expect(Value.Errors(HistoryCommand, command).First()).toBeUndefined();
  });

  it("holds a command's final state until its trace up to the exit is stored", async () => {
    await using dir = await tempDir();
    const store = new SqliteStore(join(dir.path, 'onsembl.db'));
    const order: string[] = [];
    const append = store.appendTrace.bind(store);
    store.appendTrace = async (records) => {
      await sleep(100); // a slow store (as over a network)
      await append(records);
      order.push(...records.map((r) => `trace ${r.sequence}`));
    };
    const update = store.updateCommand.bind(store);
    store.updateCommand = async (id, patch) => {
      if (patch.status === 'completed') order.push('final state');
      return update(id, patch);
    };
    await using server = await startTestServer({ dataDir: dir.path, store });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('slow'), 'slow', { type: 'claude' });
    const { commandId } = await startRun(dashboard, agent, 'slow');
    sendTrace(agent, commandId, RUN);
    sendExit(agent, commandId, { lastTraceSequence: RUN.length });
    await finalStatus(dashboard, commandId);
    expect(order).toEqual([...RUN.map((_, i) => `trace ${i + 1}`), 'final state']);
  });

  it('never acknowledges what a failing store did not write; retried, it is stored and acknowledged once the store is back', async () => {
    await using dir = await tempDir();
    const failing = failingStore(new SqliteStore(join(dir.path, 'onsembl.db')));
    await using server = await startTestServer({ dataDir: dir.path, store: failing.store });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    const token = await server.agentToken('flaky');
    const first = await connectRawAgentAs(server.wsUrl, token, 'flaky', { type: 'claude' });
    const { commandId } = await startRun(dashboard, first, 'flaky');
    sendTrace(first, commandId, RUN.slice(0, 3));
    await first.waitFor('trace:ack', (p) => p.sequence === 3);

    failing.fail('appendTrace');
    sendTrace(first, commandId, RUN.slice(3, 6), 4);
    await dashboard.waitFor('trace:event', (p) => p.sequence === 6); // dashboards have them live
    await waitUntil('the trace write failed and was retried', () => failing.failures('appendTrace') >= 3);
    // Nothing past 3 acknowledged (3 may have come in one ack or several).
    expect(Math.max(...first.messages.filter((m) => m.type === 'trace:ack').map((m) => m.payload.sequence as number))).toBe(3);
    // The agent connection drops meanwhile; the new one resends what was not acknowledged.
    await first[Symbol.asyncDispose]();
    await using second = await connectRawAgentAs(server.wsUrl, token, 'flaky', {
      type: 'claude', running: [{ commandId, lastSequence: 0, finished: false, lastTraceSequence: 6 }],
    });
    sendTrace(second, commandId, RUN.slice(3), 4); // the unacknowledged 4-6 (duplicates now), then the new 7-8
    await dashboard.waitFor('trace:event', (p) => p.sequence === RUN.length);
    expect(second.messages.filter((m) => m.type === 'trace:ack')).toEqual([]);

    failing.heal();
    await second.waitFor('trace:ack', (p) => p.sequence === RUN.length);
    sendExit(second, commandId, { lastTraceSequence: RUN.length });
    expect((await finalStatus(dashboard, commandId)).payload).toMatchObject({ status: 'completed', usage: totalsOf(RUN) });
    expect(traceSequences(dashboard, commandId)).toEqual(RUN.map((_, i) => i + 1));
    const page = await api(server, `/api/commands/${commandId}/trace`);
    expect(page.body.events).toEqual(RUN.map((event, i) => ({ sequence: i + 1, event })));
    expect(page.body.complete).toBe(true);
    expect(((await api(server, `/api/commands/${commandId}`)).body.command as Record<string, unknown>).usage).toEqual(totalsOf(RUN));
  });

  it('holds the final state of a run whose trace the store cannot take yet, and finishes it once stored', async () => {
    await using dir = await tempDir();
    const failing = failingStore(new SqliteStore(join(dir.path, 'onsembl.db')));
    await using server = await startTestServer({ dataDir: dir.path, store: failing.store });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('held'), 'held', { type: 'gemini' });
    const { commandId } = await startRun(dashboard, agent, 'held');
    failing.fail('appendTrace');
    sendTrace(agent, commandId, RUN);
    sendExit(agent, commandId, { lastTraceSequence: RUN.length });
    await dashboard.waitFor('trace:event', (p) => p.sequence === RUN.length);
    await waitUntil('the trace write failed and was retried', () => failing.failures('appendTrace') >= 3);
    expect(agent.messages.filter((m) => m.type === 'command:ack' || m.type === 'trace:ack')).toEqual([]);
    expect(dashboard.messages.filter((m) => m.type === 'command:status' && m.payload.status === 'completed')).toEqual([]);

    failing.heal();
    await agent.waitFor('command:ack', (p) => p.commandId === commandId);
    expect((await finalStatus(dashboard, commandId)).payload).toMatchObject({ status: 'completed', lastTraceSequence: RUN.length });
    expect(agent.messages.filter((m) => m.type === 'trace:ack').at(-1)?.payload.sequence).toBe(RUN.length);
    expect(((await api(server, `/api/commands/${commandId}/trace`)).body.events as unknown[]).length).toBe(RUN.length);
  });

  it('replays trace events to a dashboard that reconnects, with output, no gap and no duplicate', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken();
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('r1'), 'r1', { type: 'codex' });
    const first = await openDashboard(server.wsUrl, token);
    const { commandId } = await startRun(first, agent, 'r1');
    const events = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? trace.toolCall(`t${i}`) : trace.message(`step ${i}`)));
    for (let i = 0; i < 100; i++) {
      agent.send('trace:event', { commandId, sequence: i + 1, event: events[i] });
      agent.send('terminal:output', { commandId, sequence: i + 1, stream: 'stdout', data: `line ${i + 1}\n` });
    }
    await first.waitFor('trace:event', (p) => p.sequence === 100);
    const last = first.messages.filter((m) => m.position).at(-1)?.position as Position;
    await first[Symbol.asyncDispose]();

    for (let i = 100; i < 200; i++) sendTrace(agent, commandId, [events[i] as TraceEvent], i + 1); // missed while away
    await agent.waitFor('trace:ack', (p) => p.sequence === 200);
    await using back = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    back.send('dashboard:connect', { token, clientInfo: { name: 'trace-resume' }, resume: last });
    expect((await back.waitFor('connection:ack')).payload).toMatchObject({ recovered: true });
    for (let i = 200; i < 300; i++) sendTrace(agent, commandId, [events[i] as TraceEvent], i + 1); // live, during or after the replay
    sendExit(agent, commandId, { lastSequence: 100, lastTraceSequence: 300 });
    await finalStatus(back, commandId);

    const offsets = back.messages.filter((m) => m.position).map((m) => (m.position as Position).offset);
    expect(offsets).toEqual(offsets.map((_, i) => last.offset + 1 + i));
    expect(traceSequences(back, commandId)).toEqual(Array.from({ length: 200 }, (_, i) => 101 + i));
    const replayed = back.messages.filter((m) => m.type === 'trace:event');
    expect(replayed.map((m) => m.payload.event)).toEqual(events.slice(100));
  });

  it('replays trace events after a server restart, and keeps the agent session for its next prompt', async () => {
    await using dir = await tempDir();
    const first = await startTestServer({ dataDir: dir.path });
    const token = await first.dashboardToken();
    const agentToken = await first.agentToken('keeper');
    const before = await openDashboard(first.wsUrl, token);
    const agent = await connectRawAgentAs(first.wsUrl, agentToken, 'keeper', { type: 'claude' });
    await before.waitFor('agent:status', (p) => (p.agent as { id: string }).id === 'keeper');
    const from = before.messages.filter((m) => m.position).at(-1)?.position as Position;
    await before[Symbol.asyncDispose]();
    const watcher = await openDashboard(first.wsUrl, token);
    const { commandId } = await startRun(watcher, agent, 'keeper');
    sendTrace(agent, commandId, RUN);
    sendExit(agent, commandId, { lastTraceSequence: RUN.length, sessionId: 'sess-1' });
    await finalStatus(watcher, commandId);
    const live = watcher.messages.filter((m) => m.type === 'trace:event');
    await watcher[Symbol.asyncDispose]();
    await agent[Symbol.asyncDispose]();
    await first.close();

    await using second = await startTestServer({ dataDir: dir.path });
    await using back = await TestSocket.open(`${second.wsUrl}/ws/dashboard`);
    back.send('dashboard:connect', { token, clientInfo: { name: 'after-restart' }, resume: from });
    expect((await back.waitFor('connection:ack')).payload).toMatchObject({ recovered: true });
    await finalStatus(back, commandId);
    await back.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'offline');
    const replayed = back.messages.filter((m) => m.type === 'trace:event');
    // The same events at the same positions as they were sent live.
    expect(replayed.map((m) => [m.position, m.payload])).toEqual(live.map((m) => [m.position, m.payload]));
    const offsets = back.messages.filter((m) => m.position).map((m) => (m.position as Position).offset);
    expect(offsets).toEqual(offsets.map((_, i) => from.offset + 1 + i));

    // The agent comes back without saying which session it is in: the stored one is continued.
    await using again = await connectRawAgentAs(second.wsUrl, agentToken, 'keeper', { type: 'claude' });
    await using dashboard = await openDashboard(second.wsUrl, token);
    expect((dashboard.messages.find((m) => m.type === 'agent:list')?.payload.agents as unknown[])).toEqual([
      expect.objectContaining({ id: 'keeper', sessionId: 'sess-1', model: 'claude-sonnet-4-5', cwd: '/work/repo' }),
    ]);
    const next = await startRun(dashboard, again, 'keeper');
    expect(next.execute.resumeSessionId).toBe('sess-1');
  });

  it('refuses an oversized or malformed trace event with INVALID_MESSAGE, and lets an agent forget one of a finished command', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('bad'), 'bad', { type: 'claude' });
    const { commandId } = await startRun(dashboard, agent, 'bad');
    const huge = { kind: 'tool_call', at: 1, toolId: 't', name: 'Write', input: { content: 'x'.repeat(Limits.traceEventMaxBytes) }, summary: 'Write' };
    agent.send('trace:event', { commandId, sequence: 1, event: huge });
    expect((await agent.waitFor('error')).payload).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('KB'), commandId });
    agent.send('trace:event', { commandId, sequence: 1, event: { kind: 'telemetry', at: 1 } });
    await agent.waitFor('error', (p) => String(p.message).includes('trace:event'));
    sendTrace(agent, commandId, [trace.message('still fine')]);
    expect((await dashboard.waitFor('trace:event')).payload).toMatchObject({ sequence: 1, event: trace.message('still fine') });
    sendExit(agent, commandId, { lastTraceSequence: 1 });
    await finalStatus(dashboard, commandId);
    sendTrace(agent, commandId, [trace.message('late')], 2);
    await agent.waitFor('command:ack', (p) => p.commandId === commandId && agent.messages.filter((m) => m.type === 'command:ack').length >= 2);
    expect(traceSequences(dashboard, commandId)).toEqual([1]);
  });
});
