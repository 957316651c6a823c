import { describe, expect, it } from 'vitest';
import { connectRawAgent } from '../support/raw-agent.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

/**
 * A server with one running and one queued command on agent "r", then restarted on the same data dir.
 * `started: false`: the agent was sent the first command but never said it started (it is still stored as queued).
 */
async function restartWithWork(dataDir: string, { started = true, timeoutMs }: { started?: boolean; timeoutMs?: number } = {}) {
  const first = await startTestServer({ dataDir });
  const dashboard = await openDashboard(first.wsUrl, await first.dashboardToken());
  const agent = await connectRawAgent(first.wsUrl, await first.agentToken('r'));
  dashboard.send('command:request', { agentId: 'r', command: 'long job', priority: 'normal', requestId: 'run', ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  dashboard.send('command:request', { agentId: 'r', command: 'next job', priority: 'normal', requestId: 'next' });
  const running = (await agent.waitFor('command:execute')).payload.commandId as string;
  if (started) agent.send('command:started', { commandId: running, pid: 42 });
  const queued = (await dashboard.waitFor('command:status', (p) => p.requestId === 'next')).payload.commandId as string;
  if (started) await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'running');
  await agent[Symbol.asyncDispose]();
  await dashboard[Symbol.asyncDispose]();
  await first.close();
  const second = await startTestServer({ dataDir });
  return { second, running, queued };
}

describe('reconciling commands with what a reconnecting agent reports', () => {
  it('fails a running command the agent no longer knows (lost), never re-runs it, and runs the queue', async () => {
    await using dir = await tempDir();
    const { second, running, queued } = await restartWithWork(dir.path);
    await using server = second;
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('r'), 'raw-agent', []);
    const lost = await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'failed');
    expect(String(lost.payload.message)).toContain('lost');
    const execute = await agent.waitFor('command:execute');
    expect(execute.payload.commandId).toBe(queued);
    expect(agent.messages.filter((m) => m.type === 'command:execute' && m.payload.commandId === running)).toEqual([]);
  });

  it('adopts a command that finished while the server was down and stores what the agent resends', async () => {
    await using dir = await tempDir();
    const { second, running } = await restartWithWork(dir.path);
    await using server = second;
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('r'), 'raw-agent', [
      { commandId: running, lastSequence: 2, finished: true },
    ]);
    agent.send('command:started', { commandId: running, pid: 42 });
    agent.send('terminal:output', { commandId: running, sequence: 1, stream: 'stdout', data: 'one\n' });
    agent.send('terminal:output', { commandId: running, sequence: 2, stream: 'stdout', data: 'two\n' });
    agent.send('command:exit', { commandId: running, exitCode: 0, signal: null, durationMs: 9, lastSequence: 2, outcome: 'exited' });
    await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'completed');
    expect((await agent.waitFor('command:ack', (p) => p.commandId === running)).payload).toEqual({ commandId: running });
    const output = await server.context.store.readOutput(running, 0);
    expect(output.map((c) => c.data).join('')).toBe('one\ntwo\n');
    // The next queued command is dispatched only after the adopted one ended.
    const execute = await agent.waitFor('command:execute');
    expect(execute.payload.command).toBe('next job');
  });

  it('takes a command dispatched just before the restart (stored as queued) as running when its agent holds it, never sends it again', async () => {
    await using dir = await tempDir();
    const { second, running, queued } = await restartWithWork(dir.path, { started: false });
    await using server = second;
    expect((await server.context.store.getCommand(running))?.status).toBe('queued');
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('r'), 'raw-agent', [
      { commandId: running, lastSequence: 0, finished: false },
    ]);
    await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'running');
    agent.send('terminal:output', { commandId: running, sequence: 1, stream: 'stdout', data: 'held\n' });
    agent.send('command:exit', { commandId: running, exitCode: 0, signal: null, durationMs: 9, lastSequence: 1, outcome: 'exited' });
    await dashboard.waitFor('command:status', (p) => p.commandId === running && p.status === 'completed');
    const execute = await agent.waitFor('command:execute');
    expect(execute.payload.commandId).toBe(queued);
    expect(agent.messages.filter((m) => m.type === 'command:execute' && m.payload.commandId === running)).toEqual([]);
    expect((await server.context.store.readOutput(running, 0)).map((c) => c.data)).toEqual(['held\n']);
  });

  it("keeps a recovered running command's timeout: the restarted server interrupts it once its time (and the grace) ran out, though the agent does not enforce it", async () => {
    await using dir = await tempDir();
    const { second, running } = await restartWithWork(dir.path, { timeoutMs: 100 });
    await using server = second;
    // The agent comes back still running it and, like a broken agent, ignores its own timeout.
    await using agent = await connectRawAgent(server.wsUrl, await server.agentToken('r'), 'raw-agent', [
      { commandId: running, lastSequence: 0, finished: false },
    ]);
    const interrupt = await agent.waitFor('command:interrupt', (p) => p.commandId === running);
    expect(interrupt.payload).toEqual({ commandId: running, reason: 'timeout' });
  });
});
