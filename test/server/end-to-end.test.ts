import { describe, expect, it, vi } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';

type Msg = TestSocket['messages'][number];

async function withAgent(server: TestServer, dashboard: TestSocket, name = 'agent-1') {
  const agent = spawnAgent(server.wsUrl, await server.agentToken(name), ['--name', `${name}-display`]);
  await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === name && (p.agent as { status: string }).status === 'online');
  return agent;
}

/** Runs one command and returns every message about it, up to and including its final status. */
async function run(dashboard: TestSocket, agentId: string, command: string, requestId: string) {
  dashboard.send('command:request', { agentId, command, priority: 'normal', requestId });
  const queued = await dashboard.waitFor('command:status', (p) => p.requestId === requestId && p.status === 'queued');
  const commandId = queued.payload.commandId as string;
  const final = await dashboard.waitFor('command:status', (p) => p.commandId === commandId && ['completed', 'failed'].includes(p.status as string));
  const mine = dashboard.messages.filter((m) => (m.payload as { commandId?: string }).commandId === commandId);
  return { commandId, final, mine };
}

const outputOf = (messages: Msg[]) => messages.filter((m) => m.type === 'terminal:output');

describe('end to end: a real agent process running real commands', () => {
  it('plays the spec example session, to every dashboard', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken('alice'));
    await using watcher = await openDashboard(server.wsUrl, await server.dashboardToken('bob'));
    await using _agent = await withAgent(server, dashboard);

    const status = await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
    expect(status.payload.agent).toMatchObject({ id: 'agent-1', name: 'agent-1-display', type: 'shell', status: 'online' });

    const { commandId, final, mine } = await run(dashboard, 'agent-1', 'ls -la /', 'req-1');
    const statuses = mine.filter((m) => m.type === 'command:status').map((m) => m.payload.status);
    expect(statuses).toEqual(['queued', 'running', 'completed']);
    expect(final.payload).toMatchObject({ exitCode: 0, agentId: 'agent-1', durationMs: expect.any(Number) });
    const output = outputOf(mine);
    expect(output.length).toBeGreaterThan(0);
    expect(output.map((m) => m.payload.sequence)).toEqual(output.map((_, i) => i + 1));
    for (const m of output) expect(m.payload).toMatchObject({ commandId, agentId: 'agent-1', stream: 'stdout' });
    expect(output.map((m) => m.payload.data).join('')).toMatch(/^total \d+/);
    // Output arrives between running and the final status.
    const types = mine.map((m) => `${m.type}:${typeof m.payload.status === 'string' ? m.payload.status : ''}`);
    expect(types.indexOf('command:status:running')).toBeLessThan(types.indexOf('terminal:output:'));
    expect(types.lastIndexOf('terminal:output:')).toBeLessThan(types.indexOf('command:status:completed'));

    // The other dashboard saw the same thing.
    await watcher.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed');
    const watched = watcher.messages.filter((m) => (m.payload as { commandId?: string }).commandId === commandId);
    expect(outputOf(watched).map((m) => m.payload.data).join('')).toBe(output.map((m) => m.payload.data).join(''));

    dashboard.send('heartbeat', { sequence: 1 });
    expect((await dashboard.next('heartbeat')).payload).toEqual({ sequence: 1 });
  });

  it('reports a non-zero exit as failed, runs in a real terminal, and shows busy then online', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using _agent = await withAgent(server, dashboard);

    const failed = await run(dashboard, 'agent-1', 'echo oops; exit 3', 'r-fail');
    expect(failed.final.payload).toMatchObject({ status: 'failed', exitCode: 3 });

    const tty = await run(dashboard, 'agent-1', "test -t 1 && printf '\\033[31mred\\033[0m \\xc3\\xa9\\n'", 'r-tty');
    expect(tty.final.payload).toMatchObject({ status: 'completed', exitCode: 0 });
    expect(outputOf(tty.mine).map((m) => m.payload.data).join('')).toContain('\u001b[31mred\u001b[0m é');

    const agentStatuses = () => dashboard.messages
      .filter((m) => m.type === 'agent:status')
      .map((m) => (m.payload.agent as { status: string }).status);
    expect(agentStatuses()).toContain('busy');
    // Idle again once the last command finished.
    await vi.waitFor(() => expect(agentStatuses().at(-1)).toBe('online'));
  });

  it('queues per agent by priority then arrival, with positions, one command at a time', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using _agent = await withAgent(server, dashboard);

    dashboard.send('command:request', { agentId: 'agent-1', command: 'sleep 1', priority: 'low', requestId: 'first' });
    await dashboard.waitFor('command:status', (p) => p.requestId === 'first');
    await dashboard.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 0);
    for (const [requestId, priority] of [['low-1', 'low'], ['normal-1', 'normal'], ['high-1', 'high'], ['low-2', 'low'], ['high-2', 'high']]) {
      dashboard.send('command:request', { agentId: 'agent-1', command: `echo ${requestId}`, priority, requestId });
    }
    const full = await dashboard.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 5);
    expect((full.payload.queue as Array<{ command: string; position: number }>).map((q) => [q.position, q.command])).toEqual([
      [1, 'echo high-1'], [2, 'echo high-2'], [3, 'echo normal-1'], [4, 'echo low-1'], [5, 'echo low-2'],
    ]);
    await dashboard.waitFor('command:status', (p) => p.command === 'echo low-2' && p.status === 'completed', 20_000);
    const started = dashboard.messages
      .filter((m) => m.type === 'command:status' && m.payload.status === 'running')
      .map((m) => m.payload.command);
    expect(started).toEqual(['sleep 1', 'echo high-1', 'echo high-2', 'echo normal-1', 'echo low-1', 'echo low-2']);
    // One at a time: every command finished before the next one started.
    const order = dashboard.messages
      .filter((m) => m.type === 'command:status' && ['running', 'completed'].includes(m.payload.status as string))
      .map((m) => m.payload.status);
    expect(order).toEqual(Array.from({ length: 6 }, () => ['running', 'completed']).flat());
  });

  it('marks the agent offline when its process ends, and it comes back under the same id after a server restart', async () => {
    await using dir = await tempDir();
    await using first = await startTestServer({ dataDir: dir.path });
    const dataDir = dir.path;
    const port = first.port;
    await using dashboard = await openDashboard(first.wsUrl, await first.dashboardToken());
    await using agent = await withAgent(first, dashboard);
    await first.close();
    await using second = await startTestServer({ port, dataDir });
    await using again = await openDashboard(second.wsUrl, await second.dashboardToken());
    // Known from the store, then reconnected by the same agent process.
    await again.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === 'agent-1' && (p.agent as { status: string }).status === 'online', 20_000);
    const { final } = await run(again, 'agent-1', 'echo back', 'r-back');
    expect(final.payload).toMatchObject({ status: 'completed', exitCode: 0 });

    agent.child.kill('SIGKILL');
    await again.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'offline');
    again.send('command:request', { agentId: 'agent-1', command: 'echo nope', priority: 'normal', requestId: 'r-off' });
    expect((await again.waitFor('error', (p) => p.requestId === 'r-off')).payload).toMatchObject({ code: 'AGENT_OFFLINE', recoverable: true });
  });
});
