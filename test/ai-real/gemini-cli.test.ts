/**
 * The pinned Gemini CLI, run directly (no agent) inside a loopback-only network namespace against its
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

const runs = aiRealCanRun('test/ai-real/gemini-cli', ['gemini']);

describe.runIf(runs)(`gemini ${pins.gemini.version}, run directly against the fake API in a loopback-only namespace`, { timeout: 90_000 }, () => {
  test('the namespace has nothing but loopback (a connection off the machine is unreachable), and --version answers the pinned version', async () => {
    await using box = await startCliSandbox('gemini');
    await expectIsolatedPinnedCli(box);
  });

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

  test('a file write (yolo): a write_file tool_use, its result, and the file on disk', async () => {
    await using box = await startCliSandbox('gemini');
    const path = `${box.work}/notes.txt`;
    box.fake.script({ kind: 'write', path, content: 'first line\nsecond line\n' }, { kind: 'answer', text: 'Written.' });
    const cli = run(box, 'write notes');
    expect((await cli.done).code).toBe(0);
    const use = ofType(cli.events, 'tool_use')[0];
    expect(use).toMatchObject({ tool_name: 'write_file', parameters: { file_path: path, content: 'first line\nsecond line\n' } });
    expect(ofType(cli.events, 'tool_result')[0]).toMatchObject({ tool_id: use?.tool_id, status: 'success' });
    expect(readFileSync(path, 'utf8')).toBe('first line\nsecond line\n');
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

  test('approval modes headless: default offers the model no shell or write tool, auto_edit the write tools, yolo both', async () => {
    await using box = await startCliSandbox('gemini');
    const offered = async (mode: string) => {
      box.fake.script({ kind: 'answer', text: 'OK.' });
      const cli = box.run(['-p', 'hi', '--output-format', 'stream-json', '--approval-mode', mode], command.gemini.env);
      expect((await cli.done).code).toBe(0);
      const body = box.fake.main().at(-1)?.body as { tools?: { functionDeclarations?: { name: string }[] }[] };
      return (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []).map((f) => f.name);
    };
    const byDefault = await offered('default');
    expect(byDefault).toContain('read_file');
    expect(byDefault).not.toContain('run_shell_command');
    expect(byDefault).not.toContain('write_file');
    const autoEdit = await offered('auto_edit');
    expect(autoEdit).toContain('write_file');
    expect(autoEdit).not.toContain('run_shell_command');
    const yolo = await offered('yolo');
    expect(yolo).toEqual(expect.arrayContaining(['run_shell_command', 'write_file']));
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
