import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { CloseCode } from '@onsembl/protocol';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';

const agentOf = (p: Record<string, unknown>) => p.agent as { id: string; status: string };

describe('connection lifetime', () => {
  it('closes a silent dashboard (4008) and a silent agent, marking the agent offline for every dashboard', async () => {
    await using server = await startTestServer({ heartbeatTimeoutMs: 400 });
    await using watcher = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using silent = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('quiet'));
    await watcher.waitFor('agent:status', (p) => agentOf(p).id === 'quiet' && agentOf(p).status === 'online');
    // The watcher keeps talking; the others say nothing.
    const keepAlive = setInterval(() => watcher.send('command:interrupt', { commandId: 'ping' }), 100);
    try {
      expect((await silent.closed).code).toBe(CloseCode.heartbeatTimeout);
      expect((await agent.closed).code).toBe(CloseCode.heartbeatTimeout);
      await watcher.waitFor('agent:status', (p) => agentOf(p).id === 'quiet' && agentOf(p).status === 'offline');
      expect(watcher.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      clearInterval(keepAlive);
    }
  });

  it('broadcasts an agent status change as it happens, before anything else is done', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    const sentAt = Date.now();
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('fast'));
    const ack = await agent.waitFor('connection:ack');
    const status = await dashboard.waitFor('agent:status', (p) => agentOf(p).id === 'fast');
    // Built in the same turn as the change, no batching timer: stamped no later than the agent's ack.
    expect(status.timestamp as number).toBeLessThanOrEqual(ack.timestamp as number);
    expect(status.timestamp as number).toBeGreaterThanOrEqual(sentAt);
    // A new agent also changes the list itself.
    const list = await dashboard.waitFor('agent:list', (p) => (p.agents as Array<{ id: string }>).some((a) => a.id === 'fast'));
    expect(list.payload.agents).toEqual([expect.objectContaining({ id: 'fast', status: 'online', name: 'raw-agent', type: 'shell' })]);
  });

  it('refuses an agent output chunk over 10 KB of UTF-8 (multi-byte characters count as bytes)', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('big'));
    dashboard.send('command:request', { agentId: 'big', command: 'x', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'é'.repeat(6_000) }); // 12,000 bytes
    expect((await agent.waitFor('error')).payload).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringContaining('10 KB') });
    agent.send('terminal:output', { commandId, sequence: 1, stream: 'stdout', data: 'é'.repeat(5_000) });
    expect((await dashboard.waitFor('terminal:output')).payload.sequence).toBe(1);
  });

  it('keeps a session alive past its first token with token:refresh, and ends one that does not refresh', async () => {
    await using server = await startTestServer();
    await using refreshed = await openDashboard(server.wsUrl, await server.dashboardToken('carol', 2));
    await using lapsed = await openDashboard(server.wsUrl, await server.dashboardToken('dave', 2));
    refreshed.send('token:refresh', { token: await server.dashboardToken('carol', 3600), requestId: 'rf' });
    const confirmation = await refreshed.waitFor('token:refreshed');
    expect(confirmation.payload).toMatchObject({ requestId: 'rf', expiresAt: expect.any(Number) });
    expect(confirmation.payload.expiresAt as number).toBeGreaterThan(Date.now() + 3_000_000);

    refreshed.send('token:refresh', { token: await server.dashboardToken('mallory', 3600), requestId: 'other-id' });
    expect((await refreshed.waitFor('error', (p) => p.requestId === 'other-id')).payload).toMatchObject({ code: 'AUTH_FAILED' });
    refreshed.send('token:refresh', { token: await server.agentToken('carol', 3600), requestId: 'other-role' });
    expect((await refreshed.waitFor('error', (p) => p.requestId === 'other-role')).payload).toMatchObject({ code: 'AUTH_FAILED' });

    const end = await lapsed.closed;
    expect(end.code).toBe(CloseCode.tokenExpired);
    expect(lapsed.messages.at(-1)).toMatchObject({ type: 'error', payload: { code: 'AUTH_FAILED', recoverable: false } });
    expect(refreshed.ws.readyState).toBe(WebSocket.OPEN);
    refreshed.send('command:interrupt', { commandId: 'still-here' });
    await refreshed.waitFor('error', (p) => String(p.message).includes('still-here'));
  });

  it('refuses a browser upgrade from a foreign Origin with 403 and allows its own and allowlisted ones', async () => {
    await using server = await startTestServer({ allowedOrigins: ['https://ops.example.com'] });
    const url = `${server.wsUrl}/ws/dashboard?token=${await server.dashboardToken()}`;
    await expect(TestSocket.open(url, { origin: 'https://evil.example.com' })).rejects.toThrow('HTTP 403');
    await using own = await TestSocket.open(url, { origin: server.httpUrl });
    await own.waitFor('agent:list');
    await using listed = await TestSocket.open(url, { origin: 'https://ops.example.com' });
    await listed.waitFor('agent:list');
  });
});

describe('queue, interrupt and emergency stop (server side)', () => {
  it('refuses a request past the queue capacity with QUEUE_FULL', async () => {
    await using server = await startTestServer({ queueCapacity: 2 });
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('busy'));
    for (const id of ['a', 'b', 'c', 'd']) dashboard.send('command:request', { agentId: 'busy', command: `echo ${id}`, priority: 'normal', requestId: id });
    await agent.waitFor('command:execute'); // 'a' went to the agent; 'b' and 'c' wait
    const full = await dashboard.waitFor('error', (p) => p.requestId === 'd');
    expect(full.payload).toMatchObject({ code: 'QUEUE_FULL', recoverable: true });
    const queue = await dashboard.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 2);
    expect((queue.payload.queue as Array<{ position: number }>).map((q) => q.position)).toEqual([1, 2]);
  });

  it('cancels a queued command, interrupts a running one, and names unknown or finished commands', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('w'));
    dashboard.send('command:request', { agentId: 'w', command: 'sleep 30', priority: 'normal', requestId: 'run' });
    dashboard.send('command:request', { agentId: 'w', command: 'echo later', priority: 'normal', requestId: 'wait' });
    const execute = await agent.waitFor('command:execute');
    const running = execute.payload.commandId as string;
    agent.send('command:started', { commandId: running, pid: 1234 });
    const waiting = (await dashboard.waitFor('command:status', (p) => p.requestId === 'wait')).payload.commandId as string;

    dashboard.send('command:interrupt', { commandId: waiting });
    await dashboard.waitFor('command:status', (p) => p.commandId === waiting && p.status === 'cancelled');
    await dashboard.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 0);

    dashboard.send('command:interrupt', { commandId: running });
    expect((await agent.waitFor('command:interrupt')).payload).toEqual({ commandId: running, reason: 'user' });
    agent.send('command:exit', { commandId: running, exitCode: 130, signal: null, durationMs: 5, lastSequence: 0, outcome: 'interrupted' });
    await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'cancelled');

    dashboard.send('command:interrupt', { commandId: running, requestId: 'again' });
    const finished = await dashboard.waitFor('error', (p) => p.requestId === 'again');
    expect(finished.payload).toMatchObject({ code: 'COMMAND_NOT_FOUND', recoverable: true });
    expect(String(finished.payload.message)).toContain('already finished');
    dashboard.send('command:interrupt', { commandId: 'cmd-nope', requestId: 'unknown' });
    expect(String((await dashboard.waitFor('error', (p) => p.requestId === 'unknown')).payload.message)).toContain('unknown');
  });

  it('emergency stop empties every queue and interrupts every running command, and every dashboard hears it', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken('boss'));
    await using watcher = await openDashboard(server.wsUrl, await server.dashboardToken('other'));
    await using one = await connectRawAgent(server.wsUrl, await server.agentToken('one'));
    await using two = await connectRawAgent(server.wsUrl, await server.agentToken('two'));
    for (const agentId of ['one', 'two']) {
      for (let i = 0; i < 3; i++) dashboard.send('command:request', { agentId, command: `work ${i}`, priority: 'normal' });
    }
    await one.waitFor('command:execute');
    await two.waitFor('command:execute');
    await dashboard.waitFor('command:queue', (p) => p.agentId === 'two' && (p.queue as unknown[]).length === 2);
    dashboard.send('emergency:stop', { reason: 'drill', requestId: 'stop' });
    const heard = await watcher.waitFor('emergency:stop');
    expect(heard.payload).toMatchObject({ requestedBy: 'boss', reason: 'drill' });
    expect(heard.payload.cancelled as string[]).toHaveLength(4);
    expect(heard.payload.interrupted as string[]).toHaveLength(2);
    expect((await one.waitFor('command:interrupt')).payload.reason).toBe('emergency');
    expect((await two.waitFor('command:interrupt')).payload.reason).toBe('emergency');
    const cancelled = watcher.messages.filter((m) => m.type === 'command:status' && m.payload.status === 'cancelled');
    expect(cancelled).toHaveLength(4);
  });
});
