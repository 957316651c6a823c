import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { openInspector, storedOutput, storedOutputEvents, throughPort, upTo, waitForStatus, waitUntilDown, waitUntilHealthy } from '../support/engine-faults.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
const LINES = 400;

describe.skipIf(!withEngines)('several nodes: PostgreSQL unreachable for one node for longer than its lease', () => {
  it('the others declare it dead; once back it gives up its agent, which moves to another node and resends: dashboards get every line once, in order', async () => {
    await using cluster = await startTestCluster();
    const direct = new URL(cluster.databaseUrl);
    await using proxy = await startTcpProxy(Number(direct.port || 5432), direct.hostname);
    // A's lease (6 s) is far shorter than the outage; its heartbeat is slow, so that once back it
    // writes what it holds before it finds out it lost its place.
    const a = await cluster.start('a', { databaseUrl: throughPort(cluster.databaseUrl, proxy.port), args: ['--node-heartbeat', '3000', '--node-lease', '6000'] });
    const b = await cluster.start('b');
    await using db = await openInspector(cluster.databaseUrl);
    await using dashboard = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    await using agent = spawnAgent(a.wsUrl, await tokens.issue('agent', 'agent-a'), ['--url', b.wsUrl, '--name', 'agent a']);
    const statusOf = (status: string) => () => dashboard.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === status);
    await waitUntil('the dashboard on b sees agent-a online', statusOf('online'));
    dashboard.send('command:request', { agentId: 'agent-a', command: `for i in $(seq 1 ${LINES}); do echo "line $i"; sleep 0.03; done`, priority: 'normal', requestId: 'r1' });
    const commandId = (await dashboard.waitFor('command:status', (p) => p.requestId === 'r1')).payload.commandId as string;
    const seen = () => dashboard.messages.filter((m) => m.type === 'terminal:output' && m.payload.commandId === commandId);
    await waitUntil('the dashboard sees output', () => seen().length > 5);

    proxy.setBlocked(true);
    await waitUntilDown(a, 'store');
    const offlineBefore = dashboard.messages.length;
    await waitUntil('b declares a dead: agent-a offline', () => dashboard.messages.slice(offlineBefore).some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === 'offline'), 20_000);
    proxy.setBlocked(false);
    await waitUntilHealthy(a);
    await waitForStatus(dashboard, commandId, 'completed', 60_000);

    const received = seen();
    const sequences = received.map((m) => m.payload.sequence as number);
    expect(sequences).toEqual(upTo(sequences.length));
    expect(received.map((m) => m.payload.data as string).join('').replaceAll('\r\n', '\n')).toBe(upTo(LINES).map((i) => `line ${i}\n`).join(''));
    expect(await storedOutput(db, commandId)).toEqual(upTo(sequences.length));
    expect(await storedOutputEvents(db, commandId)).toEqual(upTo(sequences.length));
    expect(agent.child.exitCode).toBeNull();
  }, 120_000);
});
