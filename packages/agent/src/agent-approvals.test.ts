import type { TraceEvent } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { fakeCliLog, fakeCliPath } from './test-support/fake-cli.js';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer, type TestAgentLink } from './test-support/test-server.js';

/**
 * Claude Code's approval round trip through a real agent and the stand-in CLI (which speaks the
 * real control_request / control_response lines and says what it was told): the question reaches
 * the server as approval:request, the server's approval:response is answered on the CLI's stdin.
 */
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const outputText = (link: TestAgentLink, commandId: string) => plain(link.outputOf(commandId).map((c) => c.data).join(''));
const eventsOf = (link: TestAgentLink, commandId: string): TraceEvent[] => link.traceOf(commandId).map((t) => t.event);

async function claudeAgent(server: TestServer) {
  const agent = startTestAgent(server, { type: 'claude', cli: { path: fakeCliPath('claude') } });
  const { link, connect } = await server.nextRegistered();
  return { agent, link, connect };
}

describe('agent: approvals of a Claude run', () => {
  it('asks the server, answers the CLI with the decision and the exact input, and traces both', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    const { agent, link, connect } = await claudeAgent(server);
    await using _a = agent;
    expect(connect.payload.capabilities).toContain('approvals');
    link.execute('c-1', 'make a file @ask', { approvals: true, env: { FAKE_CLI_LOG: log.path } });
    const asked = await link.waitFor('approval:request', (m) => m.payload.commandId === 'c-1');
    expect(asked.payload).toMatchObject({
      commandId: 'c-1', tool: 'Bash', input: { command: 'touch approved.txt', description: 'Run command' },
      toolUseId: 'toolu_01MOCK', description: 'Run command', approvalId: expect.stringMatching(/^ap-/),
    });
    expect(log.runs()[0]?.argv).toContain('--permission-prompt-tool');
    expect(log.runs()[0]?.argv[log.runs()[0]!.argv.indexOf('--permission-prompt-tool') + 1]).toBe('stdio');
    // The CLI waits: nothing after the question until it is answered.
    await link.waitFor('trace:event', (m) => m.payload.commandId === 'c-1' && m.payload.event.kind === 'approval_request');
    expect(eventsOf(link, 'c-1').map((e) => e.kind)).not.toContain('tool_result');

    link.send('approval:response', { approvalId: asked.payload.approvalId, commandId: 'c-1', decision: 'allow', reason: 'answered', decidedBy: 'alice' });
    const exit = await link.waitForExit('c-1');
    expect(exit.payload).toMatchObject({ outcome: 'exited', exitCode: 0, stopReason: 'completed' });
    const events = eventsOf(link, 'c-1');
    const kinds = events.map((e) => e.kind).filter((k) => k !== 'usage');
    expect(kinds).toEqual(['session', 'thinking', 'message', 'tool_call', 'approval_request', 'approval_decision', 'tool_result', 'message', 'result']);
    expect(events.find((e) => e.kind === 'approval_request')).toMatchObject({ approvalId: asked.payload.approvalId, tool: 'Bash', toolId: 'toolu_01MOCK' });
    expect(events.find((e) => e.kind === 'approval_decision')).toMatchObject({ decision: 'allow', reason: 'answered', decidedBy: 'alice' });
    // What the CLI was told: allowed, with the input as asked.
    expect(events.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: true, output: 'ran: touch approved.txt' });
    const text = outputText(link, 'c-1');
    expect(text).toContain('? Bash touch approved.txt needs approval: waiting for an answer in Onsembl\r\n');
    expect(text).toContain('  ✔ allowed by alice\r\n');
    expect(text).toContain('The tool was allowed: ran touch approved.txt');
  });

  it('a denial reaches the CLI with who denied it and why', async () => {
    await using server = await TestServer.start();
    const { agent, link } = await claudeAgent(server);
    await using _a = agent;
    link.execute('c-1', 'make a file @ask', { approvals: true });
    const asked = await link.waitFor('approval:request', (m) => m.payload.commandId === 'c-1');
    link.send('approval:response', { approvalId: asked.payload.approvalId, commandId: 'c-1', decision: 'deny', reason: 'answered', decidedBy: 'bob', message: 'not on a Friday' });
    const exit = await link.waitForExit('c-1');
    // A denied tool is not a failed run: the CLI carries on and says so.
    expect(exit.payload).toMatchObject({ exitCode: 0, stopReason: 'completed' });
    const events = eventsOf(link, 'c-1');
    expect(events.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: false, output: 'Denied by bob in Onsembl: not on a Friday' });
    expect(events.find((e) => e.kind === 'approval_decision')).toMatchObject({ decision: 'deny', decidedBy: 'bob', message: 'not on a Friday' });
    expect(outputText(link, 'c-1')).toContain('  ✘ denied by bob: not on a Friday\r\n');
  });

  it('asks again after a reconnect until answered; a second answer is ignored', async () => {
    await using server = await TestServer.start();
    const { agent, link } = await claudeAgent(server);
    await using _a = agent;
    link.execute('c-1', 'make a file @ask', { approvals: true });
    const asked = await link.waitFor('approval:request', (m) => m.payload.commandId === 'c-1');
    link.socket.terminate();
    const { link: again } = await server.nextRegistered();
    const repeated = await again.waitFor('approval:request', (m) => m.payload.commandId === 'c-1');
    expect(repeated.payload).toEqual(asked.payload);
    const answer = { approvalId: asked.payload.approvalId, commandId: 'c-1', decision: 'deny', reason: 'timeout', decidedBy: 'onsembl' } as const;
    again.send('approval:response', answer);
    again.send('approval:response', { ...answer, decision: 'allow', reason: 'answered', decidedBy: 'late' });
    await again.waitForExit('c-1');
    const decisions = eventsOf(again, 'c-1').filter((e) => e.kind === 'approval_decision');
    expect(decisions).toEqual([expect.objectContaining({ decision: 'deny', reason: 'timeout' })]);
    expect(eventsOf(again, 'c-1').find((e) => e.kind === 'tool_result')).toMatchObject({
      ok: false, output: 'Denied: nobody answered the approval request in Onsembl before its deadline.',
    });
  });

  it('without approvals from the server the CLI gets no prompt tool and its permission mode decides', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    const { agent, link } = await claudeAgent(server);
    await using _a = agent;
    link.execute('c-1', 'make a file @ask', { env: { FAKE_CLI_LOG: log.path } });
    const exit = await link.waitForExit('c-1');
    expect(exit.payload).toMatchObject({ exitCode: 0, stopReason: 'completed' });
    expect(link.received.filter((m) => m.type === 'approval:request')).toEqual([]);
    expect(log.runs()[0]?.argv).not.toContain('--permission-prompt-tool');
    expect(eventsOf(link, 'c-1').find((e) => e.kind === 'tool_result')).toMatchObject({ ok: false });
  });

  it('an interrupt while a question waits stops the run; the question is not asked again', async () => {
    await using server = await TestServer.start();
    const { agent, link } = await claudeAgent(server);
    await using _a = agent;
    link.execute('c-1', 'make a file @ask', { approvals: true });
    await link.waitFor('approval:request', (m) => m.payload.commandId === 'c-1');
    link.send('command:interrupt', { commandId: 'c-1', reason: 'user' });
    const exit = await link.waitForExit('c-1');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', stopReason: 'interrupted' });
    link.socket.terminate();
    const { link: again } = await server.nextRegistered();
    await again.waitForExit('c-1');
    expect(again.received.filter((m) => m.type === 'approval:request')).toEqual([]);
  });
});
