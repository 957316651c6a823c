import { describe, expect, it } from 'vitest';
import { connectRawAgentAs } from '../support/raw-agent.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

describe('a running command\'s terminal: size, input, waiting (protocol 1.x)', () => {
  it('starts the PTY at the requester\'s size, relays resizes and keystrokes to the agent that runs it, and marks a waiting prompt', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken('dana'));
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('box'), 'box', {});
    dashboard.send('command:request', { agentId: 'box', command: 'read -p name? n', priority: 'normal', cols: 103, rows: 41 });
    const execute = await agent.waitFor('command:execute');
    expect(execute.payload).toMatchObject({ cols: 103, rows: 41 });
    const commandId = execute.payload.commandId as string;

    // Not running yet (queued, or sent but not started): a resize has nothing to do, input is refused.
    dashboard.send('terminal:input', { commandId, data: 'early', requestId: 'in-0' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'in-0')).payload).toMatchObject({ code: 'COMMAND_NOT_FOUND' });

    agent.send('command:started', { commandId, pid: 4242 });
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'running');
    dashboard.send('terminal:resize', { commandId, cols: 44, rows: 30 });
    expect((await agent.waitFor('terminal:resize')).payload).toEqual({ commandId, cols: 44, rows: 30 });

    agent.send('command:waiting', { commandId, waiting: true });
    const waiting = await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.waitingForInput === true);
    expect(waiting.payload.status).toBe('running');
    expect(waiting.position).toBeDefined();

    dashboard.send('terminal:input', { commandId, data: 'sekrit\r' });
    expect((await agent.waitFor('terminal:input')).payload).toEqual({ commandId, data: 'sekrit\r' });
    agent.send('command:waiting', { commandId, waiting: false });
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.waitingForInput === false);

    // Audited by size only: what is typed at a prompt may be a password.
    await server.context.audit.flush();
    const entries = await server.context.store.listAudit({ limit: 50 });
    const typed = entries.filter((e) => e.action === 'terminal.input');
    expect(typed).toHaveLength(1);
    expect(typed[0]).toMatchObject({ actor: 'dana', target: commandId, detail: { agentId: 'box', chars: 7 } });
    expect(JSON.stringify(entries)).not.toContain('sekrit');

    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: 0, outcome: 'exited' });
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed');
    dashboard.send('terminal:input', { commandId, data: 'late', requestId: 'in-1' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'in-1')).payload).toMatchObject({
      code: 'COMMAND_NOT_FOUND', message: expect.stringContaining('completed, not running'),
    });
  });

  it('refuses input for an AI agent\'s run and input or sizes the protocol does not allow', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgentAs(server.wsUrl, await server.agentToken('ai'), 'ai', { type: 'claude', cwd: '/tmp' });
    dashboard.send('command:request', { agentId: 'ai', command: 'fix the tests', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });
    await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'running');
    dashboard.send('terminal:input', { commandId, data: 'y\r', requestId: 'ai-in' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'ai-in')).payload).toMatchObject({
      code: 'INVALID_MESSAGE', message: expect.stringContaining('shell commands only'),
    });
    dashboard.send('terminal:input', { commandId, data: 'x'.repeat(4_097), requestId: 'big' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'big')).payload.code).toBe('INVALID_MESSAGE');
    dashboard.send('command:request', { agentId: 'ai', command: 'x', priority: 'low', cols: 10, rows: 5, requestId: 'narrow' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'narrow')).payload.code).toBe('INVALID_MESSAGE');
    expect(agent.messages.filter((m) => m.type === 'terminal:input')).toEqual([]);
  });
});
