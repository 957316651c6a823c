import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import {
  checkAcksAgainstStore, openInspector, outputSeen, storedOutput, storedOutputEvents, streamOutput, throughPort, upTo, waitForStatus, waitUntilHealthy,
} from '../support/engine-faults.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
/** How many event commits lose their reply, one after the other. */
const LOST_REPLIES = 3;

describe.skipIf(!withEngines)('several nodes: a COMMIT whose reply is lost', () => {
  it('the events were committed but the node could not know: retrying does not store them twice, and dashboards see each chunk once', async () => {
    await using cluster = await startTestCluster();
    const direct = new URL(cluster.databaseUrl);
    await using proxy = await startTcpProxy(Number(direct.port || 5432), direct.hostname);
    const a = await cluster.start('a', { databaseUrl: throughPort(cluster.databaseUrl, proxy.port) });
    const b = await cluster.start('b');
    await using db = await openInspector(cluster.databaseUrl);

    await using dashboard = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    await using agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-a'), 'agent a');
    await waitUntil('the dashboard on b sees agent-a online', () => dashboard.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === 'online'));
    dashboard.send('command:request', { agentId: 'agent-a', command: 'stream', priority: 'normal', requestId: 'r1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 100 });
    const acks = checkAcksAgainstStore(agent, db, commandId);
    const stream = streamOutput(agent, commandId, 10);
    for (let i = 0; i < LOST_REPLIES; i++) {
      const before = acks.highest();
      await waitUntil(`output is acknowledged past ${before}`, () => acks.highest() > before + 10);
      await proxy.loseReply({ armedBy: 'INSERT INTO events', on: 'COMMIT' });
    }
    const before = acks.highest();
    await waitUntil('output is acknowledged after the last lost reply', () => acks.highest() > before + 10, 30_000);
    stream.stop();
    const last = stream.sent();
    await waitUntil('the last chunk is acknowledged', () => acks.highest() === last, 30_000);
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: last, outcome: 'exited' });
    await waitForStatus(dashboard, commandId, 'completed');
    await waitUntilHealthy(a);
    await acks.settled();

    expect(acks.violations).toEqual([]);
    expect(await storedOutput(db, commandId)).toEqual(upTo(last));
    expect(await storedOutputEvents(db, commandId)).toEqual(upTo(last));
    expect(outputSeen(dashboard, commandId)).toEqual(upTo(last));
  }, 90_000);
});
