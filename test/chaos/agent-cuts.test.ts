import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { expectedOutput, printerCommand } from './printer.js';

const LINES = 20_000;

describe('chaos: an agent cut off from the server during output (its process keeps running)', () => {
  it('stores exactly what the process printed, and every dashboard sees each chunk once', async () => {
    await using server = await startTestServer();
    await using proxy = await startTcpProxy(server.port);
    const token = await server.dashboardToken();
    await using dashboard = await openDashboard(server.wsUrl, token);
    await using agent = spawnAgent(`ws://127.0.0.1:${proxy.port}`, await server.agentToken('cut'));
    const online = (p: Record<string, unknown>) => (p.agent as { id: string; status: string }).id === 'cut' && (p.agent as { status: string }).status === 'online';
    await dashboard.waitFor('agent:status', online);
    dashboard.send('command:request', { agentId: 'cut', command: printerCommand(LINES, 100, 0.05), priority: 'normal', requestId: 'c' });
    const commandId = (await dashboard.waitFor('command:status', (p) => p.requestId === 'c')).payload.commandId as string;
    await dashboard.waitFor('terminal:output', (p) => p.commandId === commandId);

    // Each cut lands while the command is printing and the agent is connected; it then reconnects.
    const statusAfter = (index: number, status: 'offline' | 'busy') =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 30_000;
        const check = () => {
          const hit = dashboard.messages.slice(index).some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).status === status);
          if (hit) return resolve();
          if (Date.now() > deadline) return reject(new Error(`no ${status} status`));
          setTimeout(check, 10);
        };
        check();
      });
    const finished = () => dashboard.messages.some((m) => m.type === 'command:status' && m.payload.commandId === commandId && m.payload.status === 'completed');
    let cuts = 0;
    while (cuts < 4 && !finished()) {
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      const mark = dashboard.messages.length;
      if (proxy.cut() === 0) continue;
      cuts++;
      await statusAfter(mark, 'offline');
      await statusAfter(mark, 'busy'); // back, still running the command
    }
    expect(cuts).toBe(4);
    const final = await dashboard.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'completed', 60_000);
    expect(final.payload.exitCode).toBe(0);

    const chunks = dashboard.messages.filter((m) => m.type === 'terminal:output' && m.payload.commandId === commandId);
    expect(chunks.map((m) => m.payload.sequence)).toEqual(chunks.map((_, i) => i + 1));
    const expected = expectedOutput(LINES);
    expect(chunks.map((m) => m.payload.data).join('')).toBe(expected);
    const stored = await (await fetch(`${server.httpUrl}/api/commands/${commandId}/output`, { headers: { Authorization: `Bearer ${token}` } })).text();
    expect(stored).toBe(expected);
    expect(agent.child.exitCode).toBeNull();
  }, 120_000);
});
