/**
 * The pinned Claude Code, run directly (no agent) inside a loopback-only network namespace against its
 * fake model API: what this version prints for a tool call, a resumed session, an interrupt, an auth
 * failure and a rate limit, and what it sends. These tests pin the format the agent runner parses;
 * when a version bump changes it, they say where.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { apis } from './fake-apis/index.js';
import { aiRealCanRun } from './harness/availability.js';
import { startCliSandbox } from './harness/cli-sandbox.js';
import { command, type Event, expectIsolatedPinnedCli, expectOnlyKnownRequests, ofType, run, sessionOf } from './harness/direct-cli.js';
import { pins } from './harness/installed-clis.js';
import { TOOL_THEN_ANSWER } from './harness/scripted-replies.js';

const runs = aiRealCanRun('test/ai-real/claude-cli', ['claude']);

describe.runIf(runs)(`claude ${pins.claude.version}, run directly against the fake API in a loopback-only namespace`, { timeout: 90_000 }, () => {
  test('the namespace has nothing but loopback (a connection off the machine is unreachable), and --version answers the pinned version', async () => {
    await using box = await startCliSandbox('claude');
    await expectIsolatedPinnedCli(box);
  });

  test('a tool call and its result: stream-json lines, usage and cost, and what went to the API', async () => {
    await using box = await startCliSandbox('claude');
    box.fake.script(...TOOL_THEN_ANSWER);
    const cli = run(box, 'list the files');
    const { code } = await cli.done;
    const events = cli.events;
    expect(code).toBe(0);
    const init = events.find((e) => e.subtype === 'init') as Event;
    expect(init).toMatchObject({ type: 'system', cwd: box.work, apiKeySource: 'ANTHROPIC_API_KEY', claude_code_version: pins.claude.version });
    const blocks = ofType(events, 'assistant').flatMap((e) => (e.message as { content: Event[] }).content);
    expect(blocks.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use', 'text']);
    expect(blocks[2]).toMatchObject({ name: 'Bash', input: { command: 'ls' } });
    const toolResult = ofType(events, 'user').flatMap((e) => (e.message as { content: Event[] }).content).find((b) => b.type === 'tool_result');
    expect(toolResult).toMatchObject({ tool_use_id: blocks[2]?.id, is_error: false });
    expect(String(toolResult?.content)).toContain('hello.txt');
    const result = ofType(events, 'result').at(-1) as Event;
    expect(result).toMatchObject({ subtype: 'success', is_error: false, num_turns: 2, result: 'The folder has README.md and hello.txt.' });
    // The result's usage sums the two model calls; the cost is the CLI's own (from its price table).
    expect(result.usage).toMatchObject({ input_tokens: 2500, output_tokens: 42, cache_read_input_tokens: 1700 });
    expect(result.total_cost_usd).toBeGreaterThan(0);
    // The command really ran inside the namespace and its output went back to the model.
    expect(box.fake.main()).toHaveLength(2);
    expect(apis.anthropic.toolResults(box.fake.main()[1]?.body).join('')).toContain('hello.txt');
    expectOnlyKnownRequests(box.fake);
  });

  test('a file write (acceptEdits): a Write tool_use, its result, and the file on disk', async () => {
    await using box = await startCliSandbox('claude');
    const path = `${box.work}/notes.txt`;
    box.fake.script({ kind: 'write', path, content: 'first line\nsecond line\n' }, { kind: 'answer', text: 'Written.' });
    const cli = box.run(['-p', 'write notes', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits']);
    expect((await cli.done).code).toBe(0);
    const blocks = ofType(cli.events, 'assistant').flatMap((e) => (e.message as { content: Event[] }).content);
    expect(blocks.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'Write', input: { file_path: path, content: 'first line\nsecond line\n' } });
    const user = ofType(cli.events, 'user').find((e) => (e.message as { content: Event[] }).content.some((b) => b.type === 'tool_result'));
    // Unlike Bash's, Write's tool_result has no is_error field at all.
    const result = (user?.message as { content: Event[] }).content[0];
    expect(result).not.toHaveProperty('is_error');
    expect(String(result?.content)).toContain('File created successfully');
    // tool_use_result says what the tool did: a create, with the new content.
    expect(user?.tool_use_result).toMatchObject({ type: 'create', filePath: path, content: 'first line\nsecond line\n' });
    expect(readFileSync(path, 'utf8')).toBe('first line\nsecond line\n');
  });

  test('--resume continues the session: the second prompt reaches the API with the first exchange', async () => {
    await using box = await startCliSandbox('claude');
    box.fake.script({ kind: 'answer', text: 'First answer.' }, { kind: 'answer', text: 'Second answer.' });
    const first = run(box, 'first prompt');
    expect((await first.done).code).toBe(0);
    const session = sessionOf('claude', first.events);
    const second = run(box, 'second prompt', session);
    expect((await second.done).code).toBe(0);
    expect(sessionOf('claude', second.events)).toBe(session);
    expect(ofType(second.events, 'result').at(-1)).toMatchObject({ is_error: false, result: 'Second answer.', session_id: session });
    const texts = apis.anthropic.texts(box.fake.main()[1]?.body).join('\n');
    expect(texts).toContain('first prompt');
    expect(texts).toContain('First answer.');
    expect(texts).toContain('second prompt');
  });

  test('SIGINT mid-stream: the partial text, "[Request interrupted by user]", a result line, exit 0, the stream dropped', async () => {
    await using box = await startCliSandbox('claude');
    box.fake.script({ kind: 'stall', text: 'Working on it' });
    // With --include-partial-messages the API's stream events are printed as they arrive, so the
    // test can interrupt once the first text delta is through (assistant lines wait for the block's end).
    const cli = box.run([...command.claude.args('take your time'), '--include-partial-messages']);
    await cli.waitForEvent((e) => e.type === 'stream_event' && (e.event as { delta?: { type?: string } }).delta?.type === 'text_delta');
    expect(ofType(cli.events, 'assistant')).toEqual([]);
    cli.child.kill('SIGINT');
    const { code } = await cli.done;
    expect(code).toBe(0);
    // The text streamed so far is printed now, as the interrupted message's assistant line.
    const texts = ofType(cli.events, 'assistant').flatMap((e) => (e.message as { content: Event[] }).content);
    expect(texts.map((b) => b.text)).toEqual(['Working on it']);
    expect(ofType(cli.events, 'result')).toHaveLength(1);
    const users = ofType(cli.events, 'user').flatMap((e) => (e.message as { content: Event[] }).content);
    expect(users.some((b) => b.text === '[Request interrupted by user]')).toBe(true);
    await box.fake.waitForRequest((r) => r.reply?.kind === 'stall' && r.aborted);
  });

  test('permission modes headless: default refuses a write, acceptEdits runs it', async () => {
    await using box = await startCliSandbox('claude');
    const touch = (mode: string) => {
      box.fake.script({ kind: 'tool', command: `touch made-in-${mode}.txt` }, { kind: 'answer', text: 'Done.' });
      return box.run(['-p', 'make a file', '--output-format', 'stream-json', '--verbose', '--permission-mode', mode]);
    };
    const refused = touch('default');
    expect((await refused.done).code).toBe(0);
    const denied = ofType(refused.events, 'user').flatMap((e) => (e.message as { content: Event[] }).content).find((b) => b.type === 'tool_result');
    expect(denied).toMatchObject({ is_error: true });
    expect(String(denied?.content)).toContain('needs approval');
    expect(ofType(refused.events, 'result').at(-1)).toMatchObject({ is_error: false, permission_denials: [expect.objectContaining({ tool_name: 'Bash' })] });
    expect(existsSync(`${box.work}/made-in-default.txt`)).toBe(false);

    const allowed = touch('acceptEdits');
    expect((await allowed.done).code).toBe(0);
    expect(ofType(allowed.events, 'result').at(-1)).toMatchObject({ is_error: false, permission_denials: [] });
    expect(existsSync(`${box.work}/made-in-acceptEdits.txt`)).toBe(true);
  });

  test.runIf(process.getuid?.() === 0)('as root, bypassPermissions is refused before anything runs: exit 1, one stderr line', async () => {
    await using box = await startCliSandbox('claude');
    const cli = box.run(['-p', 'hi', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions']);
    expect((await cli.done).code).toBe(1);
    expect(cli.stderr()).toContain('cannot be used with root/sudo privileges');
    expect(cli.events).toEqual([]);
    expect(box.fake.requests).toEqual([]);
  });

  test.each([
    [401, 'authentication_failed'],
    [429, 'rate_limit'],
  ] as const)('HTTP %i: a synthetic assistant line with error %s, a result with is_error and subtype success, exit 1', async (status, error) => {
    await using box = await startCliSandbox('claude');
    box.fake.script({ kind: 'error', status });
    const cli = run(box, 'hi');
    const { code } = await cli.done;
    expect(code).toBe(1);
    expect(ofType(cli.events, 'assistant').at(-1)).toMatchObject({ error, message: { model: '<synthetic>' } });
    expect(ofType(cli.events, 'result').at(-1)).toMatchObject({ subtype: 'success', is_error: true, terminal_reason: 'api_error' });
  });
});
