/**
 * Approvals with the pinned Claude Code as a real agent: `onsembl agent --type claude` runs it with
 * `--permission-prompt-tool stdio` (the server relays approvals), in a loopback-only namespace against
 * the fake Anthropic API. The CLI itself asks before a tool that writes; a dashboard answers; the CLI
 * runs the tool or tells the model why not (docs/protocol.md "Approvals").
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { apis } from './fake-apis/index.js';
import { startAiStack, traceEvents } from './harness/agent-stack.js';
import { aiRealCanRun } from './harness/availability.js';

const runs = aiRealCanRun('test/ai-real/claude-approvals', ['claude']);

describe.runIf(runs)('claude asks a dashboard before it runs a tool', { timeout: 240_000 }, () => {
  test('allowed on the second dashboard: both see the question and the decision, the tool runs, the trace has both', async () => {
    await using s = await startAiStack('claude');
    s.box.fake.script({ kind: 'tool', command: 'touch allowed.txt', text: 'I will make the file.' }, { kind: 'answer', text: 'The file is made.' });
    const commandId = await s.send('make a file called allowed.txt');
    const asked = await s.dashboard.waitFor('approval:request', (p) => p.commandId === commandId, 90_000);
    expect(asked.payload).toMatchObject({ agentId: s.agentId, tool: 'Bash', input: expect.objectContaining({ command: 'touch allowed.txt' }) });
    const onWatcher = await s.watcher.waitFor('approval:request', (p) => p.approvalId === asked.payload.approvalId);
    expect(onWatcher.payload).toEqual(asked.payload);
    expect(existsSync(`${s.box.work}/allowed.txt`)).toBe(false); // nothing ran before the answer

    s.watcher.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'allow', requestId: 'bob-1' });
    const decided = await s.dashboard.waitFor('approval:decided', (p) => p.approvalId === asked.payload.approvalId);
    expect(decided.payload).toMatchObject({ decision: 'allow', reason: 'answered', decidedBy: 'bob' });
    const run = await s.settle(commandId);
    expect(run.final.payload).toMatchObject({ status: 'completed' });
    expect(existsSync(`${s.box.work}/allowed.txt`)).toBe(true);
    const trace = traceEvents(run).map((t) => t.event);
    const kinds = trace.map((e) => e.kind);
    expect(kinds.indexOf('approval_request')).toBeGreaterThan(kinds.indexOf('tool_call'));
    expect(kinds.indexOf('approval_decision')).toBeGreaterThan(kinds.indexOf('approval_request'));
    expect(kinds.indexOf('tool_result')).toBeGreaterThan(kinds.indexOf('approval_decision'));
    expect(trace.find((e) => e.kind === 'approval_decision')).toMatchObject({ approvalId: asked.payload.approvalId, decision: 'allow', decidedBy: 'bob' });
    expect(trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: true });
    // The model got the tool's result and answered.
    expect(s.box.fake.main()).toHaveLength(2);
    expect(trace.find((e) => e.kind === 'result')).toBeDefined();
  });

  test('denied with a message: the tool does not run, the model is told who denied it and why', async () => {
    await using s = await startAiStack('claude');
    s.box.fake.script({ kind: 'tool', command: 'touch denied.txt' }, { kind: 'answer', text: 'Understood, I left it.' });
    const commandId = await s.send('make a file called denied.txt');
    const asked = await s.dashboard.waitFor('approval:request', (p) => p.commandId === commandId, 90_000);
    s.dashboard.send('approval:response', { approvalId: asked.payload.approvalId, decision: 'deny', message: 'not in this folder' });
    const run = await s.settle(commandId);
    expect(run.final.payload).toMatchObject({ status: 'completed' });
    expect(existsSync(`${s.box.work}/denied.txt`)).toBe(false);
    const trace = traceEvents(run).map((t) => t.event);
    expect(trace.find((e) => e.kind === 'approval_decision')).toMatchObject({ decision: 'deny', decidedBy: 'alice', message: 'not in this folder' });
    expect(trace.find((e) => e.kind === 'tool_result')).toMatchObject({ ok: false });
    const toModel = apis.anthropic.toolResults(s.box.fake.main()[1]?.body).join('\n');
    expect(toModel).toContain('Denied by alice in Onsembl: not in this folder');
    await expect.poll(async () => (await s.rest<{ entries: { action: string; target?: string }[] }>('/api/audit?action=approval.denied')).entries
      .filter((e) => e.target === asked.payload.approvalId)).toHaveLength(1);
  });
});
