import type { TraceEvent } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { buildTimeline } from './timeline.js';

const at = 1_767_225_600_000;
const seq = (events: TraceEvent[]) => events.map((event, i) => ({ sequence: i + 1, event }));

describe('buildTimeline', () => {
  it('joins split text, hangs approval, result and file changes on their tool call, and keeps the last usage as the totals', () => {
    const timeline = buildTimeline(seq([
      { kind: 'session', at, sessionId: 's-1', model: 'claude-sonnet-5-5', resumed: true },
      { kind: 'thinking', at, text: 'I should ' },
      { kind: 'thinking', at, text: 'write it.' },
      { kind: 'message', at, text: 'Writing.' },
      { kind: 'usage', at, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.1, costSource: 'reported' },
      { kind: 'tool_call', at, toolId: 't1', name: 'Write', input: { file_path: '/a' }, summary: 'Write /a' },
      { kind: 'approval_request', at, approvalId: 'ap-1', tool: 'Write', input: { file_path: '/a' }, toolId: 't1' },
      { kind: 'approval_decision', at, approvalId: 'ap-1', decision: 'allow', reason: 'answered', decidedBy: 'alice' },
      { kind: 'tool_result', at, toolId: 't1', ok: true, output: 'ok', outputBytes: 2, truncated: false },
      { kind: 'file_change', at, path: '/a', change: 'add', diff: '+x\n', toolId: 't1' },
      { kind: 'approval_request', at, approvalId: 'ap-2', tool: 'Bash', input: { command: 'rm -rf /' } },
      { kind: 'usage', at, inputTokens: 5, outputTokens: 7, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.2, costSource: 'reported' },
      { kind: 'result', at, ok: true, reason: 'completed', turns: 2 },
    ]));
    expect(timeline.entries.map((e) => e.type)).toEqual(['session', 'thinking', 'message', 'tool', 'approval', 'result']);
    expect(timeline.entries[1]).toMatchObject({ text: 'I should write it.' });
    const tool = timeline.entries[3];
    expect(tool).toMatchObject({ type: 'tool', result: { ok: true }, files: [{ path: '/a' }], approval: { decision: { decidedBy: 'alice' } } });
    expect(timeline.entries[4]).toMatchObject({ type: 'approval', request: { approvalId: 'ap-2' }, decision: null });
    expect(timeline.usage).toMatchObject({ inputTokens: 5, outputTokens: 7, costUsd: 0.2 });
    expect(timeline.session).toMatchObject({ sessionId: 's-1', resumed: true });
    expect(timeline.result).toMatchObject({ ok: true, turns: 2 });
  });
});
