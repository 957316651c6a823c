import { CloseCode, Role } from '@onsembl/protocol';
import { TokenService } from '@onsembl/server';
import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';

const tokens = new TokenService(TEST_SECRET);
const exitOf = (child: { exitCode: number | null; once(event: 'exit', cb: (code: number | null) => void): unknown }) =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise<number | null>((resolve) => child.once('exit', resolve));

describe('SIGTERM (a real server process)', () => {
  it('closes dashboards and agents with 1012, flushes the store, exits 0; the agent reconnects to the next server', async () => {
    await using dir = await tempDir();
    const server = await spawnServer(dir.path);
    const epoch = ((await (await fetch(`${server.httpUrl}/health`)).json()) as { epoch: string }).epoch;
    const dashToken = await tokens.issue(Role.dashboard, 'ops');
    await using dashboard = await openDashboard(server.wsUrl, dashToken);
    await using raw = await connectRawAgent(server.wsUrl, await tokens.issue(Role.agent, 'raw'), 'raw');
    // A real agent process too: on 1012 it must reconnect, not give up.
    await using agent = spawnAgent(server.wsUrl, await tokens.issue(Role.agent, 'real'), ['--name', 'real']);
    await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === 'real');

    dashboard.send('command:request', { agentId: 'raw', command: 'stream', priority: 'normal', requestId: 'r1' });
    const execute = await raw.waitFor('command:execute');
    const commandId = execute.payload.commandId as string;
    raw.send('command:started', { commandId, pid: 1 });
    const chunks = 200;
    for (let sequence = 1; sequence <= chunks; sequence++) {
      raw.send('terminal:output', { commandId, sequence, stream: 'stdout', data: `line ${sequence}\r\n` });
    }
    // Every chunk reached the server (the dashboards saw the last one); some may still wait for their batch.
    await dashboard.waitFor('terminal:output', (p) => p.sequence === chunks);

    server.child.kill('SIGTERM');
    const [dashClosed, rawClosed, code] = await Promise.all([dashboard.closed, raw.closed, exitOf(server.child)]);
    expect(dashClosed.code).toBe(CloseCode.serviceRestart);
    expect(rawClosed.code).toBe(CloseCode.serviceRestart);
    expect(code).toBe(0);
    expect(server.output()).toContain('onsembl server stopped');
    await expect.poll(() => agent.stderr()).toContain('"code":1012');

    // The next server on the same data dir and port: a clean shutdown keeps the epoch (no crash
    // recovery), every chunk is stored, and the real agent is back without being restarted.
    await using next = await spawnServer(dir.path, [], {}, server.port);
    const health = (await (await fetch(`${next.httpUrl}/health`)).json()) as { epoch: string };
    expect(health.epoch).toBe(epoch);
    const output = await fetch(`${next.httpUrl}/api/commands/${commandId}/output?format=json`, {
      headers: { authorization: `Bearer ${dashToken}` },
    });
    const page = (await output.json()) as { chunks: Array<{ sequence: number }> };
    expect(page.chunks.map((c) => c.sequence)).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
    const agents = () => fetch(`${next.httpUrl}/api/agents`, { headers: { authorization: `Bearer ${dashToken}` } })
      .then((r) => r.json() as Promise<{ agents: Array<{ id: string; status: string }> }>);
    await expect.poll(async () => (await agents()).agents.find((a) => a.id === 'real')?.status, { timeout: 20_000 }).toBe('online');
    expect(agent.child.exitCode).toBeNull();
  });

  it('a dashboard that never answers the close frame does not hold the shutdown: still exit 0', async () => {
    await using dir = await tempDir();
    const server = await spawnServer(dir.path);
    const stalled = await openDashboard(server.wsUrl, await tokens.issue(Role.dashboard, 'stalled'));
    // The client stops reading its socket: the close frame is never read, never answered.
    (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const polite = await TestSocket.open(`${server.wsUrl}/ws/dashboard?token=${await tokens.issue(Role.dashboard, 'polite')}`);
    await polite.waitFor('agent:list');
    server.child.kill('SIGTERM');
    expect(await exitOf(server.child)).toBe(0);
    expect((await polite.closed).code).toBe(CloseCode.serviceRestart);
    await stalled[Symbol.asyncDispose]();
  });
});
