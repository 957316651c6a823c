import { TraceEvent as TraceEventSchema, type TokenUsage } from '@onsembl/protocol';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { feed, kinds, ofKind, plain, startRun, stream } from './test-helpers.js';

describe('Codex exec --json', () => {
  it('turns reasoning, a command, a file change and a message into trace events and terminal lines', () => {
    const replay = startRun('codex', { model: 'gpt-5-codex' });
    feed(replay, stream('codex_tools.out'), 50);
    const verdict = replay.end({ exitCode: 0 });
    expect(verdict).toMatchObject({ ok: true, stopReason: 'completed', sessionId: '01a23aff-be6f-7051-a2a3-5889dcac3a74' });
    expect(kinds(replay.events)).toEqual(['session', 'thinking', 'tool_call', 'tool_result', 'file_change', 'message', 'usage', 'result']);
    expect(ofKind(replay.events, 'tool_call')[0]).toMatchObject({ toolId: 'item_1', name: 'shell', summary: 'shell ls' });
    expect(ofKind(replay.events, 'file_change')[0]).toMatchObject({ path: '/home/dev/project/hello.txt', change: 'add', toolId: 'item_2' });
    for (const event of replay.events) expect(Value.Check(TraceEventSchema, event)).toBe(true);
    const text = plain(replay.text());
    expect(text).toContain('▸ shell ls\r\n  ⎿ README.md\r\n');
    expect(text).toContain('  ✎ add /home/dev/project/hello.txt\r\n');
    // 3900 input of which 3500 cached, 78 out; gpt-5 prices: 400 × 1.25 + 3500 × 0.125 + 78 × 10 per million.
    expect(verdict.usage).toMatchObject({ inputTokens: 400, cacheReadTokens: 3500, outputTokens: 78, costSource: 'estimated' });
    expect(verdict.usage.costUsd).toBeCloseTo((400 * 1.25 + 3500 * 0.125 + 78 * 10) / 1e6, 12);
  });

  it('counts a resumed thread\'s own share of the thread-wide totals', () => {
    const threadTotals = new Map<string, TokenUsage>();
    const first = startRun('codex', { threadTotals });
    feed(first, stream('codex_tools.out'));
    first.end();
    const resumed = startRun('codex', { threadTotals, resumeSessionId: '01a23aff-be6f-7051-a2a3-5889dcac3a74' });
    feed(resumed, stream('codex_resume.out'));
    const verdict = resumed.end();
    expect(verdict.usage).toMatchObject({ inputTokens: 10, cacheReadTokens: 0, outputTokens: 3 });
    expect(ofKind(resumed.events, 'session')[0]).toMatchObject({ resumed: true });
    expect(ofKind(resumed.events, 'notice')).toHaveLength(0);
  });

  it('says so when it resumes a thread whose earlier totals it never saw', () => {
    const replay = startRun('codex', { resumeSessionId: '01a23aff-be6f-7051-a2a3-5889dcac3a74' });
    feed(replay, stream('codex_resume.out'));
    replay.end();
    expect(ofKind(replay.events, 'notice')[0]?.message).toMatch(/totals of this run include them/);
  });

  it.each([
    ['codex_401.out', 'not_logged_in', '401 Unauthorized'],
    ['codex_429.out', 'rate_limited', '429 Too Many Requests'],
  ])('reads turn.failed of %s as failed with its reason, the reconnects as notices', (file, reason, message) => {
    const replay = startRun('codex');
    feed(replay, stream(file));
    expect(replay.end({ exitCode: 1 })).toMatchObject({ ok: false, stopReason: reason, message: expect.stringContaining(message) });
    expect(ofKind(replay.events, 'notice').map((n) => n.message)[0]).toMatch(/^Reconnecting\.\.\. 1\/5/);
  });

  it('calls a run without turn.completed no_result (exit 0) or a CLI error from its last error (exit 1)', () => {
    const silent = startRun('codex');
    feed(silent, stream('codex_int.out'));
    expect(silent.end({ exitCode: 0 })).toMatchObject({ ok: false, stopReason: 'no_result' });
    const noauth = startRun('codex');
    feed(noauth, stream('codex_noauth.out'));
    expect(noauth.end({ exitCode: 1 })).toMatchObject({ ok: false, stopReason: 'cli_error', message: expect.stringContaining('failed to lookup address') });
  });

  it('leaves cost unknown without a model (Codex does not name it in the stream)', () => {
    const replay = startRun('codex');
    feed(replay, stream('codex_ok.out'));
    expect(replay.end().usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 1200, outputTokens: 10, costUsd: null });
  });
});
