import type { AgentToServerPayloads, TraceEvent } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { checkCli, CliCheckError } from './runner/ai/cli-check.js';
import { fakeCliLog, fakeCliPath } from './test-support/fake-cli.js';
import { isRunning } from './test-support/processes.js';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer, type TestAgentLink } from './test-support/test-server.js';

type Trace = AgentToServerPayloads['trace:event'];

const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const outputText = (link: TestAgentLink, commandId: string) => plain(link.outputOf(commandId).map((c) => c.data).join(''));
const eventsOf = (link: TestAgentLink, commandId: string): TraceEvent[] => link.traceOf(commandId).map((t) => t.event);

function expectContiguous(trace: Trace[]): void {
  expect(trace.map((t) => t.sequence)).toEqual(trace.map((_t, i) => i + 1));
}

describe('agent: AI CLI types against stand-in CLIs', () => {
  it('claude: runs the prompt headless, renders the run, sends its trace in sequence and exits with the CLI\'s verdict', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, {
      type: 'claude',
      cli: { path: fakeCliPath('claude'), model: 'claude-sonnet-5-5', permissionMode: 'acceptEdits', args: ['--max-turns', '5'] },
      cwd: '/tmp',
    });
    const { link, connect } = await server.nextRegistered();
    expect(connect.payload).toMatchObject({ type: 'claude', cwd: '/tmp', model: 'claude-sonnet-5-5', capabilities: expect.arrayContaining(['trace']) });
    link.execute('c-1', 'list the files @split', { env: { FAKE_CLI_LOG: log.path } });
    const exit = await link.waitForExit('c-1');
    const trace = link.traceOf('c-1');
    expectContiguous(trace);
    expect(exit.payload).toMatchObject({ outcome: 'exited', exitCode: 0, stopReason: 'completed', lastTraceSequence: trace.length });
    const events = trace.map((t) => t.event);
    expect(events.map((e) => e.kind).filter((k) => k !== 'usage')).toEqual(['session', 'thinking', 'message', 'tool_call', 'tool_result', 'message', 'result']);
    const session = events[0];
    expect(session).toMatchObject({ kind: 'session', resumed: false, cwd: '/home/dev/project' });
    expect(exit.payload.sessionId).toBe(session?.kind === 'session' ? session.sessionId : 'none');
    expect(events.filter((e) => e.kind === 'usage').at(-1)).toMatchObject({ outputTokens: 75, costSource: 'reported' });

    const text = outputText(link, 'c-1');
    expect(text).toContain('▸ Bash ls\r\n  ⎿ README.md\r\n');
    expect(text).toMatch(/✔ completed · 2 turns · 18,207 tokens .* · \$0\.0026 · 296 ms\r\n$/);
    // The CLI ran in the agent's --cwd, headless, with the options given.
    const [run] = log.runs();
    expect(run?.cwd).toBe('/tmp');
    // The prompt is a user turn on stdin; without `approvals` from the server the CLI gets no prompt tool.
    expect(run?.argv).toEqual([
      '-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose',
      '--model', 'claude-sonnet-5-5', '--permission-mode', 'acceptEdits', '--max-turns', '5',
    ]);
    expect(run?.prompt).toBe('list the files @split');
  });

  it('claude: resumes the session named by command:execute and reports it on the next agent:connect', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type: 'claude', cli: { path: fakeCliPath('claude') } });
    const { link } = await server.nextRegistered();
    link.execute('c-1', 'first', { env: { FAKE_CLI_LOG: log.path } });
    const first = await link.waitForExit('c-1');
    const sessionId = first.payload.sessionId as string;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    link.execute('c-2', 'second', { env: { FAKE_CLI_LOG: log.path }, resumeSessionId: sessionId });
    const second = await link.waitForExit('c-2');
    expect(second.payload).toMatchObject({ stopReason: 'completed', sessionId });
    expect(eventsOf(link, 'c-2')[0]).toMatchObject({ kind: 'session', sessionId, resumed: true });
    expect(log.runs()[1]?.argv).toContain('--resume');
    expect(log.runs()[1]?.argv[log.runs()[1]!.argv.indexOf('--resume') + 1]).toBe(sessionId);

    link.socket.terminate();
    const { connect } = await server.nextRegistered();
    // No --model given: the one the CLI reported.
    expect(connect.payload).toMatchObject({ sessionId, model: 'claude-sonnet-5-5' });
  });

  it.each([
    ['claude', '@stream=claude_401.out', 'not_logged_in', 1, 'Invalid API key'],
    ['claude', '@stream=claude_429.out', 'rate_limited', 1, 'Request rejected (429)'],
    ['claude', '@stream=claude_maxturns.out', 'turn_limit', 1, 'Reached maximum number of turns'],
    ['claude', '@crash', 'crashed', null, 'in the middle of a line'],
    ['claude', '@noresult', 'no_result', 1, 'without its final event'],
    ['gemini', '@stream=gem_401.out @exit=145', 'not_logged_in', 145, 'API key not valid'],
    ['gemini', '@stream=gem_sig.out @exit=41', 'not_logged_in', 41, 'not authenticated (exit 41)'],
    ['gemini', '@stream=gem_turns.out @exit=53', 'turn_limit', 53, 'max session turns'],
    ['codex', '@stream=codex_401.out', 'not_logged_in', 1, '401 Unauthorized'],
    ['codex', '@stream=codex_429.out', 'rate_limited', 1, '429 Too Many Requests'],
  ] as const)('%s %s: failed with stopReason %s and a message saying why', async (type, prompt, stopReason, exitCode, message) => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type, cli: { path: fakeCliPath(type) } });
    const { link } = await server.nextRegistered();
    link.execute('c-f', `hi ${prompt}`);
    const exit = await link.waitForExit('c-f');
    expect(exit.payload).toMatchObject({ outcome: 'exited', exitCode, stopReason, message: expect.stringContaining(message) });
    expect(eventsOf(link, 'c-f').at(-1)).toMatchObject({ kind: 'result', ok: false, reason: stopReason });
    expect(outputText(link, 'c-f')).toMatch(/✘ [A-Za-z ]+: .+ · \d/);
  });

  it('claude: a 5 MB tool result arrives capped with its size, and the terminal shows a few lines and what was cut', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type: 'claude', cli: { path: fakeCliPath('claude') } });
    const { link } = await server.nextRegistered();
    link.execute('c-big', 'go @big');
    expect((await link.waitForExit('c-big')).payload.stopReason).toBe('completed');
    const big = eventsOf(link, 'c-big').find((e) => e.kind === 'tool_result' && e.outputBytes > 1_000_000);
    expect(big).toMatchObject({ kind: 'tool_result', outputBytes: 5 * 1024 * 1024, truncated: true });
    expect(outputText(link, 'c-big')).toContain('5.0 MB not shown of 5.0 MB');
    expect(outputText(link, 'c-big').length).toBeLessThan(10_000);
  });

  it.each(['claude', 'gemini', 'codex'] as const)('%s: an interrupt ends the run and every process it started; the verdict says interrupted', async (type) => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type, cli: { path: fakeCliPath(type) }, interruptGraceMs: 1000 });
    const { link } = await server.nextRegistered();
    link.execute('c-int', 'work @hang @child', { env: { FAKE_CLI_LOG: log.path } });
    await link.waitFor('trace:event', (m) => m.payload.commandId === 'c-int' && m.payload.event.kind === 'session');
    await expect.poll(() => log.runs().length).toBe(1);
    const [run] = log.runs();
    const pids = [run!.pid, ...run!.children];
    expect(run!.children).toHaveLength(1);
    for (const pid of pids) expect(isRunning(pid)).toBe(true);
    link.send('command:interrupt', { commandId: 'c-int', reason: 'user' });
    const exit = await link.waitForExit('c-int');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', stopReason: 'interrupted' });
    for (const pid of pids) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(eventsOf(link, 'c-int').at(-1)).toMatchObject({ kind: 'result', ok: false, reason: 'interrupted' });
    expect(outputText(link, 'c-int')).toContain('✘ interrupted');
    if (type === 'gemini') expect(run!.noRelaunch).toBe('true');
  });

  it('gemini: a timeout and an emergency stop end the run with stopReason timeout and interrupted', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type: 'gemini', cli: { path: fakeCliPath('gemini') } });
    const { link } = await server.nextRegistered();
    link.execute('c-t', 'wait @hang', { timeoutMs: 300 });
    expect((await link.waitForExit('c-t')).payload).toMatchObject({ outcome: 'timeout', stopReason: 'timeout', message: 'timed out' });
    link.execute('c-e', 'wait @hang');
    await link.waitFor('trace:event', (m) => m.payload.commandId === 'c-e' && m.payload.event.kind === 'session');
    link.send('command:interrupt', { commandId: 'c-e', reason: 'emergency' });
    expect((await link.waitForExit('c-e')).payload).toMatchObject({ outcome: 'interrupted', stopReason: 'interrupted' });
  });

  it('claude: stops the run once its tokens pass maxTokens, with stopReason budget_tokens and nothing left running', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type: 'claude', cli: { path: fakeCliPath('claude') } });
    const { link } = await server.nextRegistered();
    // Each replayed model call reads about 9,000 tokens: 50 calls would be 450,000.
    link.execute('c-budget', 'loop @loop=50 @slow=20', { env: { FAKE_CLI_LOG: log.path }, maxTokens: 20_000 });
    const exit = await link.waitForExit('c-budget');
    expect(exit.payload).toMatchObject({ outcome: 'exited', exitCode: 1, stopReason: 'budget_tokens', message: expect.stringContaining('over the budget of 20,000') });
    const usage = eventsOf(link, 'c-budget').filter((e) => e.kind === 'usage');
    const total = (e: (typeof usage)[number]) => (e.kind === 'usage' ? e.inputTokens + e.outputTokens + e.cacheReadTokens + e.cacheWriteTokens : 0);
    expect(total(usage.at(-1)!)).toBeGreaterThan(20_000);
    expect(total(usage.at(-1)!)).toBeLessThan(100_000);
    expect(outputText(link, 'c-budget')).toContain('✘ token budget reached: stopped:');
    expect(isRunning(log.runs()[0]!.pid)).toBe(false);
  });

  it('codex: resumes a thread with `exec resume ID` and counts only the run\'s own share of the thread totals', async () => {
    using log = fakeCliLog();
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { type: 'codex', cli: { path: fakeCliPath('codex'), model: 'gpt-5-codex' } });
    const { link } = await server.nextRegistered();
    link.execute('c-1', 'make a file', { env: { FAKE_CLI_LOG: log.path } });
    const thread = (await link.waitForExit('c-1')).payload.sessionId as string;
    link.execute('c-2', 'again @stream=codex_resume.out', { env: { FAKE_CLI_LOG: log.path }, resumeSessionId: thread });
    expect((await link.waitForExit('c-2')).payload).toMatchObject({ stopReason: 'completed', sessionId: thread });
    expect(log.runs()[1]?.argv).toEqual(['exec', '--json', '--skip-git-repo-check', '-m', 'gpt-5-codex', 'resume', thread, 'again @stream=codex_resume.out']);
    expect(eventsOf(link, 'c-2').filter((e) => e.kind === 'usage').at(-1)).toMatchObject({ inputTokens: 10, cacheReadTokens: 0, outputTokens: 3, costSource: 'estimated' });
  });

  it('keeps trace events until trace:ack and resends exactly the unacknowledged ones after a reconnect', async () => {
    await using server = await TestServer.start({ autoAckTrace: false });
    await using t = startTestAgent(server, { type: 'gemini', cli: { path: fakeCliPath('gemini') } });
    const { link: first } = await server.nextRegistered();
    first.execute('c-r', 'list @slow=30');
    await first.waitFor('trace:event', (m) => m.payload.commandId === 'c-r' && m.payload.sequence >= 3);
    first.send('trace:ack', { commandId: 'c-r', sequence: 2 });
    // A roundtrip, so the ack is handled before the drop.
    first.execute('c-mark', 'x @stream=gem_ok.out');
    await first.waitForExit('c-mark');
    const disconnected = t.next('disconnected');
    first.socket.terminate();
    await disconnected;

    const { link: second, connect } = await server.nextRegistered();
    const held = connect.payload.running.find((r) => r.commandId === 'c-r');
    expect(held?.lastTraceSequence).toBeGreaterThanOrEqual(3);
    const exit = await second.waitForExit('c-r');
    const resent = second.traceOf('c-r');
    expect(resent[0]?.sequence).toBe(3);
    expect(resent.map((t) => t.sequence)).toEqual(resent.map((_t, i) => i + 3));
    expect(exit.payload.lastTraceSequence).toBe(resent.at(-1)?.sequence);
    // Both connections together hold every event once, in order, ending with the result.
    const all = new Map<number, TraceEvent>();
    for (const t of [...first.traceOf('c-r'), ...resent]) all.set(t.sequence, t.event);
    expect([...all.keys()]).toEqual([...all.keys()].map((_k, i) => i + 1));
    expect([...all.values()].at(-1)).toMatchObject({ kind: 'result', ok: true });
  });
});

describe('checkCli', () => {
  it('finds the CLI and reads its --version', async () => {
    await expect(checkCli('claude', fakeCliPath('claude'))).resolves.toMatchObject({ version: '2.1.328' });
    await expect(checkCli('codex', fakeCliPath('codex'))).resolves.toMatchObject({ version: '0.169.0' });
  });

  it('refuses with one line naming the npm package when the CLI is missing or does not answer', async () => {
    await expect(checkCli('gemini', '/nonexistent/gemini')).rejects.toThrow(
      new CliCheckError('--type gemini needs Gemini CLI, but /nonexistent/gemini is not an executable file: install it with `npm install -g @google/gemini-cli`'),
    );
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(checkCli('claude')).rejects.toThrow('`claude` is not on PATH: install it with `npm install -g @anthropic-ai/claude-code` or pass --cli PATH');
    } finally {
      process.env.PATH = saved;
    }
    await expect(checkCli('codex', '/bin/false')).rejects.toThrow(/`\/bin\/false --version` failed .*@openai\/codex/);
  });
});
