import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { agentIs, agentStatuses, chunksOf, commandIds, finalStatus, finalStatuses } from '../support/cluster-dashboards.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { connectRawAgent } from '../support/raw-agent.js';
import { openDashboard } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';
import { expectedOutput } from '../chaos/printer.js';

const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
const LINES = 4_000;

/** Lines `from`..`to` of the printer's stream (test/chaos/printer.ts), pausing every 100 lines. */
const lines = (from: number, to: number) =>
  `awk 'BEGIN { for (i = ${from}; i <= ${to}; i++) { printf "line %06d of the chaos stream\\n", i; if (i % 100 == 0) { fflush(); system("sleep 0.02") } } }'`;

/**
 * Writes "started" to the journal, prints the first half of the stream, waits for the file `go`
 * (the test's signal), prints the second half and writes "finished": a command run twice would
 * write the journal twice.
 */
const GATED = `echo started >> journal && ${lines(1, LINES / 2)} && while [ ! -e go ]; do sleep 0.02; done && ${lines(LINES / 2 + 1, LINES)} && echo finished >> journal`;

/** When the test lets the agent reach B, and when it lets the running command go on. */
type Outage = 'back at once, the command runs on under B' | 'back only after the dead node was reaped and the command finished meanwhile';

async function ownerDies(outage: Outage): Promise<void> {
  await using cluster = await startTestCluster({ heartbeatMs: 300, leaseMs: 2_000 });
  const a = await cluster.start('a');
  const b = await cluster.start('b');
  const c = await cluster.start('c');
  // The agent reaches B through a proxy of the test's own, so the test decides when it gets there.
  await using toB = await startTcpProxy(b.port);
  await using work = await tempDir('onsembl-node-death-');
  const journal = join(work.path, 'journal');
  const dashToken = await tokens.issue('dashboard', 'ops');
  await using onB = await openDashboard(b.wsUrl, dashToken);
  await using onC = await openDashboard(c.wsUrl, dashToken);
  const dashboards = [onB, onC];
  // A real agent process that knows both nodes: A first, B on its next try.
  await using agent = spawnAgent(a.wsUrl, await tokens.issue('agent', 'survivor'), ['--url', `ws://127.0.0.1:${toB.port}`, '--name', 'survivor', '--cwd', work.path]);
  await waitUntil('both dashboards see the agent online', () => dashboards.every((d) => agentIs(d, 'survivor', 'online')), 30_000);

  onB.send('command:request', { agentId: 'survivor', command: GATED, priority: 'normal', requestId: 'running' });
  const [runningId] = await commandIds(onB, ['running']);
  for (let i = 1; i <= 3; i++) onC.send('command:request', { agentId: 'survivor', command: `echo queued-${i} | tee -a journal`, priority: 'normal', requestId: `q${i}` });
  const queuedIds = await commandIds(onC, ['q1', 'q2', 'q3']);
  await waitUntil('the dashboards see three commands queued behind the running one', () => dashboards.every((d) => d.messages.some((m) => m.type === 'command:queue'
    && (m.payload.queue as Array<{ commandId: string }>).map((e) => e.commandId).join() === queuedIds.join())));
  await waitUntil('the running command has streamed some output', () => chunksOf(onB, runningId!).length >= 2, 30_000);

  if (outage !== 'back at once, the command runs on under B') toB.setBlocked(true);
  a.child.kill('SIGKILL');
  await new Promise((resolve) => a.child.once('exit', resolve));
  const wentOffline = () => dashboards.every((d) => agentStatuses(d, 'survivor').includes('offline'));
  const cameBack = () => dashboards.every((d) => {
    const statuses = agentStatuses(d, 'survivor');
    return statuses.includes('offline') && statuses.slice(statuses.indexOf('offline') + 1).some((s) => s !== 'offline');
  });
  const go = () => writeFileSync(join(work.path, 'go'), '');
  if (outage === 'back at once, the command runs on under B') {
    await waitUntil('the dashboards see the agent offline, then online again', cameBack, 30_000);
    expect(existsSync(join(work.path, 'go'))).toBe(false); // still running: B adopted a running command
    go();
  } else {
    // The dead node's lease runs out: a survivor declares its agent offline. The command finishes on the agent meanwhile.
    go();
    await waitUntil('the dashboards see the agent offline', wentOffline, 30_000);
    await waitUntil('the command finished on the agent', () => readFileSync(journal, 'utf8').includes('finished'), 30_000);
    expect(dashboards.every((d) => finalStatuses(d, runningId!).length === 0)).toBe(true);
    toB.setBlocked(false);
    await waitUntil('the dashboards see the agent online again', cameBack, 60_000);
  }
  for (const id of [runningId!, ...queuedIds]) {
    for (const d of dashboards) await finalStatus(d, id, 60_000);
  }

  // Nothing ran twice, and the queue ran after the running command, in order.
  expect(readFileSync(journal, 'utf8')).toBe('started\nfinished\nqueued-1\nqueued-2\nqueued-3\n');
  const get = async (path: string) => fetch(`${b.httpUrl}${path}`, { headers: { authorization: `Bearer ${dashToken}` } });
  const commands = await Promise.all([runningId!, ...queuedIds].map(async (id) => ((await (await get(`/api/commands/${id}`)).json()) as {
    command: { status: string; exitCode: number; startedAt: number; finishedAt: number };
  }).command));
  expect(commands.map((cmd) => [cmd.status, cmd.exitCode])).toEqual([['completed', 0], ['completed', 0], ['completed', 0], ['completed', 0]]);
  for (let i = 1; i < commands.length; i++) expect(commands[i]!.startedAt).toBeGreaterThanOrEqual(commands[i - 1]!.finishedAt);

  // Every byte once: in the store (read on a surviving node) and on every dashboard.
  expect(await (await get(`/api/commands/${runningId}/output`)).text()).toBe(expectedOutput(LINES));
  const page = (await (await get(`/api/commands/${runningId}/output?format=json&limit=10000`)).json()) as { chunks: Array<{ sequence: number }>; lastSequence: number };
  expect(page.chunks.map((chunk) => chunk.sequence)).toEqual(Array.from({ length: page.lastSequence }, (_, i) => i + 1));
  for (const d of dashboards) {
    const chunks = chunksOf(d, runningId!);
    expect(chunks.map((chunk) => chunk.sequence)).toEqual(Array.from({ length: page.lastSequence }, (_, i) => i + 1));
    expect(chunks.map((chunk) => chunk.data).join('')).toBe(expectedOutput(LINES));
    queuedIds.forEach((id, i) => expect(chunksOf(d, id).map((chunk) => chunk.data).join('')).toBe(`queued-${i + 1}\r\n`));
    for (const id of [runningId!, ...queuedIds]) expect(finalStatuses(d, id), id).toHaveLength(1);
  }
  const agents = ((await (await get('/api/agents')).json()) as { agents: Array<{ id: string; status: string }> }).agents;
  expect(agents.find((x) => x.id === 'survivor')?.status).toBe('online');
  expect(agent.child.exitCode).toBeNull();
}

describe.skipIf(!withEngines)('several nodes: the node that owns an agent is SIGKILLed while its command runs and three wait', () => {
  it('the agent is back on B at once: B adopts the running command, which runs on; never run twice, the queue in order, all output once', async () => {
    await ownerDies('back at once, the command runs on under B');
  }, 180_000);

  it('the agent is back only after the dead node was reaped and its command finished meanwhile: B adopts the finished command; never run twice, the queue in order, all output once', async () => {
    await ownerDies('back only after the dead node was reaped and the command finished meanwhile');
  }, 180_000);

  it('while the owner is dead, an interrupt, a cancel and a request from other nodes wait in the store: the next owner delivers the interrupt, skips the cancelled command, runs the new one', async () => {
    await using cluster = await startTestCluster({ heartbeatMs: 300, leaseMs: 2_000 });
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    const c = await cluster.start('c');
    const dashToken = await tokens.issue('dashboard', 'ops');
    await using onB = await openDashboard(b.wsUrl, dashToken);
    await using onC = await openDashboard(c.wsUrl, dashToken);
    const dashboards = [onB, onC];
    const agentToken = await tokens.issue('agent', 'raw');
    const first = await connectRawAgent(a.wsUrl, agentToken, 'raw');
    await waitUntil('both dashboards see the agent online', () => dashboards.every((d) => agentIs(d, 'raw', 'online')));
    onB.send('command:request', { agentId: 'raw', command: 'long', priority: 'normal', requestId: 'long' });
    const longId = (await first.waitFor('command:execute')).payload.commandId as string;
    first.send('command:started', { commandId: longId, pid: 1 });
    for (let sequence = 1; sequence <= 3; sequence++) first.send('terminal:output', { commandId: longId, sequence, stream: 'stdout', data: `before ${sequence}\n` });
    onB.send('command:request', { agentId: 'raw', command: 'cancel me', priority: 'normal', requestId: 'doomed' });
    onB.send('command:request', { agentId: 'raw', command: 'kept', priority: 'normal', requestId: 'kept' });
    const [doomedId, keptId] = await commandIds(onB, ['doomed', 'kept']);
    await waitUntil('the dashboards saw the output so far', () => dashboards.every((d) => chunksOf(d, longId).length === 3));

    a.child.kill('SIGKILL');
    await new Promise((resolve) => a.child.once('exit', resolve));
    await first.closed;
    // The owner is gone: C cancels one queued command, interrupts the running one, and asks for one more.
    onC.send('command:interrupt', { commandId: doomedId, requestId: 'cancel' });
    for (const d of dashboards) expect((await finalStatus(d, doomedId!)).payload.status).toBe('cancelled');
    onC.send('command:interrupt', { commandId: longId, requestId: 'interrupt' });
    onC.send('command:request', { agentId: 'raw', command: 'asked while away', priority: 'normal', requestId: 'late' });
    const late = await Promise.race([
      onC.waitFor('command:status', (p) => p.requestId === 'late'),
      onC.waitFor('error', (p) => p.requestId === 'late'),
    ]);
    await waitUntil('the dashboards see the agent offline', () => dashboards.every((d) => agentStatuses(d, 'raw').includes('offline')));

    // The agent comes back on B, still running its command, with one chunk nobody has acknowledged.
    await using second = await connectRawAgent(b.wsUrl, agentToken, 'raw', [{ commandId: longId, lastSequence: 4, finished: false }]);
    expect((await second.waitFor('command:interrupt', (p) => p.commandId === longId)).payload.reason).toBe('user');
    second.send('terminal:output', { commandId: longId, sequence: 3, stream: 'stdout', data: 'before 3\n' });
    second.send('terminal:output', { commandId: longId, sequence: 4, stream: 'stdout', data: 'while away\n' });
    second.send('command:exit', { commandId: longId, exitCode: null, signal: 'SIGINT', durationMs: 9, lastSequence: 4, outcome: 'interrupted' });
    for (const d of dashboards) expect((await finalStatus(d, longId)).payload).toMatchObject({ status: 'cancelled', lastSequence: 4 });
    const kept = await second.waitFor('command:execute', (p) => p.commandId === keptId);
    second.send('command:started', { commandId: kept.payload.commandId, pid: 2 });
    second.send('command:exit', { commandId: keptId, exitCode: 0, signal: null, durationMs: 1, lastSequence: 0, outcome: 'exited' });
    for (const d of dashboards) expect((await finalStatus(d, keptId!)).payload.status).toBe('completed');
    if (late.type === 'command:status') {
      // Accepted while the dead node still looked alive: it runs after the others.
      const lateId = late.payload.commandId as string;
      await second.waitFor('command:execute', (p) => p.commandId === lateId);
      second.send('command:started', { commandId: lateId, pid: 3 });
      second.send('command:exit', { commandId: lateId, exitCode: 0, signal: null, durationMs: 1, lastSequence: 0, outcome: 'exited' });
      for (const d of dashboards) expect((await finalStatus(d, lateId)).payload.status).toBe('completed');
    } else {
      // Refused once the dead node's agents were declared offline.
      expect(late.payload.code).toBe('AGENT_OFFLINE');
    }
    expect(second.messages.filter((m) => m.type === 'command:execute').map((m) => m.payload.commandId)).not.toContain(doomedId);
    for (const d of dashboards) {
      expect(chunksOf(d, longId).map((chunk) => chunk.sequence)).toEqual([1, 2, 3, 4]);
      for (const id of [longId, doomedId!, keptId!]) expect(finalStatuses(d, id), id).toHaveLength(1);
    }
  }, 120_000);

  it('a command adopted past its timeout is interrupted by its new owner when the agent does not stop it itself', async () => {
    await using cluster = await startTestCluster({ heartbeatMs: 300, leaseMs: 2_000 });
    const a = await cluster.start('a');
    const b = await cluster.start('b');
    await using onB = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'ops'));
    const agentToken = await tokens.issue('agent', 'stubborn');
    const first = await connectRawAgent(a.wsUrl, agentToken, 'stubborn');
    await waitUntil('B sees the agent online', () => agentIs(onB, 'stubborn', 'online'));
    onB.send('command:request', { agentId: 'stubborn', command: 'forever', priority: 'normal', timeoutMs: 200, requestId: 'forever' });
    const commandId = (await first.waitFor('command:execute')).payload.commandId as string;
    first.send('command:started', { commandId, pid: 1 });
    await waitUntil('B sees it running', () => onB.messages.some((m) => m.type === 'command:status' && m.payload.commandId === commandId && m.payload.status === 'running'));
    a.child.kill('SIGKILL');
    await first.closed;
    // Back on B, still running it and ignoring its timeout: B's backstop interrupts it.
    await using second = await connectRawAgent(b.wsUrl, agentToken, 'stubborn', [{ commandId, lastSequence: 0, finished: false }]);
    expect((await second.waitFor('command:interrupt', (p) => p.commandId === commandId, 30_000)).payload.reason).toBe('timeout');
    second.send('command:exit', { commandId, exitCode: null, signal: 'SIGINT', durationMs: 9, lastSequence: 0, outcome: 'timeout' });
    expect((await finalStatus(onB, commandId)).payload.status).toBe('timeout');
  }, 120_000);
});
