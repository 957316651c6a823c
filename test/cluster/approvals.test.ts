import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TokenService } from '@onsembl/server';
import { spawnAgent } from '../support/agent-process.js';
import { clusterEnginesAvailable, startTestCluster } from '../support/cluster.js';
import { connectRawAgentAs } from '../support/raw-agent.js';
import type { ServerProcess } from '../support/server-process.js';
import { TEST_SECRET } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';
import { waitUntil } from '../support/wait-until.js';
import { isFinal } from '../support/ai-runs.js';

/**
 * Approvals across real node processes on one PostgreSQL database and one Redis: a question asked
 * on the node that holds the agent is answered on any other node (docs/protocol.md "Approvals").
 * Agents are raw sockets that ask the way `onsembl agent` does (approval:request, asked again after
 * every reconnect), or a real agent process running the stand-in Claude CLI where a node dies.
 */
const tokens = new TokenService(TEST_SECRET);
const withEngines = await clusterEnginesAvailable();
const FAKE_CLAUDE = fileURLToPath(new URL('../fixtures/ai-cli/fake-claude.js', import.meta.url));
type Payload = Record<string, unknown>;

const online = (dashboard: TestSocket, agentId: string) =>
  dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === agentId && (p.agent as { status: string }).status !== 'offline', 30_000);

/** A raw Claude agent on `node` running one command a dashboard asked for; resolves with the command id. */
async function runningClaude(node: ServerProcess, name: string, dashboard: TestSocket, watchers: TestSocket[] = [dashboard]) {
  const agent = await connectRawAgentAs(node.wsUrl, await tokens.issue('agent', name), name, { type: 'claude', running: [] });
  for (const d of watchers) await online(d, name);
  const requestId = `run-${name}`;
  dashboard.send('command:request', { agentId: name, command: 'make a file', priority: 'normal', requestId });
  const execute = await agent.waitFor('command:execute');
  expect(execute.payload.approvals).toBe(true);
  const commandId = execute.payload.commandId as string;
  agent.send('command:started', { commandId, pid: 4242 });
  for (const d of watchers) await d.waitFor('command:status', (p) => p.commandId === commandId && p.status === 'running', 30_000);
  return { agent, commandId };
}

function ask(agent: TestSocket, commandId: string, approvalId: string): void {
  agent.send('approval:request', { approvalId, commandId, tool: 'Bash', input: { command: `touch ${approvalId}.txt` }, toolUseId: `toolu_${approvalId}` });
}

async function audit(node: ServerProcess, token: string, action: string, approvalId: string): Promise<Payload[]> {
  const res = await fetch(`${node.httpUrl}/api/audit?action=${action}`, { headers: { Authorization: `Bearer ${token}` } });
  return ((await res.json()) as { entries: Payload[] }).entries.filter((e) => e.target === approvalId);
}

const ofApproval = (socket: TestSocket, type: string, approvalId: string) =>
  socket.messages.filter((m) => m.type === type && m.payload.approvalId === approvalId);

describe.skipIf(!withEngines)('several nodes: approvals', () => {
  it('asked on A, answered on B: decided on A\'s agent and on C\'s dashboard; a later answer on C is refused; a fresh dashboard on C sees it waiting; audited once', async () => {
    await using cluster = await startTestCluster();
    const args = ['--approval-timeout', '60000'];
    const [a, b, c] = [await cluster.start('a', { args }), await cluster.start('b', { args }), await cluster.start('c', { args })];
    const alice = await tokens.issue('dashboard', 'alice');
    const carol = await tokens.issue('dashboard', 'carol');
    await using onB = await openDashboard(b.wsUrl, alice);
    await using onC = await openDashboard(c.wsUrl, carol);
    const { agent, commandId } = await runningClaude(a, 'claude-a', onB, [onB, onC]);

    ask(agent, commandId, 'ap-1');
    const seenOnB = await onB.waitFor('approval:request', (p) => p.approvalId === 'ap-1');
    const seenOnC = await onC.waitFor('approval:request', (p) => p.approvalId === 'ap-1');
    expect(seenOnB.payload).toMatchObject({ agentId: 'claude-a', commandId, tool: 'Bash', input: { command: 'touch ap-1.txt' }, toolUseId: 'toolu_ap-1' });
    expect((seenOnB.payload.deadlineAt as number) - (seenOnB.payload.requestedAt as number)).toBe(60_000);
    expect(seenOnC.payload).toEqual(seenOnB.payload);
    expect(seenOnC.position).toEqual(seenOnB.position);

    // A dashboard that starts from nothing on C, while the question waits, gets it with the rest.
    await using fresh = await openDashboard(c.wsUrl, carol);
    expect((await fresh.waitFor('approval:request', (p) => p.approvalId === 'ap-1')).payload).toEqual(seenOnB.payload);

    onB.send('approval:response', { approvalId: 'ap-1', decision: 'allow', requestId: 'alice-1' });
    const toAgent = await agent.waitFor('approval:response', (p) => p.approvalId === 'ap-1');
    expect(toAgent.payload).toEqual({ approvalId: 'ap-1', commandId, decision: 'allow', reason: 'answered', decidedBy: 'alice' });
    expect((await onB.waitFor('approval:decided', (p) => p.approvalId === 'ap-1')).payload).toMatchObject({ decision: 'allow', decidedBy: 'alice', requestId: 'alice-1' });
    const decidedOnC = await onC.waitFor('approval:decided', (p) => p.approvalId === 'ap-1');
    expect(decidedOnC.payload).toMatchObject({ agentId: 'claude-a', commandId, tool: 'Bash', decision: 'allow', reason: 'answered', decidedBy: 'alice' });
    await fresh.waitFor('approval:decided', (p) => p.approvalId === 'ap-1');

    // Carol on C was too late: told who decided; nothing changes.
    onC.send('approval:response', { approvalId: 'ap-1', decision: 'deny', requestId: 'carol-1' });
    const late = await onC.waitFor('error', (p) => p.requestId === 'carol-1');
    expect(late.payload).toMatchObject({ code: 'APPROVAL_DECIDED', details: { approvalId: 'ap-1', decision: 'allow', decidedBy: 'alice', reason: 'answered' } });
    // An unknown approval is unknown on every node.
    onC.send('approval:response', { approvalId: 'ap-none', decision: 'allow', requestId: 'carol-2' });
    expect((await onC.waitFor('error', (p) => p.requestId === 'carol-2')).payload).toMatchObject({ code: 'APPROVAL_NOT_FOUND' });

    // The agent reconnects to C and asks again (the decision might not have reached it): C answers from the store.
    await agent[Symbol.asyncDispose]();
    await using again = await connectRawAgentAs(c.wsUrl, await tokens.issue('agent', 'claude-a'), 'claude-a', { type: 'claude', running: [{ commandId, lastSequence: 0, finished: false }] });
    ask(again, commandId, 'ap-1');
    expect((await again.waitFor('approval:response', (p) => p.approvalId === 'ap-1')).payload).toMatchObject({ decision: 'allow', decidedBy: 'alice' });

    // A second question, asked on C now, answered (denied) on A, where no agent is any more.
    await using onA = await openDashboard(a.wsUrl, alice);
    ask(again, commandId, 'ap-2');
    await onA.waitFor('approval:request', (p) => p.approvalId === 'ap-2');
    onA.send('approval:response', { approvalId: 'ap-2', decision: 'deny', message: 'not today', requestId: 'alice-2' });
    expect((await again.waitFor('approval:response', (p) => p.approvalId === 'ap-2')).payload).toMatchObject({ decision: 'deny', decidedBy: 'alice', message: 'not today' });
    await onB.waitFor('approval:decided', (p) => p.approvalId === 'ap-2');

    // One question, one decision, on every dashboard; each audited once, whichever node looks.
    for (const d of [onB, onC]) {
      expect(ofApproval(d, 'approval:request', 'ap-1')).toHaveLength(1);
      expect(ofApproval(d, 'approval:decided', 'ap-1')).toHaveLength(1);
    }
    await expect.poll(() => audit(c, alice, 'approval.requested', 'ap-1')).toEqual([expect.objectContaining({ actor: 'claude-a', role: 'agent' })]);
    await expect.poll(() => audit(a, alice, 'approval.allowed', 'ap-1')).toEqual([
      expect.objectContaining({ actor: 'alice', role: 'dashboard', detail: expect.objectContaining({ commandId, reason: 'answered' }) }),
    ]);
    await expect.poll(() => audit(b, alice, 'approval.denied', 'ap-2')).toEqual([expect.objectContaining({ actor: 'alice', detail: expect.objectContaining({ message: 'not today' }) })]);
    expect(await audit(b, alice, 'approval.requested', 'ap-1')).toHaveLength(1);
    expect(await audit(b, alice, 'approval.denied', 'ap-1')).toEqual([]);
  }, 120_000);

  it('two answers on two nodes at the same moment: one wins, the other is told who won, the agent hears one decision', async () => {
    await using cluster = await startTestCluster();
    const args = ['--approval-timeout', '60000'];
    const [a, b, c] = [await cluster.start('a', { args }), await cluster.start('b', { args }), await cluster.start('c', { args })];
    await using onB = await openDashboard(b.wsUrl, await tokens.issue('dashboard', 'bob'));
    await using onC = await openDashboard(c.wsUrl, await tokens.issue('dashboard', 'carol'));
    const { agent, commandId } = await runningClaude(a, 'claude-a', onB, [onB, onC]);
    const ROUNDS = 8;
    const winners: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const approvalId = `race-${i}`;
      ask(agent, commandId, approvalId);
      await onB.waitFor('approval:request', (p) => p.approvalId === approvalId);
      await onC.waitFor('approval:request', (p) => p.approvalId === approvalId);
      onB.send('approval:response', { approvalId, decision: 'allow', requestId: `b-${i}` });
      onC.send('approval:response', { approvalId, decision: 'deny', requestId: `c-${i}` });
      const answers = await Promise.all([onB, onC].map(async (d, n) => {
        const requestId = `${n === 0 ? 'b' : 'c'}-${i}`;
        await waitUntil(`${requestId} is answered`, () => d.messages.some((m) => m.payload.requestId === requestId));
        return d.messages.find((m) => m.payload.requestId === requestId)!;
      }));
      const won = answers.filter((m) => m.type === 'approval:decided');
      const lost = answers.filter((m) => m.type === 'error');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const winner = won[0]!.payload.decidedBy as string;
      winners.push(winner);
      expect(lost[0]!.payload).toMatchObject({ code: 'APPROVAL_DECIDED', details: { decidedBy: winner } });
      const response = await agent.waitFor('approval:response', (p) => p.approvalId === approvalId);
      expect(response.payload).toMatchObject({ decidedBy: winner, decision: winner === 'bob' ? 'allow' : 'deny' });
      for (const d of [onB, onC]) {
        const decided = await d.waitFor('approval:decided', (p) => p.approvalId === approvalId);
        expect(decided.payload.decidedBy).toBe(winner);
      }
    }
    // Every decision reached the agent once; each is audited once, as its winner decided.
    const last = `race-${ROUNDS - 1}`;
    const token = await tokens.issue('dashboard', 'ops');
    await expect.poll(async () => [...(await audit(b, token, 'approval.allowed', last)), ...(await audit(b, token, 'approval.denied', last))]).toHaveLength(1);
    for (let i = 0; i < ROUNDS; i++) {
      const approvalId = `race-${i}`;
      expect(ofApproval(agent, 'approval:response', approvalId)).toHaveLength(1);
      for (const d of [onB, onC]) expect(ofApproval(d, 'approval:decided', approvalId)).toHaveLength(1);
      const entries = [...(await audit(c, token, 'approval.allowed', approvalId)), ...(await audit(c, token, 'approval.denied', approvalId))];
      expect(entries.map((e) => e.actor)).toEqual([winners[i]]);
    }
  }, 120_000);

  it('no answer by the deadline, with every dashboard on other nodes: denied on the agent and on every dashboard, audited once as the server', async () => {
    await using cluster = await startTestCluster();
    const args = ['--approval-timeout', '1500'];
    const [a, b, c] = [await cluster.start('a', { args }), await cluster.start('b', { args }), await cluster.start('c', { args })];
    const token = await tokens.issue('dashboard', 'erin');
    await using onB = await openDashboard(b.wsUrl, token);
    await using onC = await openDashboard(c.wsUrl, token);
    const { agent, commandId } = await runningClaude(a, 'claude-a', onB, [onB, onC]);
    ask(agent, commandId, 'ap-late');
    const asked = await onC.waitFor('approval:request', (p) => p.approvalId === 'ap-late');
    const response = await agent.waitFor('approval:response', (p) => p.approvalId === 'ap-late', 30_000);
    expect(response.payload).toEqual({ approvalId: 'ap-late', commandId, decision: 'deny', reason: 'timeout', decidedBy: 'onsembl' });
    for (const d of [onB, onC]) {
      const decided = await d.waitFor('approval:decided', (p) => p.approvalId === 'ap-late');
      expect(decided.payload).toMatchObject({ decision: 'deny', reason: 'timeout', decidedBy: 'onsembl' });
      expect(decided.payload.decidedAt as number).toBeGreaterThanOrEqual(asked.payload.deadlineAt as number);
    }
    onC.send('approval:response', { approvalId: 'ap-late', decision: 'allow', requestId: 'too-late' });
    expect((await onC.waitFor('error', (p) => p.requestId === 'too-late')).payload).toMatchObject({ code: 'APPROVAL_DECIDED', details: { reason: 'timeout' } });
    await expect.poll(() => audit(b, token, 'approval.denied', 'ap-late')).toEqual([
      expect.objectContaining({ actor: 'onsembl', role: 'server', detail: expect.objectContaining({ reason: 'timeout' }) }),
    ]);
    // The command's end denies what it still asks, wherever the dashboards are.
    ask(agent, commandId, 'ap-end');
    await onB.waitFor('approval:request', (p) => p.approvalId === 'ap-end');
    agent.send('command:exit', { commandId, exitCode: 0, signal: null, durationMs: 5, lastSequence: 0, outcome: 'exited' });
    expect((await onC.waitFor('approval:decided', (p) => p.approvalId === 'ap-end')).payload).toMatchObject({ decision: 'deny', reason: 'command_ended' });
    expect((await agent.waitFor('approval:response', (p) => p.approvalId === 'ap-end')).payload).toMatchObject({ reason: 'command_ended' });
    expect(await audit(c, token, 'approval.denied', 'ap-late')).toHaveLength(1);
  }, 120_000);

  it("the agent's node is killed while its question waits: the agent fails over and asks again, the first deadline holds, an answer on a third node reaches the CLI", async () => {
    await using cluster = await startTestCluster();
    const args = ['--approval-timeout', '120000'];
    const [a, b, c] = [await cluster.start('a', { args }), await cluster.start('b', { args }), await cluster.start('c', { args })];
    const token = await tokens.issue('dashboard', 'frank');
    await using onC = await openDashboard(c.wsUrl, token);
    await using _agent = spawnAgent(a.wsUrl, await tokens.issue('agent', 'claude-1'), ['--url', b.wsUrl, '--type', 'claude', '--cli', FAKE_CLAUDE]);
    await online(onC, 'claude-1');
    onC.send('command:request', { agentId: 'claude-1', command: 'create a file @ask', priority: 'normal', requestId: 'r-1' });
    const commandId = (await onC.waitFor('command:status', (p) => p.requestId === 'r-1' && p.status === 'queued')).payload.commandId as string;
    const asked = await onC.waitFor('approval:request', (p) => p.commandId === commandId, 60_000);
    const { approvalId } = asked.payload as { approvalId: string };

    a.child.kill('SIGKILL');
    // The agent is back on B (dashboards saw it go offline first, or it never was), and asked again there.
    await onC.waitFor('agent:status', (p) => (p.agent as { id: string }).id === 'claude-1' && (p.agent as { status: string }).status === 'offline', 30_000);
    const backAt = onC.messages.length;
    await waitUntil('claude-1 is online again', () => onC.messages.slice(backAt).some((m) => m.type === 'agent:status' && (m.payload.agent as { id: string; status: string }).id === 'claude-1' && (m.payload.agent as { status: string }).status !== 'offline'), 60_000);
    // A fresh dashboard still sees the one question, with its first deadline.
    await using fresh = await openDashboard(c.wsUrl, token);
    expect((await fresh.waitFor('approval:request', (p) => p.approvalId === approvalId)).payload).toEqual(asked.payload);

    onC.send('approval:response', { approvalId, decision: 'allow', requestId: 'f-1' });
    expect((await onC.waitFor('approval:decided', (p) => p.approvalId === approvalId)).payload).toMatchObject({ decision: 'allow', decidedBy: 'frank', requestId: 'f-1' });
    const final = await onC.waitFor('command:status', (p) => p.commandId === commandId && isFinal(p.status), 60_000);
    expect(final.payload).toMatchObject({ status: 'completed' });
    const trace = onC.messages.filter((m) => m.type === 'trace:event' && m.payload.commandId === commandId).map((m) => m.payload.event as { kind: string });
    expect(trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: true, output: 'ran: touch approved.txt' });
    expect(ofApproval(onC, 'approval:request', approvalId)).toHaveLength(1);
    expect(ofApproval(onC, 'approval:decided', approvalId)).toHaveLength(1);
    await expect.poll(() => audit(b, token, 'approval.allowed', approvalId)).toHaveLength(1);
    expect(await audit(b, token, 'approval.requested', approvalId)).toHaveLength(1);
  }, 180_000);

  it('the agent\'s node is killed and the agent never comes back: another node denies the question once its deadline and the node\'s lease are past', async () => {
    const LEASE_MS = 4_000;
    await using cluster = await startTestCluster({ leaseMs: LEASE_MS });
    const args = ['--approval-timeout', '1000'];
    const [a, b, c] = [await cluster.start('a', { args }), await cluster.start('b', { args }), await cluster.start('c', { args })];
    const token = await tokens.issue('dashboard', 'gina');
    await using onB = await openDashboard(b.wsUrl, token);
    await using onC = await openDashboard(c.wsUrl, token);
    const { agent, commandId } = await runningClaude(a, 'claude-a', onB, [onB, onC]);
    ask(agent, commandId, 'ap-orphan');
    const asked = await onB.waitFor('approval:request', (p) => p.approvalId === 'ap-orphan');
    a.child.kill('SIGKILL');
    await agent[Symbol.asyncDispose]();
    for (const d of [onB, onC]) {
      const decided = await d.waitFor('approval:decided', (p) => p.approvalId === 'ap-orphan', 30_000);
      expect(decided.payload).toMatchObject({ decision: 'deny', reason: 'timeout', decidedBy: 'onsembl' });
      // The nodes that do not hold the agent wait the lease past the deadline (its node may only be slow).
      expect(decided.payload.decidedAt as number).toBeGreaterThanOrEqual((asked.payload.deadlineAt as number) + LEASE_MS);
    }
    await expect.poll(() => audit(c, token, 'approval.denied', 'ap-orphan')).toHaveLength(1);
    for (const d of [onB, onC]) expect(ofApproval(d, 'approval:decided', 'ap-orphan')).toHaveLength(1);
  }, 120_000);
});
