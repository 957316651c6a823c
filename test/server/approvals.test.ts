import { fileURLToPath } from 'node:url';
import type { Position } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { finishedRun, requestCommand } from '../support/ai-runs.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, TestSocket } from '../support/test-socket.js';

/**
 * Approvals through real parts: a real server, real `onsembl agent --type claude` processes running
 * the stand-in CLI (it speaks Claude Code's control_request / control_response lines and says what
 * it was told), and ws dashboards.
 */
const FAKE_CLAUDE = fileURLToPath(new URL('../fixtures/ai-cli/fake-claude.js', import.meta.url));

async function claudeAgent(server: TestServer, dashboard: TestSocket, name: string) {
  const agent = spawnAgent(server.wsUrl, await server.agentToken(name), ['--type', 'claude', '--cli', FAKE_CLAUDE]);
  await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === name && (p.agent as { status: string }).status === 'online');
  return agent;
}



async function audit(server: TestServer, token: string, action: string) {
  const res = await fetch(`${server.httpUrl}/api/audit?action=${action}`, { headers: { Authorization: `Bearer ${token}` } });
  return ((await res.json()) as { entries: Record<string, unknown>[] }).entries;
}

describe('approvals: an AI CLI asks, every dashboard sees it, the first answer wins', () => {
  it('allowed on one dashboard: both see it decided and by whom, a second answer is refused, the CLI ran the tool as asked, all audited', async () => {
    await using server = await startTestServer({ approvalTimeoutMs: 60_000 });
    const alice = await server.dashboardToken('alice');
    const bob = await server.dashboardToken('bob');
    await using first = await openDashboard(server.wsUrl, alice);
    await using second = await openDashboard(server.wsUrl, bob);
    await using _agent = await claudeAgent(server, first, 'claude-1');
    const commandId = await requestCommand(first, 'claude-1', 'create a file @ask', 'r-1');

    const asked = await first.waitFor('approval:request', (p) => p.commandId === commandId);
    const question = asked.payload;
    expect(question).toMatchObject({
      agentId: 'claude-1', commandId, tool: 'Bash', input: { command: 'touch approved.txt', description: 'Run command' },
      toolUseId: 'toolu_01MOCK', description: 'Run command',
    });
    expect((question.deadlineAt as number) - (question.requestedAt as number)).toBe(60_000);
    expect(asked.position).toMatchObject({ epoch: expect.any(String), offset: expect.any(Number) });
    const onSecond = await second.waitFor('approval:request', (p) => p.approvalId === question.approvalId);
    expect(onSecond.payload).toEqual(question);

    first.send('approval:response', { approvalId: question.approvalId, decision: 'allow', requestId: 'a-1' });
    const decided = await first.waitFor('approval:decided', (p) => p.approvalId === question.approvalId);
    expect(decided.payload).toMatchObject({ decision: 'allow', reason: 'answered', decidedBy: 'alice', requestId: 'a-1', commandId, agentId: 'claude-1', tool: 'Bash' });
    const seen = await second.waitFor('approval:decided', (p) => p.approvalId === question.approvalId);
    expect(seen.payload).toMatchObject({ decision: 'allow', decidedBy: 'alice' });

    // Bob was too late: told who decided, and nothing changes.
    second.send('approval:response', { approvalId: question.approvalId, decision: 'deny', requestId: 'b-1' });
    const late = await second.waitFor('error', (p) => p.requestId === 'b-1');
    expect(late.payload).toMatchObject({ code: 'APPROVAL_DECIDED', recoverable: true, details: { decision: 'allow', decidedBy: 'alice', reason: 'answered' } });
    expect(late.payload.message).toContain('allowed by alice');

    const run = await finishedRun(first, commandId);
    expect(run.status).toMatchObject({ status: 'completed', stopReason: 'completed' });
    const kinds = run.trace.map((e) => e.kind).filter((k) => k !== 'usage');
    expect(kinds).toEqual(['session', 'thinking', 'message', 'tool_call', 'approval_request', 'approval_decision', 'tool_result', 'message', 'result']);
    expect(run.trace.find((e) => e.kind === 'approval_decision')).toMatchObject({ approvalId: question.approvalId, decision: 'allow', decidedBy: 'alice' });
    expect(run.trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: true, output: 'ran: touch approved.txt' });
    expect(run.text).toContain('✔ allowed by alice');
    expect(run.text).toContain('The tool was allowed: ran touch approved.txt');
    expect(second.messages.filter((m) => m.type === 'approval:decided')).toHaveLength(1);

    // Stored: the trace over REST, and the audit log.
    const stored = (await (await fetch(`${server.httpUrl}/api/commands/${commandId}/trace`, { headers: { Authorization: `Bearer ${alice}` } })).json()) as { events: { event: { kind: string } }[] };
    expect(stored.events.map((e) => e.event.kind)).toContain('approval_decision');
    await expect.poll(() => audit(server, alice, 'approval.requested')).toEqual([expect.objectContaining({ actor: 'claude-1', role: 'agent', target: question.approvalId })]);
    await expect.poll(() => audit(server, alice, 'approval.allowed')).toEqual([
      expect.objectContaining({ actor: 'alice', role: 'dashboard', target: question.approvalId, detail: expect.objectContaining({ commandId, tool: 'Bash', reason: 'answered' }) }),
    ]);
  });

  it('denied with a message: the CLI is told who denied it and why, and carries on', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken('carol');
    await using dashboard = await openDashboard(server.wsUrl, token);
    await using _agent = await claudeAgent(server, dashboard, 'claude-1');
    const commandId = await requestCommand(dashboard, 'claude-1', 'create a file @ask', 'r-1');
    const asked = await dashboard.waitFor('approval:request', (p) => p.commandId === commandId);
    dashboard.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'deny', message: 'use the tmp folder' });
    const run = await finishedRun(dashboard, commandId);
    expect(run.status).toMatchObject({ status: 'completed' });
    expect(run.trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: false, output: 'Denied by carol in Onsembl: use the tmp folder' });
    expect(run.text).toContain('✘ denied by carol: use the tmp folder');
    expect(run.text).toContain('The tool was denied: Denied by carol in Onsembl: use the tmp folder');
    await expect.poll(() => audit(server, token, 'approval.denied')).toEqual([expect.objectContaining({ actor: 'carol', detail: expect.objectContaining({ message: 'use the tmp folder' }) })]);
  });

  it('no answer by the deadline denies: every dashboard is told, the CLI is told, the audit says the server decided', async () => {
    await using server = await startTestServer({ approvalTimeoutMs: 400 });
    const token = await server.dashboardToken();
    await using dashboard = await openDashboard(server.wsUrl, token);
    await using _agent = await claudeAgent(server, dashboard, 'claude-1');
    const commandId = await requestCommand(dashboard, 'claude-1', 'create a file @ask', 'r-1');
    const asked = await dashboard.waitFor('approval:request', (p) => p.commandId === commandId);
    const decided = await dashboard.waitFor('approval:decided', (p) => p.approvalId === asked.payload.approvalId);
    expect(decided.payload).toMatchObject({ decision: 'deny', reason: 'timeout', decidedBy: 'onsembl' });
    expect(decided.payload.decidedAt as number).toBeGreaterThanOrEqual(asked.payload.deadlineAt as number);
    const run = await finishedRun(dashboard, commandId);
    expect(run.trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: false, output: expect.stringContaining('before its deadline') });
    expect(run.text).toContain('✘ denied: nobody answered before the deadline');
    await expect.poll(() => audit(server, token, 'approval.denied')).toEqual([expect.objectContaining({ actor: 'onsembl', role: 'server', detail: expect.objectContaining({ reason: 'timeout' }) })]);
    dashboard.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'allow', requestId: 'x' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'x')).payload).toMatchObject({ code: 'APPROVAL_DECIDED', details: { reason: 'timeout' } });
  });

  it('a dashboard that connects while a question waits gets it; one that resumes gets the decision it missed', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken('dave');
    await using dashboard = await openDashboard(server.wsUrl, token);
    await using _agent = await claudeAgent(server, dashboard, 'claude-1');
    await using away = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    away.send('dashboard:connect', { token, clientInfo: { name: 'away' } });
    await away.waitFor('agent:list');
    const commandId = await requestCommand(dashboard, 'claude-1', 'create a file @ask', 'r-1');
    const asked = await away.waitFor('approval:request', (p) => p.commandId === commandId);
    const resumeAt = asked.position as Position;
    await away[Symbol.asyncDispose]();

    // A fresh dashboard: the waiting question is part of the picture it starts with.
    await using late = await openDashboard(server.wsUrl, token);
    const shown = await late.waitFor('approval:request', (p) => p.approvalId === asked.payload.approvalId);
    expect(shown.payload).toEqual(asked.payload);

    late.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'allow' });
    await finishedRun(dashboard, commandId);

    // The one that went away resumes from where it was and is told how it was decided.
    await using back = await TestSocket.open(`${server.wsUrl}/ws/dashboard`);
    back.send('dashboard:connect', { token, clientInfo: { name: 'back' }, resume: resumeAt });
    const ack = await back.waitFor('connection:ack');
    expect(ack.payload.recovered).toBe(true);
    const missed = await back.waitFor('approval:decided', (p) => p.approvalId === asked.payload.approvalId);
    expect(missed.payload).toMatchObject({ decision: 'allow', decidedBy: 'dave', reason: 'answered' });
  });

  it('a command interrupted while it asks: its question is denied as command_ended; an unknown approval is APPROVAL_NOT_FOUND', async () => {
    await using server = await startTestServer();
    const token = await server.dashboardToken();
    await using dashboard = await openDashboard(server.wsUrl, token);
    await using _agent = await claudeAgent(server, dashboard, 'claude-1');
    const commandId = await requestCommand(dashboard, 'claude-1', 'create a file @ask', 'r-1');
    const asked = await dashboard.waitFor('approval:request', (p) => p.commandId === commandId);
    dashboard.send('command:interrupt', { commandId });
    const decided = await dashboard.waitFor('approval:decided', (p) => p.approvalId === asked.payload.approvalId);
    expect(decided.payload).toMatchObject({ decision: 'deny', reason: 'command_ended', decidedBy: 'onsembl' });
    expect((await finishedRun(dashboard, commandId)).status).toMatchObject({ status: 'cancelled' });

    dashboard.send('approval:response', { approvalId: 'ap-nobody', decision: 'allow', requestId: 'u-1' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'u-1')).payload).toMatchObject({ code: 'APPROVAL_NOT_FOUND', details: { approvalId: 'ap-nobody' } });
    dashboard.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'maybe', requestId: 'bad' });
    expect((await dashboard.waitFor('error', (p) => p.requestId === 'bad')).payload).toMatchObject({ code: 'INVALID_MESSAGE' });
  });
});
