import { TraceEvent as TraceEventSchema } from '@onsembl/protocol';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { feed, kinds, ofKind, plain, startRun, stream } from './test-helpers.js';

describe('Claude stream-json', () => {
  it('turns a run with a tool call into session, thinking, message, call, result, usage and a verdict, read in any pieces', () => {
    for (const size of [1, 7, 4096, 1 << 20]) {
      const replay = startRun('claude');
      feed(replay, stream('claude_ok.out'), size);
      const verdict = replay.end({ exitCode: 0 });
      expect(verdict).toMatchObject({ ok: true, stopReason: 'completed', sessionId: '7c480327-7b66-43a2-a6be-bf2a1bfabdec' });
      expect(kinds(replay.events).filter((k) => k !== 'usage')).toEqual(['session', 'thinking', 'message', 'tool_call', 'tool_result', 'message', 'result']);
      for (const event of replay.events) expect(Value.Check(TraceEventSchema, event), JSON.stringify(event)).toBe(true);
    }
  });

  it('shows each step in the terminal and ends with turns, tokens, reported cost and duration', () => {
    const replay = startRun('claude');
    feed(replay, stream('claude_ok.out'));
    replay.end();
    const text = plain(replay.text());
    expect(text).toContain('● session 7c480327-7b66-43a2-a6be-bf2a1bfabdec · claude-sonnet-5-5 · /home/dev/project');
    expect(text).toContain("I'll list the files.\r\n");
    expect(text).toContain('▸ Bash ls\r\n');
    expect(text).toContain('  ⎿ README.md\r\n    hello.txt\r\n');
    expect(text).toContain('✔ completed · 2 turns · 18,207 tokens (32 in, 75 out, 18,100 cache read) · $0.0026 · 296 ms');
    expect(replay.text()).toContain('\u001b[');
    expect(text).not.toMatch(/[^\r]\n/); // every line ends with CRLF for xterm
  });

  it('takes the result usage and reported cost as the totals, and never adds up the assistant lines\' start snapshots', () => {
    const replay = startRun('claude');
    feed(replay, stream('claude_ok.out'));
    const verdict = replay.end();
    // Before the result: one snapshot per message id (msg_1 repeated on three lines, then msg_2).
    const usages = ofKind(replay.events, 'usage');
    expect(usages[0]).toMatchObject({ inputTokens: 12, cacheReadTokens: 9000, outputTokens: 1, costSource: 'estimated' });
    expect(usages[1]).toMatchObject({ inputTokens: 32, cacheReadTokens: 18100, outputTokens: 2 });
    expect(usages.at(-1)).toMatchObject({ inputTokens: 32, outputTokens: 75, cacheReadTokens: 18100, cacheWriteTokens: 0, costUsd: 0.0026240000000000005, costSource: 'reported', model: 'claude-sonnet-5-5' });
    expect(verdict.usage).toMatchObject({ costSource: 'reported', outputTokens: 75 });
  });

  it.each([
    ['claude_401.out', 'not_logged_in', 'Invalid API key'],
    ['claude_nokey.out', 'not_logged_in', 'Not logged in'],
    ['claude_429.out', 'rate_limited', 'API Error: Request rejected (429)'],
    ['claude_maxturns.out', 'turn_limit', 'Reached maximum number of turns (1)'],
  ])('reads %s (is_error with subtype "success" or an error subtype) as failed: %s', (file, reason, message) => {
    const replay = startRun('claude');
    feed(replay, stream(file));
    const verdict = replay.end({ exitCode: 1 });
    expect(verdict).toMatchObject({ ok: false, stopReason: reason, message: expect.stringContaining(message) });
    expect(ofKind(replay.events, 'result')[0]).toMatchObject({ ok: false, reason });
    expect(plain(replay.text())).toMatch(new RegExp(`✘ [a-z ]+: .*${message.replace(/[()]/g, '\\$&')}`));
  });

  it('reports a permission denial as a notice and the failed tool result, and the run as completed', () => {
    const replay = startRun('claude');
    feed(replay, stream('claude_deny.out'));
    expect(replay.end()).toMatchObject({ ok: true, stopReason: 'completed' });
    expect(ofKind(replay.events, 'notice')[0]?.message).toContain('permission denied for Bash');
    expect(ofKind(replay.events, 'tool_result')[0]).toMatchObject({ ok: false, toolId: 'toolu_01MOCK' });
  });

  it('marks a session as resumed when the run continued one', () => {
    const replay = startRun('claude', { resumeSessionId: '7c480327-7b66-43a2-a6be-bf2a1bfabdec' });
    feed(replay, stream('claude_pipe.out'));
    replay.end();
    expect(ofKind(replay.events, 'session')[0]).toMatchObject({ resumed: true });
  });

  it('ignores partial-message stream events (the complete assistant lines carry the same text)', () => {
    const replay = startRun('claude');
    feed(replay, stream('claude_partial.out'));
    replay.end();
    expect(ofKind(replay.events, 'message').map((m) => m.text)).toEqual(['The directory contains README.md and hello.txt.']);
  });

  it('calls a run that ends mid-line a crash, and keeps everything before the cut', () => {
    const replay = startRun('claude');
    feed(replay, stream('claude_resume.head.out'), 999);
    const verdict = replay.end({ exitCode: null, signal: 'SIGKILL' });
    expect(verdict).toMatchObject({ ok: false, stopReason: 'crashed', message: expect.stringContaining('in the middle of a line') });
    expect(ofKind(replay.events, 'tool_call').length).toBeGreaterThan(10);
    expect(ofKind(replay.events, 'result')).toHaveLength(1);
  });

  it('calls a run without its final event no_result, and one interrupted by the agent interrupted', () => {
    const lost = startRun('claude');
    const pipe = stream('claude_pipe.out');
    const withoutResult = pipe.subarray(0, pipe.lastIndexOf('\n', pipe.length - 2) + 1);
    expect(withoutResult.toString()).not.toContain('"type":"result"');
    feed(lost, withoutResult);
    expect(lost.end({ exitCode: 0 })).toMatchObject({ ok: false, stopReason: 'no_result', message: 'claude exited (code 0) without its final event' });

    const interrupted = startRun('claude');
    feed(interrupted, stream('claude_psig.out'));
    interrupted.run.stopping('interrupted');
    expect(interrupted.end({ exitCode: 0 })).toMatchObject({ ok: false, stopReason: 'interrupted' });
    expect(ofKind(interrupted.events, 'notice')[0]?.message).toBe('[Request interrupted by user]');
  });

  it('caps a 5 MB tool result, notes its full size, and shows a few lines with what was cut', () => {
    const big = 'line of tool output\n'.repeat(262_144); // 5 MiB
    const line = JSON.stringify({
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: 'toolu_big', type: 'tool_result', content: big, is_error: false }] },
      tool_use_result: { stdout: big, stderr: '' },
    });
    const replay = startRun('claude');
    feed(replay, Buffer.from(`${line}\n`), 65_536);
    const result = ofKind(replay.events, 'tool_result')[0];
    expect(result).toMatchObject({ toolId: 'toolu_big', ok: true, outputBytes: 5 * 1024 * 1024, truncated: true });
    expect(result?.output.length).toBe(8 * 1024);
    const text = plain(replay.text());
    expect(text).toMatch(/… [\d,]+\+ more lines, 5\.0 MB not shown of 5\.0 MB/);
    expect(text.length).toBeLessThan(4_000);
  });

  it('splits assistant text longer than the event limit into several message events', () => {
    const long = 'x'.repeat(40_000);
    const replay = startRun('claude');
    feed(replay, Buffer.from(`${JSON.stringify({ type: 'assistant', message: { id: 'm', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: long }] } })}\n`));
    expect(ofKind(replay.events, 'message').map((m) => m.text.length)).toEqual([16384, 16384, 40_000 - 32768]);
  });

  it('asks to stop once the token budget is passed, and says so in the verdict', () => {
    const replay = startRun('claude', { budget: { maxTokens: 10_000 } });
    feed(replay, stream('claude_ok.out'));
    expect(replay.overBudget).toEqual(['budget_tokens']);
    replay.run.stopping('budget_tokens');
    const verdict = replay.end({ exitCode: 0 });
    expect(verdict).toMatchObject({ ok: false, stopReason: 'budget_tokens', message: expect.stringMatching(/tokens used, over the budget of 10,000/) });
  });

  it('asks to stop once the estimated cost passes the cost budget', () => {
    const replay = startRun('claude', { budget: { maxCostUsd: 0.001 } });
    // claude-sonnet-5-5 is priced by the claude-sonnet prefix: 12 × 3 + 9000 × 0.3 + 1 × 15 per million ≈ $0.0028.
    feed(replay, stream('claude_ok.out'));
    expect(replay.overBudget).toEqual(['budget_cost']);
  });

  it('shows a line that is not JSON dimmed and goes on', () => {
    const replay = startRun('claude');
    feed(replay, Buffer.concat([Buffer.from('Warning: something odd\n'), stream('claude_pipe.out')]));
    expect(replay.end()).toMatchObject({ ok: true });
    expect(plain(replay.text())).toContain('Warning: something odd\r\n');
  });
});

describe('Claude file changes', () => {
  const line = (v: unknown) => `${JSON.stringify(v)}\n`;
  const call = (id: string, name: string, input: unknown) => line({ type: 'assistant', message: { id: `m-${id}`, model: 'claude-sonnet-4-5', content: [{ type: 'tool_use', id, name, input }] } });
  const result = (id: string, extra: Record<string, unknown> = {}, isError = false) =>
    line({ type: 'user', message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok', is_error: isError }] }, ...extra });

  it('turns a successful Edit and Write into file changes with a diff, and a failed one into none', () => {
    const replay = startRun('claude');
    feed(replay, Buffer.from(
      call('t1', 'Edit', { file_path: '/w/a.txt', old_string: 'hello\nworld', new_string: 'hello\nthere' }) + result('t1') +
      call('t2', 'Write', { file_path: '/w/new.txt', content: 'one\ntwo\n' }) + result('t2', { tool_use_result: { type: 'create' } }) +
      call('t3', 'Edit', { file_path: '/w/b.txt', old_string: 'x', new_string: 'y' }) +
      result('t3', { tool_use_result: { structuredPatch: [{ oldStart: 3, oldLines: 1, newStart: 3, newLines: 1, lines: ['-x', '+y'] }] } }) +
      call('t4', 'Edit', { file_path: '/w/c.txt', old_string: 'p', new_string: 'q' }) + result('t4', {}, true),
    ));
    const changes = ofKind(replay.events, 'file_change');
    expect(changes).toEqual([
      expect.objectContaining({ path: '/w/a.txt', change: 'modify', toolId: 't1', diff: '--- a/w/a.txt\n+++ b/w/a.txt\n-hello\n-world\n+hello\n+there\n' }),
      expect.objectContaining({ path: '/w/new.txt', change: 'add', toolId: 't2', diff: '--- a/w/new.txt\n+++ b/w/new.txt\n@@ -0,0 +1,2 @@\n+one\n+two\n' }),
      expect.objectContaining({ path: '/w/b.txt', change: 'modify', diff: '--- a/w/b.txt\n+++ b/w/b.txt\n@@ -3,1 +3,1 @@\n-x\n+y\n' }),
    ]);
    expect(plain(replay.text())).toContain('  ✎ modify /w/b.txt\r\n    --- a/w/b.txt\r\n    +++ b/w/b.txt\r\n    @@ -3,1 +3,1 @@\r\n    -x\r\n    +y\r\n');
  });
});
