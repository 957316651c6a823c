import { describe, expect, it } from 'vitest';
import {
  envelope, estimateCostUsd, Limits, modelPrice, parseAgentMessage, parseDashboardMessage,
  parseServerToAgentMessage, parseServerToDashboardMessage, PROTOCOL_VERSION, StopReason, TraceKind,
  type TraceEvent,
} from './index.js';

const at = 1_767_225_600_000;
const events: TraceEvent[] = [
  { kind: 'session', at, sessionId: '7c480327-7b66-43a2-a6be-bf2a1bfabdec', model: 'claude-sonnet-4-5', cwd: '/home/dev', cliVersion: '2.1.328', resumed: false },
  { kind: 'message', at, text: 'I will list the files.' },
  { kind: 'thinking', at, text: 'I should list the files.' },
  { kind: 'tool_call', at, toolId: 'toolu_01', name: 'Bash', input: { command: 'ls' }, summary: 'Bash ls' },
  { kind: 'tool_call', at, toolId: 'toolu_02', name: 'Write', input: '{"file_path":"/x","content":"aaa', inputTruncated: true, summary: 'Write /x' },
  { kind: 'tool_result', at, toolId: 'toolu_01', ok: true, output: 'README.md', outputBytes: 5_000_000, truncated: true },
  { kind: 'file_change', at, path: '/home/dev/hello.txt', change: 'add', diff: '+hello\n', toolId: 'item_2' },
  { kind: 'usage', at, inputTokens: 32, outputTokens: 75, cacheReadTokens: 18_100, cacheWriteTokens: 0, costUsd: 0.002624, costSource: 'reported', model: 'claude-sonnet-4-5' },
  { kind: 'usage', at, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: null, costSource: 'estimated' },
  { kind: 'result', at, ok: false, reason: 'rate_limited', message: 'API Error: 429', turns: 1, durationMs: 818 },
  { kind: 'notice', at, level: 'warn', message: 'Reconnecting... 1/5' },
  { kind: 'approval_request', at, approvalId: 'ap-1', tool: 'Bash', input: { command: 'touch approved.txt' }, toolId: 'toolu_01' },
  { kind: 'approval_decision', at, approvalId: 'ap-1', decision: 'deny', reason: 'timeout', decidedBy: 'onsembl', message: 'no answer within 5 min' },
];

const wire = (type: string, payload: unknown) =>
  JSON.stringify({ version: PROTOCOL_VERSION, type, timestamp: at, payload });

describe('trace:event', () => {
  it('names every kind in TraceKind and every stop reason in StopReason', () => {
    expect(new Set(events.map((e) => e.kind))).toEqual(new Set(Object.values(TraceKind)));
    expect(Object.values(StopReason)).toContain('budget_cost');
  });

  it.each(events.map((e) => [e.kind, e] as const))('accepts a %s event from an agent and to a dashboard', (_kind, event) => {
    expect(parseAgentMessage.parse(wire('trace:event', { commandId: 'c1', sequence: 1, event }))).toMatchObject({ ok: true });
    expect(
      parseServerToDashboardMessage.parse(wire('trace:event', { commandId: 'c1', agentId: 'a1', sequence: 7, event })),
    ).toMatchObject({ ok: true });
  });

  it.each([
    ['an unknown kind', { kind: 'telemetry', at }],
    ['a missing at', { kind: 'message', text: 'x' }],
    ['text over the limit', { kind: 'message', at, text: 'x'.repeat(Limits.traceTextMaxChars + 1) }],
    ['tool output over the limit', { kind: 'tool_result', at, toolId: 't', ok: true, output: 'x'.repeat(Limits.traceToolOutputMaxChars + 1), outputBytes: 1, truncated: true }],
    ['negative tokens', { kind: 'usage', at, inputTokens: -1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, costSource: 'reported' }],
    ['an unknown stop reason', { kind: 'result', at, ok: false, reason: 'bored' }],
    ['an unknown cost source', { kind: 'usage', at, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0, costSource: 'guessed' }],
    ['a file change of an unknown kind', { kind: 'file_change', at, path: '/x', change: 'touch' }],
  ])('rejects %s', (_name, event) => {
    expect(parseAgentMessage.parse(wire('trace:event', { commandId: 'c1', sequence: 1, event }))).toMatchObject({ ok: false });
  });

  it('rejects sequence 0 (trace sequences start at 1)', () => {
    expect(parseAgentMessage.parse(wire('trace:event', { commandId: 'c1', sequence: 0, event: events[1] }))).toMatchObject({ ok: false });
  });

  it('keeps the largest well-formed events under traceEventMaxBytes, escapes included', () => {
    const escaped = (n: number) => '\u0001'.repeat(n); // six bytes each as JSON
    const worst: TraceEvent[] = [
      { kind: 'message', at, text: escaped(Limits.traceTextMaxChars) },
      { kind: 'file_change', at, path: escaped(4096), change: 'modify', diff: escaped(Limits.traceDiffMaxChars), toolId: 'x'.repeat(128) },
      { kind: 'tool_result', at, toolId: 'x'.repeat(128), ok: true, output: escaped(Limits.traceToolOutputMaxChars), outputBytes: 1, truncated: true },
      {
        kind: 'tool_call', at, toolId: 'x'.repeat(128), name: escaped(256), input: escaped(Limits.traceInputMaxChars),
        inputTruncated: true, summary: escaped(Limits.traceSummaryMaxChars),
      },
    ];
    for (const event of worst) expect(Buffer.byteLength(JSON.stringify(event)), event.kind).toBeLessThan(Limits.traceEventMaxBytes);
  });

  it('keeps the largest event far under the 1 MB message limit, escapes included', () => {
    const worst = '\u0001'.repeat(Limits.traceTextMaxChars); // six bytes each as JSON
    const size = Buffer.byteLength(JSON.stringify(envelope('trace:event', { commandId: 'c', sequence: 1, event: { kind: 'message', at, text: worst } })));
    expect(size).toBeLessThan(Limits.maxMessageBytes / 4);
  });
});

describe('the 1.x fields of existing messages', () => {
  it('carries budgets and a session to resume on command:execute, and refuses a zero budget', () => {
    const ok = parseServerToAgentMessage.parse(
      wire('command:execute', { commandId: 'c1', command: 'fix the bug', resumeSessionId: 's-1', maxTokens: 1000, maxCostUsd: 0.5 }),
    );
    expect(ok).toMatchObject({ ok: true });
    expect(parseServerToAgentMessage.parse(wire('command:execute', { commandId: 'c1', command: 'x', maxCostUsd: 0 }))).toMatchObject({ ok: false });
    expect(parseServerToAgentMessage.parse(wire('command:execute', { commandId: 'c1', command: 'x', maxTokens: 0 }))).toMatchObject({ ok: false });
  });

  it('accepts budgets and session choices on command:request', () => {
    const r = parseDashboardMessage.parse(
      wire('command:request', { agentId: 'a1', command: 'go', priority: 'normal', maxTokens: 5, maxCostUsd: 0.01, newSession: true, sessionId: 's-2' }),
    );
    expect(r).toMatchObject({ ok: true });
  });

  it('accepts stopReason, sessionId and lastTraceSequence on command:exit, and trace:ack', () => {
    const exit = parseAgentMessage.parse(
      wire('command:exit', {
        commandId: 'c1', exitCode: 1, signal: null, durationMs: 5, lastSequence: 3, outcome: 'exited',
        stopReason: 'not_logged_in', sessionId: 's-1', lastTraceSequence: 9,
      }),
    );
    expect(exit).toMatchObject({ ok: true });
    expect(parseServerToAgentMessage.parse(wire('trace:ack', { commandId: 'c1', sequence: 9 }))).toMatchObject({ ok: true });
  });

  it('accepts session, cwd and model on agent:connect and lastTraceSequence on its running items', () => {
    const r = parseAgentMessage.parse(
      wire('agent:connect', {
        name: 'a', type: 'claude', version: '0.1.0', cwd: '/w', model: 'claude-sonnet-4-5', cliVersion: '2.1.328', sessionId: 's-1',
        running: [{ commandId: 'c1', lastSequence: 2, finished: true, lastTraceSequence: 4 }],
      }),
    );
    expect(r).toMatchObject({ ok: true });
  });

  it('accepts usage, stopReason and sessionId on command:status and session fields on AgentInfo', () => {
    const status = parseServerToDashboardMessage.parse(
      wire('command:status', {
        commandId: 'c1', agentId: 'a1', status: 'failed', stopReason: 'budget_tokens', sessionId: 's-1',
        usage: { inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, costUsd: null, costSource: 'estimated' },
      }),
    );
    expect(status).toMatchObject({ ok: true });
    const agent = parseServerToDashboardMessage.parse(
      wire('agent:status', { agent: { id: 'a1', name: 'a', type: 'codex', status: 'online', sessionId: 't-1', cwd: '/w', model: 'gpt-5-codex' } }),
    );
    expect(agent).toMatchObject({ ok: true });
  });
});

describe('estimateCostUsd', () => {
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000 };

  it('prices every token kind at the table price per million', () => {
    expect(estimateCostUsd('claude-sonnet-4-5-20250929', usage)).toBeCloseTo(3 + 15 + 0.3 + 3.75, 10);
    expect(estimateCostUsd('gemini-2.5-flash', { ...usage, cacheWriteTokens: 0 })).toBeCloseTo(0.3 + 2.5 + 0.075, 10);
    expect(estimateCostUsd('gpt-5-codex', { inputTokens: 100, outputTokens: 10, cacheReadTokens: 1200, cacheWriteTokens: 0 }))
      .toBeCloseTo((100 * 1.25 + 10 * 10 + 1200 * 0.125) / 1e6, 12);
  });

  it('takes the longest matching prefix', () => {
    expect(modelPrice('gemini-2.5-flash-lite')?.input).toBe(0.1);
    expect(modelPrice('gemini-2.5-flash')?.input).toBe(0.3);
    expect(modelPrice('gpt-5-mini-2025')?.input).toBe(0.25);
    expect(modelPrice('models/gemini-2.5-pro')?.input).toBe(1.25);
  });

  it('returns null for a model not in the table or no model', () => {
    expect(estimateCostUsd('gemini-mock', usage)).toBeNull();
    expect(estimateCostUsd('llama-3', usage)).toBeNull();
    expect(estimateCostUsd(undefined, usage)).toBeNull();
  });
});
