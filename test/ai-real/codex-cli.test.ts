/**
 * The pinned Codex, run directly (no agent) inside a loopback-only network namespace against its
 * fake model API: what this version prints for a tool call, a resumed session, an interrupt, an auth
 * failure and a rate limit, and what it sends. These tests pin the format the agent runner parses;
 * when a version bump changes it, they say where.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { apis } from './fake-apis/index.js';
import { aiRealCanRun } from './harness/availability.js';
import { startCliSandbox } from './harness/cli-sandbox.js';
import { type Event, expectIsolatedPinnedCli, expectOnlyKnownRequests, ofType, run, sessionOf } from './harness/direct-cli.js';
import { pins } from './harness/installed-clis.js';
import { TOOL_THEN_ANSWER } from './harness/scripted-replies.js';

const runs = aiRealCanRun('test/ai-real/codex-cli', ['codex']);

describe.runIf(runs)(`codex ${pins.codex.version}, run directly against the fake API in a loopback-only namespace`, { timeout: 90_000 }, () => {
  test('the namespace has nothing but loopback (a connection off the machine is unreachable), and --version answers the pinned version', async () => {
    await using box = await startCliSandbox('codex');
    await expectIsolatedPinnedCli(box);
  });

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

  test('a file write (workspace-write): apply_patch becomes a file_change item with paths only', async () => {
    await using box = await startCliSandbox('codex');
    const path = `${box.work}/notes.txt`;
    box.fake.script({ kind: 'write', path, content: 'first line\nsecond line\n' }, { kind: 'answer', text: 'Written.' });
    const cli = box.run(['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', 'write notes']);
    expect((await cli.done).code).toBe(0);
    const change = ofType(cli.events, 'item.completed').map((e) => e.item as Event).find((i) => i.type === 'file_change');
    expect(change).toMatchObject({ changes: [{ path, kind: 'add' }], status: 'completed' });
    expect(readFileSync(path, 'utf8')).toBe('first line\nsecond line\n');
    expect(apis.openai.toolResults(box.fake.main()[1]?.body).join('')).toMatch(/notes\.txt/);
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

  test('sandbox: a write the read-only default refuses fails in the sandbox; a failing command is an item with status failed', async () => {
    await using box = await startCliSandbox('codex');
    const shell = (sandbox: string, commandLine: string) => {
      box.fake.script({ kind: 'tool', command: commandLine }, { kind: 'answer', text: 'Done.' });
      return box.run(['exec', '--json', '--skip-git-repo-check', '--sandbox', sandbox, 'do it']);
    };
    const itemsOf = (events: Event[]) => ofType(events, 'item.completed').map((e) => e.item as Event);

    const refused = shell('read-only', 'touch made-in-read-only.txt');
    expect((await refused.done).code).toBe(0);
    expect(apis.openai.toolResults(box.fake.main().at(-1)?.body).join('')).toContain('Read-only file system');
    expect(existsSync(`${box.work}/made-in-read-only.txt`)).toBe(false);
    // With 0.169.0 the refused command's command_execution item is sometimes printed (status
    // failed) and sometimes not at all, run to run: a runner cannot count on one item per tool call.
    const refusedItems = itemsOf(refused.events);
    expect(refusedItems.at(-1)).toMatchObject({ type: 'agent_message', text: 'Done.' });
    for (const item of refusedItems.slice(0, -1)) expect(item).toMatchObject({ type: 'command_execution', exit_code: 1, status: 'failed' });

    const failing = shell('read-only', 'cat missing.txt');
    expect((await failing.done).code).toBe(0);
    expect(itemsOf(failing.events)[0]).toMatchObject({ type: 'command_execution', exit_code: 1, status: 'failed' });
    expect(String(itemsOf(failing.events)[0]?.aggregated_output)).toContain('No such file or directory');

    const allowed = shell('workspace-write', 'touch made-in-workspace-write.txt');
    expect((await allowed.done).code).toBe(0);
    expect(itemsOf(allowed.events).map((i) => i.type)).toEqual(['command_execution', 'agent_message']);
    expect(existsSync(`${box.work}/made-in-workspace-write.txt`)).toBe(true);
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
