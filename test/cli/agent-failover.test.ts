import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { freePort, spawnServer } from '../support/server-process.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';

const tokens = new TokenService(TEST_SECRET);
const online = (id: string) => (p: Record<string, unknown>) => {
  const agent = p.agent as { id: string; status: string };
  return agent.id === id && agent.status === 'online';
};

describe('onsembl agent with several --url', () => {
  it('tries the next address on each reconnect: past one nobody answers, and back again when its server goes', async () => {
    await using dirA = await tempDir();
    await using dirB = await tempDir();
    const deadPort = await freePort();
    await using b = await spawnServer(dirB.path);
    // The first address answers nothing: the agent moves on to the second.
    await using agent = spawnAgent(`ws://127.0.0.1:${deadPort}`, await tokens.issue('agent', 'roamer'), ['--url', b.wsUrl]);
    await using onB = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    await onB.waitFor('agent:status', online('roamer'), 30_000);
    // Now a server answers at the first address, and the second one stops: the agent is back on the first.
    await using a = await spawnServer(dirA.path, [], {}, deadPort);
    await using onA = await openDashboard(a.wsUrl, await tokens.issue('dashboard', 'ops'));
    await b[Symbol.asyncDispose]();
    await onA.waitFor('agent:status', online('roamer'), 30_000);
    expect(agent.child.exitCode).toBeNull();
  }, 90_000);
});
