import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import {
  checkAcksAgainstStore, healthOf, openInspector, outputSeen, storedOutput, storedOutputEvents, streamOutput, throughPort, upTo,
  waitForStatus, waitUntilDown, waitUntilHealthy,
} from '../support/engine-faults.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
/** How long PostgreSQL stays unreachable for the node (issue 13: "unreachable for 10 s"). */
const OUTAGE_MS = 10_000;

describe.skipIf(!withEngines)('several nodes: PostgreSQL unreachable for one node', () => {
  it('for 10 s while its agent streams: /health names the store, nothing is acknowledged before it is stored, it recovers by itself, and dashboards elsewhere get every chunk once', async () => {
    await using cluster = await startTestCluster();
    const direct = new URL(cluster.databaseUrl);
    await using proxy = await startTcpProxy(Number(direct.port || 5432), direct.hostname);
    // The node's lease outlasts the outage, so the agent stays its own (a longer cut: see the report in docs/scale-out.md).
    const a = await cluster.start('a', { databaseUrl: throughPort(cluster.databaseUrl, proxy.port), args: ['--node-lease', String(OUTAGE_MS * 3)] });
    const b = await cluster.start('b');
    await using db = await openInspector(cluster.databaseUrl);

    await using dashboard = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    await using agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-a'), 'agent a');
    await waitUntil('the dashboard on b sees agent-a online', () => dashboard.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === 'online'));
    dashboard.send('command:request', { agentId: 'agent-a', command: 'stream', priority: 'normal', requestId: 'r1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 100 });
    const acks = checkAcksAgainstStore(agent, db, commandId);
    const stream = streamOutput(agent, commandId);
    await waitUntil('some output is acknowledged before the cut', () => acks.highest() >= 20);

    proxy.setBlocked(true);
    const cutAt = Date.now();
    const sentAtCut = stream.sent();
    await waitUntilDown(a, 'store');
    const { body } = await healthOf(a);
    expect(body.down?.store?.error).toBeTruthy();
    expect((await healthOf(b)).status).toBe(200);
    // The outage lasts its 10 s while the agent keeps streaming; every ack meanwhile is checked against the store.
    await waitUntil('the outage has lasted its time', () => Date.now() - cutAt >= OUTAGE_MS, OUTAGE_MS + 5_000);
    expect((await healthOf(a)).status).toBe(503);
    const sentDuringCut = stream.sent();
    const ackedDuringCut = acks.highest();
    expect(sentDuringCut - sentAtCut).toBeGreaterThan(100);
    // Nothing sent during the cut could be stored, so none of it was acknowledged.
    expect(ackedDuringCut).toBeLessThanOrEqual(sentAtCut);
    proxy.setBlocked(false);

    await waitUntilHealthy(a);
    await waitUntil('everything sent is acknowledged', () => acks.highest() >= stream.sent() && stream.sent() > sentDuringCut + 20, 30_000);
    stream.stop();
    const last = stream.sent();
    await waitUntil('the last chunk is acknowledged', () => acks.highest() === last);
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: last, outcome: 'exited' });
    await waitForStatus(dashboard, commandId, 'completed');
    await acks.settled();

    expect(acks.violations).toEqual([]);
    expect(acks.checked()).toBeGreaterThan(0);
    expect(await storedOutput(db, commandId)).toEqual(upTo(last));
    expect(await storedOutputEvents(db, commandId)).toEqual(upTo(last));
    expect(outputSeen(dashboard, commandId)).toEqual(upTo(last));
  }, 90_000);
});
