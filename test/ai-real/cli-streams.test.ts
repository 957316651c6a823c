/**
 * The pinned AI CLIs, run directly (no agent) inside a loopback-only network namespace against the
 * fake model servers: what each version prints for a tool call, a resumed session, an interrupt, an
 * auth failure and a rate limit, and what it sends to the model API. These tests pin the formats the
 * agent runners parse; when a CLI bump changes one, they say where.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { apis, type FakeModelServer, type FakeReply } from './fake-apis/index.js';
import { aiRealCanRun } from './harness/availability.js';
import { startCliSandbox, type CliSandbox } from './harness/cli-sandbox.js';
import { pins, type AiCli } from './harness/installed-clis.js';

const CLIS: readonly AiCli[] = ['claude', 'gemini', 'codex'];
const runs = aiRealCanRun('test/ai-real/cli-streams', CLIS);

type Event = Record<string, unknown>;
const ofType = (events: Event[], type: string) => events.filter((e) => e.type === type);

const TOOL_THEN_ANSWER: FakeReply[] = [
  { kind: 'tool', command: 'ls', text: 'Let me look.', thinking: 'The user wants a listing.', usage: { inputTokens: 1200, outputTokens: 30, cacheReadTokens: 800 } },
  { kind: 'answer', text: ['The folder has ', 'README.md and hello.txt.'], usage: { inputTokens: 1300, outputTokens: 12, cacheReadTokens: 900 } },
];

/** Per CLI: its headless command line, and how to resume. */
const command: Record<AiCli, { args(prompt: string, resume?: string): string[]; env?: Record<string, string> }> = {
  claude: {
    args: (prompt, resume) => ['-p', prompt, '--output-format', 'stream-json', '--verbose', '--allowedTools', 'Bash', ...(resume ? ['--resume', resume] : [])],
  },
  gemini: {
    args: (prompt, resume) => ['-p', prompt, '--output-format', 'stream-json', '--approval-mode', 'yolo', ...(resume ? ['--resume', resume] : [])],
    // Without it, gemini relaunches itself as a child node process that signals do not reach.
    env: { GEMINI_CLI_NO_RELAUNCH: 'true' },
  },
  codex: {
    args: (prompt, resume) => ['exec', '--json', '--skip-git-repo-check', ...(resume ? ['resume', resume] : []), prompt],
  },
};

function run(box: CliSandbox, prompt: string, resume?: string) {
  const spec = command[box.cli];
  return box.run(spec.args(prompt, resume), spec.env);
}

/** The session id a run printed (claude: init.session_id, gemini: init.session_id, codex: thread_id). */
function sessionOf(cli: AiCli, events: Event[]): string {
  const first = cli === 'codex' ? ofType(events, 'thread.started')[0]?.thread_id : (events.find((e) => e.type === 'init' || e.subtype === 'init')?.session_id);
  expect(typeof first).toBe('string');
  return first as string;
}

function expectOnlyKnownRequests(fake: FakeModelServer) {
  expect(fake.unknown().map((r) => `${r.method} ${r.path}`)).toEqual([]);
}

describe.runIf(runs)('real AI CLIs against the fake model APIs, in a loopback-only namespace', { timeout: 90_000 }, () => {
  test.each(CLIS)('%s: the namespace has nothing but loopback, and --version answers the pinned version', async (cli) => {
    await using box = await startCliSandbox(cli);
    expect(box.ns.interfaces).toEqual(['lo']);
    expect(box.ns.routes.every((r) => / dev lo\b/.test(r))).toBe(true);
    const version = box.run(['--version']);
    const result = await version.done;
    expect(result.code).toBe(0);
    expect(version.stdout()).toContain(pins[cli].version);
  });

  describe('claude', () => {
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

  describe('gemini', () => {
    test('a tool call and its result: stream-json events, delta text, stats, and what went to the API', async () => {
      await using box = await startCliSandbox('gemini');
      box.fake.script(...TOOL_THEN_ANSWER);
      const cli = run(box, 'list the files');
      const { code } = await cli.done;
      expect(code).toBe(0);
      const events = cli.events;
      expect(events[0]).toMatchObject({ type: 'init' });
      const use = ofType(events, 'tool_use')[0];
      expect(use).toMatchObject({ tool_name: 'run_shell_command', parameters: { command: 'ls' } });
      const toolResult = ofType(events, 'tool_result')[0];
      expect(toolResult).toMatchObject({ tool_id: use?.tool_id, status: 'success' });
      expect(String(toolResult?.output)).toContain('hello.txt');
      const assistant = ofType(events, 'message').filter((e) => e.role === 'assistant');
      expect(assistant.every((e) => e.delta === true)).toBe(true);
      expect(assistant.map((e) => e.content).join('')).toBe('Let me look.The folder has README.md and hello.txt.');
      const result = ofType(events, 'result').at(-1) as Event & { stats: { models: Record<string, Record<string, number>>; tool_calls: number } };
      expect(result).toMatchObject({ status: 'success', stats: { tool_calls: 1 } });
      // Stats count per model; the conversation's model carries the two scripted calls (input
      // includes the cached tokens, `input` is the uncached part), the router's classifier its own.
      const mainModel = /models\/([^:]+):/.exec(box.fake.main()[0]?.path ?? '')?.[1] ?? '';
      expect(result.stats.models[mainModel]).toMatchObject({ input_tokens: 4200, output_tokens: 42, cached: 1700, input: 2500 });
      expect(box.fake.main()).toHaveLength(2);
      expect(apis.gemini.toolResults(box.fake.main()[1]?.body).join('')).toContain('hello.txt');
      expectOnlyKnownRequests(box.fake);
    });

    test('--resume continues the session: the second prompt reaches the API with the first exchange', async () => {
      await using box = await startCliSandbox('gemini');
      box.fake.script({ kind: 'answer', text: 'First answer.' }, { kind: 'answer', text: 'Second answer.' });
      const first = run(box, 'first prompt');
      expect((await first.done).code).toBe(0);
      const session = sessionOf('gemini', first.events);
      const second = run(box, 'second prompt', session);
      expect((await second.done).code).toBe(0);
      expect(sessionOf('gemini', second.events)).toBe(session);
      const texts = apis.gemini.texts(box.fake.main()[1]?.body).join('\n');
      expect(texts).toContain('first prompt');
      expect(texts).toContain('First answer.');
      expect(texts).toContain('second prompt');
    });

    test('SIGINT mid-stream (no relaunch): exit 0 without a result event, the stream dropped', async () => {
      await using box = await startCliSandbox('gemini');
      box.fake.script({ kind: 'stall', text: 'Working on it' });
      const cli = run(box, 'take your time');
      await cli.waitForEvent((e) => e.type === 'message' && e.role === 'assistant');
      cli.child.kill('SIGINT');
      const { code } = await cli.done;
      expect(code).toBe(0);
      expect(ofType(cli.events, 'result')).toEqual([]);
      await box.fake.waitForRequest((r) => r.reply?.kind === 'stall' && r.aborted);
    });

    test('without GEMINI_CLI_NO_RELAUNCH it runs as a relaunched child node process; SIGINT to the process group stops both', async () => {
      await using box = await startCliSandbox('gemini');
      box.fake.script({ kind: 'stall', text: 'Working on it' });
      const cli = box.run(command.gemini.args('take your time'));
      await cli.waitForEvent((e) => e.type === 'message' && e.role === 'assistant');
      const pid = cli.child.pid ?? 0;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
      expect(children).toHaveLength(1);
      // The relaunched child: node with a larger heap, running the same script with the same arguments.
      const argv = readFileSync(`/proc/${children[0]}/cmdline`, 'utf8').split('\0');
      expect(argv.some((arg) => arg.startsWith('--max-old-space-size='))).toBe(true);
      expect(argv).toContain('take your time');
      cli.signalGroup('SIGINT');
      const { code } = await cli.done;
      expect(code).toBe(0);
      expect(existsSync(`/proc/${children[0]}`)).toBe(false);
    });

    test.each([
      [401, 145, 'API key not valid'],
      [429, 173, 'You exceeded your current quota'],
    ] as const)('HTTP %i: a result with status error, exit %i (the status cut to 8 bits)', async (status, exit, message) => {
      await using box = await startCliSandbox('gemini');
      box.fake.script({ kind: 'error', status });
      const cli = run(box, 'hi');
      const { code } = await cli.done;
      expect(code).toBe(exit);
      const result = ofType(cli.events, 'result').at(-1) as { status: string; error: { message: string } };
      expect(result.status).toBe('error');
      expect(result.error.message).toContain(message);
    });
  });

  describe('codex', () => {
    test('a tool call and its result: exec --json items, usage, and what went to the API', async () => {
      await using box = await startCliSandbox('codex');
      box.fake.script(...TOOL_THEN_ANSWER);
      const cli = run(box, 'list the files');
      const { code } = await cli.done;
      expect(code).toBe(0);
      const events = cli.events;
      expect(events.map((e) => e.type)).toEqual([
        'thread.started',
        'turn.started',
        'item.completed',
        'item.completed',
        'item.started',
        'item.completed',
        'item.completed',
        'turn.completed',
      ]);
      const items = ofType(events, 'item.completed').map((e) => e.item as Event);
      expect(items.map((i) => i.type)).toEqual(['reasoning', 'agent_message', 'command_execution', 'agent_message']);
      expect(items[0]).toMatchObject({ text: 'The user wants a listing.' });
      expect(items[2]).toMatchObject({ exit_code: 0, status: 'completed' });
      expect(String(items[2]?.command)).toMatch(/ls$/);
      expect(String(items[2]?.aggregated_output)).toContain('hello.txt');
      expect(items[3]).toMatchObject({ text: 'The folder has README.md and hello.txt.' });
      // turn.completed sums the turn's model calls; input includes the cached tokens.
      expect(ofType(events, 'turn.completed')[0]).toMatchObject({ usage: { input_tokens: 4200, cached_input_tokens: 1700, output_tokens: 42 } });
      expect(box.fake.main()).toHaveLength(2);
      expect(apis.openai.toolResults(box.fake.main()[1]?.body).join('')).toContain('hello.txt');
      expectOnlyKnownRequests(box.fake);
    });

    test('exec resume continues the thread: the second prompt reaches the API with the first exchange', async () => {
      await using box = await startCliSandbox('codex');
      box.fake.script(
        { kind: 'answer', text: 'First answer.', usage: { inputTokens: 1000, outputTokens: 10 } },
        { kind: 'answer', text: 'Second answer.', usage: { inputTokens: 1500, outputTokens: 20 } },
      );
      const first = run(box, 'first prompt');
      expect((await first.done).code).toBe(0);
      const thread = sessionOf('codex', first.events);
      const second = run(box, 'second prompt', thread);
      expect((await second.done).code).toBe(0);
      expect(sessionOf('codex', second.events)).toBe(thread);
      const texts = apis.openai.texts(box.fake.main()[1]?.body).join('\n');
      expect(texts).toContain('first prompt');
      expect(texts).toContain('First answer.');
      expect(texts).toContain('second prompt');
      // Usage after a resume is the thread's running total, across processes: the first run's call
      // plus this one (a runner takes differences per turn).
      expect(ofType(second.events, 'turn.completed')[0]).toMatchObject({ usage: { input_tokens: 2500, output_tokens: 30 } });
    });

    test('SIGINT mid-stream: exit 1 without turn.completed, the stream dropped', async () => {
      await using box = await startCliSandbox('codex');
      box.fake.script({ kind: 'stall', text: 'Working on it' });
      const cli = run(box, 'take your time');
      await box.fake.waitForRequest((r) => r.reply?.kind === 'stall');
      cli.child.kill('SIGINT');
      const { code } = await cli.done;
      expect(code).toBe(1);
      expect(ofType(cli.events, 'turn.completed')).toEqual([]);
      await box.fake.waitForRequest((r) => r.reply?.kind === 'stall' && r.aborted);
    });

    test.each([
      [401, 'unexpected status 401 Unauthorized'],
      [429, '429 Too Many Requests'],
    ] as const)('HTTP %i: error and turn.failed events, exit 1', async (status, message) => {
      await using box = await startCliSandbox('codex');
      box.fake.script({ kind: 'error', status });
      const cli = run(box, 'hi');
      const { code } = await cli.done;
      expect(code).toBe(1);
      const failed = ofType(cli.events, 'turn.failed').at(-1) as { error: { message: string } };
      expect(failed.error.message).toContain(message);
    });
  });
});
