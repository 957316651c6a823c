import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnAgent } from '../support/agent-process.js';
import { finishedRun, requestCommand } from '../support/ai-runs.js';
import { tempDir } from '../support/temp-dir.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { openDashboard, type TestSocket } from '../support/test-socket.js';

/**
 * Real server, real `onsembl agent --type claude|gemini|codex` processes running the stand-in CLIs
 * (test/fixtures/ai-cli, replaying streams the real CLIs printed), real dashboards.
 */
const fake = (type: string) => fileURLToPath(new URL(`../fixtures/ai-cli/fake-${type}.js`, import.meta.url));

interface Run { cli: string; argv: string[]; pid: number; children: number[] }

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
}

async function aiAgent(server: TestServer, dashboard: TestSocket, type: string, name: string, extra: string[] = []) {
  const agent = spawnAgent(server.wsUrl, await server.agentToken(name), ['--type', type, '--cli', fake(type), ...extra]);
  await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string; status: string }).id === name && (p.agent as { status: string }).status === 'online');
  return agent;
}



describe('AI agent types: a real agent process with a stand-in CLI, through a real server', () => {
  it('claude: dashboards get the rendered run and its trace; the verdict, session and usage are on the status and in REST; the next prompt resumes', async () => {
    await using dir = await tempDir();
    const log = join(dir.path, 'runs.jsonl');
    process.env.FAKE_CLI_LOG = log;
    await using _unset = { [Symbol.asyncDispose]: async () => void delete process.env.FAKE_CLI_LOG };
    await using server = await startTestServer();
    const dashboardToken = await server.dashboardToken();
    await using dashboard = await openDashboard(server.wsUrl, dashboardToken);
    await using watcher = await openDashboard(server.wsUrl, dashboardToken);
    await using _agent = await aiAgent(server, dashboard, 'claude', 'claude-1', ['--model', 'claude-sonnet-5-5', '--cwd', dir.path]);
    const online = await dashboard.waitFor('agent:status', (p) => (p.agent as { id: string }).id === 'claude-1' && (p.agent as { status: string }).status === 'online');
    expect(online.payload.agent).toMatchObject({ type: 'claude', cwd: dir.path, model: 'claude-sonnet-5-5' });

    const first = await requestCommand(dashboard, 'claude-1', 'list the files', 'r-1');
    const one = await finishedRun(dashboard, first);
    expect(one.status).toMatchObject({ status: 'completed', exitCode: 0, stopReason: 'completed', sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(one.status.usage).toMatchObject({ inputTokens: 32, outputTokens: 75, cacheReadTokens: 18100, costUsd: 0.0026240000000000005, costSource: 'reported' });
    expect(one.text).toContain('▸ Bash ls\r\n  ⎿ README.md\r\n    hello.txt\r\n');
    expect(one.text).toMatch(/✔ completed · 2 turns · 18,207 tokens .*\$0\.0026/);
    const kinds = one.traceMessages.map((m) => (m.payload.event as { kind: string }).kind).filter((k) => k !== 'usage');
    expect(kinds).toEqual(['session', 'thinking', 'message', 'tool_call', 'tool_result', 'message', 'result']);
    expect(one.traceMessages.map((m) => m.payload.sequence)).toEqual(one.traceMessages.map((_m, i) => i + 1));
    for (const m of one.traceMessages) expect(m.position).toMatchObject({ epoch: expect.any(String), offset: expect.any(Number) });
    // The other dashboard saw the same trace.
    await watcher.waitFor('command:status', (p) => p.commandId === first && p.status === 'completed');
    expect(watcher.messages.filter((m) => m.type === 'trace:event' && m.payload.commandId === first)).toHaveLength(one.traceMessages.length);

    // Stored: the trace over REST, in order.
    const res = await fetch(`${server.httpUrl}/api/commands/${first}/trace`, { headers: { Authorization: `Bearer ${dashboardToken}` } });
    const stored = (await res.json()) as { events: Array<{ sequence: number; event: { kind: string } }> };
    expect(stored.events.map((e) => e.event.kind)).toEqual(one.traceMessages.map((m) => (m.payload.event as { kind: string }).kind));

    // The next prompt continues the session: the CLI is run with --resume and says resumed.
    const second = await requestCommand(dashboard, 'claude-1', 'and now?', 'r-2');
    const two = await finishedRun(dashboard, second);
    expect(two.status).toMatchObject({ status: 'completed', sessionId: one.status.sessionId });
    expect(two.traceMessages[0]?.payload.event).toMatchObject({ kind: 'session', sessionId: one.status.sessionId, resumed: true });
    const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Run);
    expect(runs[0]?.argv).not.toContain('--resume');
    expect(runs[1]?.argv.slice(runs[1].argv.indexOf('--resume'), runs[1].argv.indexOf('--resume') + 2)).toEqual(['--resume', one.status.sessionId]);

    // A new session on request.
    const third = await requestCommand(dashboard, 'claude-1', 'start over', 'r-3', { newSession: true });
    const three = await finishedRun(dashboard, third);
    expect(three.status.sessionId).not.toBe(one.status.sessionId);
  });

  it('claude: a token budget stops the run as failed with stopReason budget_tokens', async () => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using _agent = await aiAgent(server, dashboard, 'claude', 'claude-b');
    const id = await requestCommand(dashboard, 'claude-b', 'long job @loop=100 @slow=20', 'r-b', { maxTokens: 30_000 });
    const run = await finishedRun(dashboard, id);
    expect(run.status).toMatchObject({ status: 'failed', stopReason: 'budget_tokens', message: expect.stringContaining('over the budget of 30,000') });
    expect(run.text).toContain('✘ token budget reached');
  });

  it.each(['claude', 'gemini', 'codex'])('%s: an interrupt from a dashboard cancels the run and leaves no process behind', async (type) => {
    await using dir = await tempDir();
    const log = join(dir.path, 'runs.jsonl');
    process.env.FAKE_CLI_LOG = log;
    await using _unset = { [Symbol.asyncDispose]: async () => void delete process.env.FAKE_CLI_LOG };
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using _agent = await aiAgent(server, dashboard, type, `${type}-i`);
    const id = await requestCommand(dashboard, `${type}-i`, 'work @hang @child', 'r-i');
    await dashboard.waitFor('trace:event', (p) => p.commandId === id && (p.event as { kind: string }).kind === 'session');
    await expect.poll(() => existsSync(log)).toBe(true);
    const run = JSON.parse(readFileSync(log, 'utf8').trim()) as Run;
    dashboard.send('command:interrupt', { commandId: id, requestId: 'i-1' });
    const done = await finishedRun(dashboard, id);
    expect(done.status).toMatchObject({ status: 'cancelled', stopReason: 'interrupted' });
    for (const pid of [run.pid, ...run.children]) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(done.text).toContain('✘ interrupted');
  });

  it.each([
    ['gemini', '@stream=gem_401.out @exit=145', 'not_logged_in'],
    ['codex', '@stream=codex_429.out', 'rate_limited'],
    ['claude', '@stream=claude_nokey.out', 'not_logged_in'],
  ])('%s %s: failed, and the status says why (%s)', async (type, directive, stopReason) => {
    await using server = await startTestServer();
    await using dashboard = await openDashboard(server.wsUrl, await server.dashboardToken());
    await using _agent = await aiAgent(server, dashboard, type, `${type}-f`);
    const run = await finishedRun(dashboard, await requestCommand(dashboard, `${type}-f`, `hi ${directive}`, 'r-f'));
    expect(run.status).toMatchObject({ status: 'failed', stopReason, message: expect.any(String) });
  });

  it('refuses to start, with one line saying what to install, when the CLI is missing', async () => {
    await using server = await startTestServer();
    await using agent = spawnAgent(server.wsUrl, await server.agentToken('nope'), ['--type', 'codex', '--cli', '/nonexistent/codex']);
    expect(await agent.exited).toBe(2);
    expect(agent.stderr().trim()).toBe('onsembl agent: --type codex needs Codex CLI, but /nonexistent/codex is not an executable file: install it with `npm install -g @openai/codex`');
  });
});
