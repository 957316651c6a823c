import { describe, expect, it } from 'vitest';
import { Limits } from '@onsembl/protocol';
import { TokenService } from '@onsembl/server';
import { connectRawAgent } from '../support/raw-agent.js';
import { spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

const tokens = new TokenService(TEST_SECRET);

describe('an agent flooding a server process', () => {
  it('reaches a dashboard that keeps up whole, however fast the agent sends', async () => {
    await using dir = await tempDir();
    // A server process of its own: in this process the test's writes and the server's reads would
    // interleave, and the server would never find megabytes waiting on the agent's socket.
    await using server = await spawnServer(dir.path);
    await using dashboard = await openDashboard(server.wsUrl, await tokens.issue('dashboard', 'reader'));
    await using agent = await connectRawAgent(server.wsUrl, await tokens.issue('agent', 'flood'));
    dashboard.send('command:request', { agentId: 'flood', command: 'yes', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });
    // ~7 MB in one go: far more than one turn of the server takes in (transport/turn.ts) and than a
    // dashboard's burst allowance, so nothing must depend on the agent sending politely.
    const chunks = 800;
    const data = 'x'.repeat(Limits.outputChunkTargetBytes);
    for (let sequence = 1; sequence <= chunks; sequence++) {
      agent.send('terminal:output', { commandId, sequence, stream: 'stdout', data });
    }
    await dashboard.waitFor('terminal:output', (p) => p.sequence === chunks, 60_000);
    const sequences = dashboard.messages.filter((m) => m.type === 'terminal:output').map((m) => m.payload.sequence);
    expect(sequences).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
    expect(dashboard.messages.some((m) => m.type === 'output:gap')).toBe(false);
    await agent.waitFor('output:ack', (p) => p.sequence === chunks, 60_000);
  }, 90_000);

  it('keeps every agent moving when several flood at once, and two readers get all of it', async () => {
    await using dir = await tempDir();
    await using server = await spawnServer(dir.path);
    await using first = await openDashboard(server.wsUrl, await tokens.issue('dashboard', 'first'));
    await using second = await openDashboard(server.wsUrl, await tokens.issue('dashboard', 'second'));
    const names = ['flood-a', 'flood-b', 'flood-c'];
    const agents = await Promise.all(names.map(async (name) => connectRawAgent(server.wsUrl, await tokens.issue('agent', name), name)));
    try {
      const commandIds: string[] = [];
      for (const [i, agent] of agents.entries()) {
        first.send('command:request', { agentId: names[i], command: 'yes', priority: 'normal' });
        const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
        agent.send('command:started', { commandId, pid: 1 });
        commandIds.push(commandId);
      }
      // The three send ~2.2 MB each, interleaved: while one fills a turn the others are paused too.
      const chunks = 250;
      const data = 'y'.repeat(Limits.outputChunkTargetBytes);
      for (let sequence = 1; sequence <= chunks; sequence++) {
        for (const [i, agent] of agents.entries()) {
          agent.send('terminal:output', { commandId: commandIds[i], sequence, stream: 'stdout', data });
        }
      }
      for (const dashboard of [first, second]) {
        for (const commandId of commandIds) {
          await dashboard.waitFor('terminal:output', (p) => p.commandId === commandId && p.sequence === chunks, 60_000);
          const sequences = dashboard.messages
            .filter((m) => m.type === 'terminal:output' && m.payload.commandId === commandId)
            .map((m) => m.payload.sequence);
          expect(sequences).toEqual(Array.from({ length: chunks }, (_, i) => i + 1));
        }
        expect(dashboard.messages.some((m) => m.type === 'output:gap')).toBe(false);
      }
      for (const [i, agent] of agents.entries()) {
        await agent.waitFor('output:ack', (p) => p.commandId === commandIds[i] && p.sequence === chunks, 60_000);
      }
    } finally {
      await Promise.all(agents.map((agent) => agent[Symbol.asyncDispose]()));
    }
  }, 120_000);
});
