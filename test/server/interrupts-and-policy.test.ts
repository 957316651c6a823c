import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';

async function setup(server: TestServer, args: string[] = []) {
  const dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
  const agent = spawnAgent(server.wsUrl, await server.agentToken('worker'), args);
  await dashboard.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
  return { dashboard, agent };
}

async function request(dashboard: TestSocket, command: string, requestId: string, extra: Record<string, unknown> = {}) {
  dashboard.send('command:request', { agentId: 'worker', command, priority: 'normal', requestId, ...extra });
  return (await dashboard.waitFor('command:status', (p) => p.requestId === requestId)).payload.commandId as string;
}

describe('interrupts, timeouts and policy through a real agent', () => {
  it('interrupts a flooding command: it ends cancelled and its output stops', async () => {
    await using server = await startTestServer();
    const { dashboard, agent } = await setup(server);
    await using _d = dashboard;
    await using _a = agent;
    const id = await request(dashboard, "trap '' INT; yes 'flood flood flood'", 'flood');
    await dashboard.waitFor('terminal:output', (p) => p.commandId === id && (p.sequence as number) >= 20);
    dashboard.send('command:interrupt', { commandId: id });
    const final = await dashboard.waitFor('command:status', (p) => p.commandId === id && p.status === 'cancelled', 15_000);
    expect(final.payload.signal ?? final.payload.exitCode).toBeTruthy();
    const outputCount = () => dashboard.messages.filter((m) => m.type === 'terminal:output' && m.payload.commandId === id).length;
    const count = outputCount();
    // A deliberate window: it proves that nothing arrives, which no condition can be polled for.
    await new Promise((r) => setTimeout(r, 500));
    expect(outputCount()).toBe(count);
    // The agent is free again and runs the next command; still nothing of the flood came before it.
    const next = await request(dashboard, 'echo after', 'after');
    await dashboard.waitFor('command:status', (p) => p.commandId === next && p.status === 'completed');
    expect(outputCount()).toBe(count);
  });

  it('ends a command past its timeoutMs with status timeout and COMMAND_TIMEOUT to every dashboard', async () => {
    await using server = await startTestServer();
    const { dashboard, agent } = await setup(server);
    await using _d = dashboard;
    await using _a = agent;
    await using watcher = await openDashboard(server.wsUrl, await server.dashboardToken('watcher'));
    const id = await request(dashboard, 'sleep 30', 'slow', { timeoutMs: 300 });
    const final = await dashboard.waitFor('command:status', (p) => p.commandId === id && p.status === 'timeout', 15_000);
    expect(final.payload.message).toContain('timed out');
    for (const d of [dashboard, watcher]) {
      expect((await d.waitFor('error', (p) => p.commandId === id)).payload).toMatchObject({ code: 'COMMAND_TIMEOUT', recoverable: true, agentId: 'worker' });
    }
  });

  it('applies the server default timeout to a request that names none', async () => {
    await using server = await startTestServer({ defaultTimeoutMs: 300 });
    const { dashboard, agent } = await setup(server);
    await using _d = dashboard;
    await using _a = agent;
    const id = await request(dashboard, 'sleep 30', 'default');
    await dashboard.waitFor('command:status', (p) => p.commandId === id && p.status === 'timeout', 15_000);
  });

  it('never runs a command the agent policy denies, and says so clearly', async () => {
    await using dir = await tempDir();
    await using server = await startTestServer();
    const { dashboard, agent } = await setup(server, ['--deny', 'touch *', '--deny', 'rm *']);
    await using _d = dashboard;
    await using _a = agent;
    const marker = join(dir.path, 'must-not-exist');
    const id = await request(dashboard, `touch ${marker}`, 'denied');
    const final = await dashboard.waitFor('command:status', (p) => p.commandId === id && p.status === 'failed');
    expect(String(final.payload.message)).toMatch(/deny|denied|policy/i);
    expect((await dashboard.waitFor('error', (p) => p.commandId === id)).payload).toMatchObject({ code: 'COMMAND_DENIED', recoverable: true });
    expect(existsSync(marker)).toBe(false);
    const ok = await request(dashboard, 'echo allowed', 'allowed');
    await dashboard.waitFor('command:status', (p) => p.commandId === ok && p.status === 'completed');
  });
});
