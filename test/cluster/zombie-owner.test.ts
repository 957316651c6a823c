import { describe, expect, it } from 'vitest';
import { CloseCode } from '@onsembl/protocol';
import { TokenService } from '@onsembl/server';
import { clusterEnginesAvailable, startTestCluster, TEST_REDIS_URL } from '../support/cluster.js';
import { queryStore, receivedHistory, storedHistory } from '../support/cluster-history.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();

type AgentState = { id: string; status: string };

function agentStatus(socket: TestSocket, agentId: string): string | undefined {
  for (let i = socket.messages.length - 1; i >= 0; i--) {
    const m = socket.messages[i]!;
    if (m.type === 'agent:status' && (m.payload.agent as AgentState).id === agentId) return (m.payload.agent as AgentState).status;
    if (m.type === 'agent:list') return (m.payload.agents as AgentState[]).find((a) => a.id === agentId)?.status;
  }
  return undefined;
}

function statusesOf(socket: TestSocket, commandId: string): Array<Record<string, unknown>> {
  return socket.messages.filter((m) => m.type === 'command:status' && m.payload.commandId === commandId).map((m) => m.payload);
}

/**
 * Node A owns agent-z and runs X with Y queued behind it, then is paused (SIGSTOP) with its bus cut,
 * so that once resumed it cannot hear from Redis that node B took the agent over. `pastLease`: the
 * pause outlasts A's lease (another node declares it dead first); otherwise its lease still holds
 * and the fence alone stops it.
 */
async function pausedOwner(pastLease: boolean): Promise<void> {
  await using cluster = await startTestCluster();
  // Node A reaches Redis through a proxy of the test's own, so its bus can be cut while it is
  // paused: it then cannot hear that B claimed the agent and acts on what it holds, and only the
  // fence in PostgreSQL stands between its late writes and the history.
  await using redisForA = await startTcpProxy(Number(new URL(TEST_REDIS_URL).port || 6379), new URL(TEST_REDIS_URL).hostname);
  const a = await cluster.start('a', { redisUrl: `redis://127.0.0.1:${redisForA.port}`, args: pastLease ? [] : ['--node-lease', '600000'] });
  const b = await cluster.start('b');
  const c = await cluster.start('c');
  let paused = false;
  try {
    const token = await tokens.issue('dashboard', 'ops');
    const agentToken = await tokens.issue('agent', 'agent-z');
    const toA = await connectRawAgent(a.wsUrl, agentToken, 'agent z');
    await using onA = await openDashboard(a.wsUrl, token);
    await using onC = await openDashboard(c.wsUrl, token);
    await waitUntil('node C shows agent-z online', () => agentStatus(onC, 'agent-z') === 'online');

    // X runs on node A; Y is queued behind it before the pause (stored, A holds it in memory).
    onC.send('command:request', { agentId: 'agent-z', command: 'x', priority: 'normal', requestId: 'x' });
    const x = (await toA.waitFor('command:execute')).payload.commandId as string;
    toA.send('command:started', { commandId: x, pid: 1 });
    for (let s = 1; s <= 3; s++) toA.send('terminal:output', { commandId: x, sequence: s, stream: 'stdout', data: `x ${s}\n` });
    await toA.waitFor('output:ack', (p) => p.commandId === x && p.sequence === 3);
    onC.send('command:request', { agentId: 'agent-z', command: 'y', priority: 'normal', requestId: 'y' });
    const y = (await onC.waitFor('command:status', (p) => p.requestId === 'y')).payload.commandId as string;
    await waitUntil('node A holds Y in its queue', () => onC.messages.some((m) => m.type === 'command:queue' && (m.payload.queue as Array<{ commandId: string }>).some((e) => e.commandId === y)));
    const before = (await queryStore<{ generation: string }>(cluster.databaseUrl, "SELECT generation FROM agents WHERE id = 'agent-z'"))[0]!.generation;

    a.child.kill('SIGSTOP');
    paused = true;
    redisForA.setBlocked(true);
    // What the agent tells node A now sits unread in A's socket: X's end (told to A as exit code
    // 99, so that it would show if A ever wrote it).
    toA.send('command:exit', { commandId: x, exitCode: 99, signal: null, durationMs: 1, lastSequence: 3, outcome: 'exited' });
    await waitUntil('the end left for node A', () => toA.ws.bufferedAmount === 0);
    if (pastLease) {
      // The agent gives A up; A's lease lapses: another node declares it dead and agent-z
      // offline (a new generation).
      await toA[Symbol.asyncDispose]();
      await waitUntil('node A was declared dead', async () => (await queryStore(cluster.databaseUrl, "SELECT 1 FROM nodes WHERE id = 'a'")).length === 0, 30_000);
      await waitUntil('node C shows agent-z offline', () => agentStatus(onC, 'agent-z') === 'offline');
    }

    // The agent reconnects to node B, still running X: B takes it over under a newer generation.
    await using toB = await connectRawAgent(b.wsUrl, agentToken, 'agent z', [{ commandId: x, lastSequence: 3, finished: false }]);
    const claimed = (await queryStore<{ generation: string; owner_node: string }>(cluster.databaseUrl, "SELECT generation, owner_node FROM agents WHERE id = 'agent-z'"))[0]!;
    expect(claimed.owner_node).toBe('b');
    expect(Number(claimed.generation)).toBeGreaterThan(Number(before));
    // Paused within its lease, A is still a member: nobody declared it dead.
    if (!pastLease) expect(await queryStore(cluster.databaseUrl, "SELECT 1 FROM nodes WHERE id = 'a'")).toHaveLength(1);
    toB.send('terminal:output', { commandId: x, sequence: 4, stream: 'stdout', data: 'x 4\n' });
    await toB.waitFor('output:ack', (p) => p.commandId === x && p.sequence === 4);
    await waitUntil('node C shows agent-z back, busy with X', () => agentStatus(onC, 'agent-z') === 'busy');

    // Node A wakes up holding X in flight, Y queued and X's unread end, its bus still cut: it
    // has not heard that B claimed the agent.
    const headBefore = (await storedHistory(cluster.databaseUrl)).at(-1)!.offset;
    a.child.kill('SIGCONT');
    paused = false;
    if (pastLease) {
      // Its first heartbeat finds the lease gone: it gives up every agent before or while it
      // acts on what it held (whatever it still tries to write is refused, under its old fence).
      await waitUntil('node A noticed it lost its lease', () => a.output().includes('lost its lease'), 30_000);
    } else {
      // Its lease holds, so only the fence stops it: it finishes X with the end it read and
      // tries to send Y, PostgreSQL refuses both under its old generation, and A drops the
      // agent's socket as stale.
      await waitUntil('node A was refused X\'s end', () => /"type":"command:status".*a write was refused: another node owns this agent now/.test(a.output()), 30_000);
      await waitUntil('node A was refused Y\'s dispatch', () => a.output().includes(`"commandId":"${y}","msg":"a dispatch was refused`), 30_000);
      expect((await toA.closed).code).toBe(CloseCode.replaced);
    }
    redisForA.setBlocked(false);
    // Whatever node A had started writing is settled once two later writes of A's own went through
    // (its writes are committed one batch after another): an agent connects to A and leaves.
    const probe = await connectRawAgent(a.wsUrl, await tokens.issue('agent', 'probe'), 'probe');
    await waitUntil('node C saw the probe online (committed by A)', () => agentStatus(onC, 'probe') === 'online');
    await probe[Symbol.asyncDispose]();
    await waitUntil('node C saw the probe offline (committed by A)', () => agentStatus(onC, 'probe') === 'offline');

    // Nothing of A's landed: X still runs, Y is still queued and was sent to no agent.
    const rows = await queryStore<{ id: string; status: string; exit_code: number | null; dispatched: boolean }>(
      cluster.databaseUrl, 'SELECT id, status, exit_code, dispatched FROM commands WHERE id = ANY($1::text[]) ORDER BY id', [[x, y]]);
    expect(rows.find((r) => r.id === x)).toMatchObject({ status: 'running', exit_code: null });
    expect(rows.find((r) => r.id === y)).toMatchObject({ status: 'queued', dispatched: false });
    const sincePause = (await storedHistory(cluster.databaseUrl)).filter((e) => e.offset > headBefore);
    // Since the pause, only the probe's coming and going (and the agent list it joined) are new.
    expect(sincePause.filter((e) => e.type !== 'agent:list' && !(e.type === 'agent:status' && e.key.includes('"id":"probe"')))).toEqual([]);

    // B finishes X with the agent's real end and runs Y, once.
    toB.send('command:exit', { commandId: x, exitCode: 0, signal: null, durationMs: 9, lastSequence: 4, outcome: 'exited' });
    const execY = await toB.waitFor('command:execute', (p) => p.commandId === y);
    expect(execY).toBeDefined();
    toB.send('command:started', { commandId: y, pid: 2 });
    toB.send('terminal:output', { commandId: y, sequence: 1, stream: 'stdout', data: 'y 1\n' });
    toB.send('command:exit', { commandId: y, exitCode: 0, signal: null, durationMs: 3, lastSequence: 1, outcome: 'exited' });
    for (const d of [onA, onC]) await waitUntil('every dashboard saw Y complete', () => statusesOf(d, y).some((p) => p.status === 'completed'), 30_000);

    const finalRows = await queryStore<{ id: string; status: string; exit_code: number | null; last_sequence: string }>(
      cluster.databaseUrl, 'SELECT id, status, exit_code, last_sequence FROM commands WHERE id = ANY($1::text[])', [[x, y]]);
    expect(finalRows.find((r) => r.id === x)).toMatchObject({ status: 'completed', exit_code: 0, last_sequence: '4' });
    expect(finalRows.find((r) => r.id === y)).toMatchObject({ status: 'completed', exit_code: 0 });
    const output = await queryStore<{ sequence: string; data: string }>(cluster.databaseUrl, 'SELECT sequence, data FROM output WHERE command_id = $1 ORDER BY sequence', [x]);
    expect(output.map((o) => o.data)).toEqual(['x 1\n', 'x 2\n', 'x 3\n', 'x 4\n']);
    expect(toB.messages.filter((m) => m.type === 'command:execute' && m.payload.commandId === y)).toHaveLength(1);

    // The history: each command reached one final state, B's; each chunk is in it once.
    const stored = await storedHistory(cluster.databaseUrl);
    const finals = (id: string) => stored.filter((e) => e.type === 'command:status' && e.key.includes(`"commandId":"${id}"`) && /"status":"(completed|failed|cancelled|timeout|interrupted)"/.test(e.key));
    expect(finals(x)).toHaveLength(1);
    expect(finals(x)[0]!.key).toContain('"exitCode":0');
    expect(finals(y)).toHaveLength(1);
    expect(stored.filter((e) => e.type === 'terminal:output' && e.key.startsWith(`${x} #`)).map((e) => e.key)).toEqual([1, 2, 3, 4].map((s) => `${x} #${s} ${JSON.stringify(`x ${s}\n`)}`));
    expect(stored.some((e) => e.key.includes('"exitCode":99'))).toBe(false);
    // Both dashboards, the one on the paused node too, saw that history and no exit code 99.
    for (const d of [onA, onC]) {
      expect(statusesOf(d, x).filter((p) => p.status !== 'running' && p.status !== 'queued').map((p) => p.exitCode)).toEqual([0]);
      expect(statusesOf(d, y).filter((p) => p.status === 'running')).toHaveLength(1);
      const seen = receivedHistory(d.messages);
      expect(seen).toEqual(stored.filter((e) => e.offset >= seen[0]!.offset && e.offset <= seen.at(-1)!.offset));
    }
  } finally {
    // A stopped process cannot take the SIGTERM the cluster's disposal sends.
    if (paused) a.child.kill('SIGCONT');
  }
}

describe.skipIf(!withEngines)('several nodes: a paused owner is fenced out', () => {
  it('node A paused past its lease, node B takes the agent; resumed, A dispatches and finishes nothing: the store and every dashboard hold B\'s outcome only', () => pausedOwner(true), 120_000);
  it('node A paused within its lease while the agent moved to node B: resumed, its final state for X and its dispatch of Y are refused by the fence; B runs Y once', () => pausedOwner(false), 120_000);
});
