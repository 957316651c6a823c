import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { TestSocket } from '../support/test-socket.js';
import { expectedOutput, printerCommand } from './printer.js';
import { isFinal } from '../support/ai-runs.js';

const tokens = new TokenService(TEST_SECRET);

async function dashboard(wsUrl: string) {
  const socket = await TestSocket.open(`${wsUrl}/ws/dashboard?token=${await tokens.issue('dashboard', 'ops')}`);
  await socket.waitFor('agent:list');
  return socket;
}

describe('chaos: the server is SIGKILLed with queued and running commands', () => {
  it('restarts on the same data dir; every command reaches exactly one final state with its full output', async () => {
    await using dir = await tempDir();
    const first = await spawnServer(dir.path);
    const port = first.port;
    await using agent = spawnAgent(first.wsUrl, await tokens.issue('agent', 'survivor'));
    const before = await dashboard(first.wsUrl);
    await before.waitFor('agent:status', (p) => (p.agent as { status: string }).status === 'online');
    const running = printerCommand(20_000, 500, 0.05);
    before.send('command:request', { agentId: 'survivor', command: running, priority: 'normal', requestId: 'run' });
    const queuedCommands = ['echo queued-1', 'echo queued-2; exit 4', 'printf "queued-3\\n"'];
    queuedCommands.forEach((command, i) => before.send('command:request', { agentId: 'survivor', command, priority: 'low', requestId: `q${i}` }));
    await before.waitFor('command:queue', (p) => (p.queue as unknown[]).length === 3);
    const runningId = (await before.waitFor('command:status', (p) => p.requestId === 'run')).payload.commandId as string;
    const queuedIds = await Promise.all(queuedCommands.map(async (_, i) => (await before.waitFor('command:status', (p) => p.requestId === `q${i}`)).payload.commandId as string));
    await before.waitFor('terminal:output', (p) => p.commandId === runningId && (p.sequence as number) >= 3);

    const seen = before.messages.filter((m) => m.position).at(-1)?.position as { epoch: string; offset: number };
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    await before[Symbol.asyncDispose]();

    await using second = await spawnServer(dir.path, [], {}, port);
    // Positions handed out just before the crash may never have been stored: a new epoch says so.
    await using resumed = await TestSocket.open(`${second.wsUrl}/ws/dashboard`);
    resumed.send('dashboard:connect', { token: await tokens.issue('dashboard', 'ops'), clientInfo: {}, resume: seen });
    const ack = await resumed.waitFor('connection:ack');
    expect(ack.payload).toMatchObject({ recovered: false });
    expect((ack.payload.position as { epoch: string }).epoch).not.toBe(seen.epoch);
    await using after = await dashboard(second.wsUrl);
    const allIds = [runningId, ...queuedIds];
    for (const id of allIds) await after.waitFor('command:status', (p) => p.commandId === id && isFinal(p.status), 90_000);

    // Exactly one final state per command, as every dashboard saw it and as the store has it.
    for (const id of allIds) {
      const finals = after.messages.filter((m) => m.type === 'command:status' && m.payload.commandId === id && isFinal(m.payload.status));
      expect(finals, id).toHaveLength(1);
    }
    const token = await tokens.issue('dashboard', 'ops');
    const get = async (path: string) => fetch(`${second.httpUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    const statuses = await Promise.all(allIds.map(async (id) => ((await (await get(`/api/commands/${id}`)).json()) as { command: { status: string; exitCode: number } }).command));
    expect(statuses.map((c) => [c.status, c.exitCode])).toEqual([['completed', 0], ['completed', 0], ['failed', 4], ['completed', 0]]);
    expect(await (await get(`/api/commands/${runningId}/output`)).text()).toBe(expectedOutput(20_000));
    expect(await (await get(`/api/commands/${queuedIds[0]}/output`)).text()).toBe('queued-1\r\n');
    expect(await (await get(`/api/commands/${queuedIds[2]}/output`)).text()).toBe('queued-3\r\n');
    // Nothing ran twice: each queued command printed its line once.
    expect(await (await get(`/api/commands/${queuedIds[1]}/output`)).text()).toBe('queued-2\r\n');
    expect(agent.child.exitCode).toBeNull();
  }, 180_000);
});
