import { TraceEvent as TraceEventSchema } from '@onsembl/protocol';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { feed, kinds, ofKind, plain, startRun, stream } from './test-helpers.js';

describe('Gemini stream-json', () => {
  it('joins assistant text deltas into one message event, shown as it arrives', () => {
    const replay = startRun('gemini');
    feed(replay, stream('gem_yolo.out'), 13);
    const verdict = replay.end({ exitCode: 0 });
    expect(verdict).toMatchObject({ ok: true, stopReason: 'completed', sessionId: '3f35d40d-10e4-4cf0-867f-cd637f22611e' });
    expect(kinds(replay.events)).toEqual(['session', 'message', 'tool_call', 'tool_result', 'message', 'usage', 'result']);
    expect(ofKind(replay.events, 'message').map((m) => m.text)).toEqual(['Let me list the files.', 'The directory has README.md and hello.txt.']);
    expect(ofKind(replay.events, 'tool_call')[0]).toMatchObject({ name: 'run_shell_command', summary: 'run_shell_command ls', input: { command: 'ls', description: 'List files' } });
    for (const event of replay.events) expect(Value.Check(TraceEventSchema, event)).toBe(true);
    const text = plain(replay.text());
    expect(text).toContain('Let me list the files.\r\n▸ run_shell_command ls\r\n  ⎿ README.md\r\n    approved.txt\r\n    hello.txt\r\n');
    expect(text).toContain('The directory has README.md and hello.txt.\r\n');
    expect(text.match(/The directory has/g)).toHaveLength(1);
  });

  it('takes stats as totals with cached tokens apart, and estimates the cost per model from the price table', () => {
    const replay = startRun('gemini');
    feed(replay, stream('gem_ok.out'));
    replay.end();
    // The fake server's model "gemini-mock" has no price: cost unknown, said so.
    expect(ofKind(replay.events, 'usage').at(-1)).toMatchObject({ inputTokens: 550, cacheReadTokens: 550, outputTokens: 12, costUsd: null, costSource: 'estimated' });
    expect(plain(replay.text())).toContain('1,112 tokens (550 in, 12 out, 550 cache read) · cost unknown');

    const priced = startRun('gemini');
    const line = (v: unknown) => `${JSON.stringify(v)}\n`;
    feed(priced, Buffer.from(
      line({ type: 'init', session_id: 's1', model: 'gemini-2.5-flash' }) +
      line({ type: 'result', status: 'success', stats: { total_tokens: 2_000_000, input_tokens: 1_500_000, output_tokens: 500_000, cached: 500_000, input: 1_000_000, models: { 'gemini-2.5-flash': { input_tokens: 1_500_000, output_tokens: 500_000, cached: 500_000, input: 1_000_000 } } } }),
    ));
    const verdict = priced.end();
    expect(verdict.usage.costUsd).toBeCloseTo(0.3 + 0.5 * 2.5 + 0.5 * 0.075, 10);
    expect(plain(priced.text())).toMatch(/~\$1\.59 \(estimated\)/);
  });

  it.each([
    ['gem_401.out', 145, 'not_logged_in', 'API key not valid'],
    ['gem_429t.out', 173, 'rate_limited', 'exceeded your current quota'],
    ['gem_turns.out', 53, 'turn_limit', 'Reached max session turns'],
  ])('reads the error result of %s as failed', (file, exitCode, reason, message) => {
    const replay = startRun('gemini');
    feed(replay, stream(file));
    expect(replay.end({ exitCode })).toMatchObject({ ok: false, stopReason: reason, message: expect.stringContaining(message) });
  });

  it.each([
    [41, 'not_logged_in', 'not authenticated (exit 41)'],
    [53, 'turn_limit', 'turn limit (exit 53)'],
    [145, 'not_logged_in', 'HTTP 401, exit 145'],
    [173, 'rate_limited', 'HTTP 429, exit 173'],
    [55, 'cli_error', 'not trusted'],
  ])('explains exit code %i without a result line', (exitCode, reason, message) => {
    const replay = startRun('gemini');
    feed(replay, stream('gem_sig.out'));
    replay.run.stderr(Buffer.from('Some error text\n    at stack (file.js:1:1)\n'));
    expect(replay.end({ exitCode })).toMatchObject({ ok: false, stopReason: reason, message: expect.stringContaining(message) });
    expect(plain(replay.text())).toContain('Some error text');
  });

  it('turns retries reported on stderr into notices', () => {
    const replay = startRun('gemini');
    replay.run.stderr(Buffer.from('Attempt 1 failed with status 429. Retrying with backoff... _ApiError: {"error":{}}\n    at x\n'));
    expect(ofKind(replay.events, 'notice')[0]).toMatchObject({ level: 'warn', message: 'API error 429: retry 1' });
  });

  it('flushes joined text at the end when no other event came after it', () => {
    const replay = startRun('gemini');
    const ok = stream('gem_ok.out');
    feed(replay, ok.subarray(0, ok.lastIndexOf('{"type":"result"')));
    expect(replay.end({ exitCode: 0 })).toMatchObject({ ok: false, stopReason: 'no_result' });
    expect(ofKind(replay.events, 'message').map((m) => m.text)).toEqual(['The directory has README.md and hello.txt.']);
  });
});

describe('Gemini budgets', () => {
  it('cannot stop a run whose usage comes only with its result: the run completes, with a notice that the budget was passed', () => {
    const replay = startRun('gemini', { budget: { maxTokens: 100 } });
    feed(replay, stream('gem_yolo.out'));
    expect(replay.overBudget).toEqual([]);
    expect(replay.end()).toMatchObject({ ok: true, stopReason: 'completed' });
    expect(ofKind(replay.events, 'notice')[0]?.message).toMatch(/usage passed the token budget of 100 by the end of the run; gemini reports usage only when a run ends/);
  });
});
