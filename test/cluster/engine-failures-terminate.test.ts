import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import {
  checkAcksAgainstStore, openInspector, outputSeen, storedOutput, storedOutputEvents, streamOutput, upTo, waitForStatus, waitUntilHealthy,
} from '../support/engine-faults.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
/** How many times the node's connections are killed while the output streams. */
const KILLS = 8;

describe.skipIf(!withEngines)('several nodes: PostgreSQL connections killed mid-batch', () => {
  it('pg_terminate_backend on every connection of one node, again and again while its agent streams: no hole, no duplicate, acks never ahead of the store, and it recovers', async () => {
    await using cluster = await startTestCluster();
    // A pause inside every event transaction, so that a kill lands inside open transactions.
    const env = { ONSEMBL_TEST_COMMIT_JITTER_MS: '8' };
    const a = await cluster.start('a', { env });
    const b = await cluster.start('b', { env });
    await using db = await openInspector(cluster.databaseUrl);
    /** Ends every backend node a holds now (found by its application_name in this test's database). */
    const killNodeA = async (): Promise<number> => {
      const { rows } = await db.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE datname = $1 AND application_name = 'onsembl:a'`,
        [cluster.database.name],
      );
      return rows.filter((r) => r.ended).length;
    };

    await using dashboard = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    await using agent = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'agent-a'), 'agent a');
    await waitUntil('the dashboard on b sees agent-a online', () => dashboard.messages.some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'agent-a' && (m.payload.agent as { status: string }).status === 'online'));
    dashboard.send('command:request', { agentId: 'agent-a', command: 'stream', priority: 'normal', requestId: 'r1' });
    const commandId = (await agent.waitFor('command:execute')).payload.commandId as string;
    agent.send('command:started', { commandId, pid: 100 });
    const acks = checkAcksAgainstStore(agent, db, commandId);
    const stream = streamOutput(agent, commandId, 5);

    let killed = 0;
    for (let i = 0; i < KILLS; i++) {
      // Each kill after more output was acknowledged, i.e. the node reconnected and wrote again.
      const before = acks.highest();
      await waitUntil(`output is acknowledged past ${before}`, () => acks.highest() > before + 10, 30_000);
      killed += await killNodeA();
    }
    expect(killed).toBeGreaterThanOrEqual(KILLS);
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
