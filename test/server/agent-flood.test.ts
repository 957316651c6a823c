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
  it('reaches a dashboard that keeps up whole: the server paces its reading instead of dropping', async () => {
    await using dir = await tempDir();
    // A server process of its own: in this process the test's writes and the server's reads would
    // interleave, and the server would never find megabytes waiting on the agent's socket.
    await using server = await spawnServer(dir.path);
    await using dashboard = await openDashboard(server.wsUrl, await tokens.issue('dashboard', 'reader'));
    await using agent = await connectRawAgent(server.wsUrl, await tokens.issue('agent', 'flood'));
    dashboard.send('command:request', { agentId: 'flood', command: 'yes', priority: 'normal' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 1 });
    // ~7 MB in one go: far more than one turn of the server may take in (it reads up to 2 MB of a
    // socket per turn) and than a dashboard's burst allowance.
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
});
