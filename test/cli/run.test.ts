import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnAgent, type AgentProcess } from '../support/agent-process.js';
import {
  cleanEnv, runCli, spawnCli, startClientStack, tokens, waitUntil, writeTokenFile, type ClientStack,
} from '../support/cli-client.js';

type Agent = { id: string; name: string; status: string };
type Command = { id: string; command: string; status: string; exitCode?: number | null };

/** `onsembl run` against a real server and a real agent process: output bytes and exit codes. */
// Each case starts several CLI processes; on a loaded machine one takes seconds.
describe('onsembl run', { timeout: 120_000 }, () => {
  let stack: ClientStack;
  beforeAll(async () => {
    stack = await startClientStack('runner');
  }, 120_000);
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  const commandNamed = async (text: string) =>
    (await stack.api<{ commands: Command[] }>(`/api/commands?limit=1000`)).commands.find((c) => c.command === text);

  it('exits 0 and passes the remote bytes through untouched, ANSI colours included; nothing on stderr when not a terminal', async () => {
    const result = await runCli(['run', '--', "printf '\\033[1;31mred\\033[0m plain \\033[38;5;208morange\\033[0m\\n'"], stack.env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.toString('latin1')).toBe('\x1b[1;31mred\x1b[0m plain \x1b[38;5;208morange\x1b[0m\r\n');
  });

  it("exits with the command's own non-zero code, and 128+N for a command killed by signal N", async () => {
    const failed = await runCli(['run', '--agent', 'runner', '--', 'echo about to fail; exit 7'], stack.env);
    expect(failed.code).toBe(7);
    expect(failed.stdout.toString()).toBe('about to fail\r\n');
    const killed = await runCli(['run', '--', 'kill -TERM $$'], stack.env);
    expect(killed.code).toBe(128 + 15);
    expect(killed.stderr).toContain('killed by SIGTERM');
  });

  it('words after -- are joined with spaces into one command line, and options after the command are its own', async () => {
    const result = await runCli(['run', 'echo', '-n', 'one', 'two'], stack.env);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe('one two');
    expect(await commandNamed('echo -n one two')).toMatchObject({ status: 'completed', exitCode: 0 });
  });

  it('exits 124 when the command runs past --timeout', async () => {
    const result = await runCli(['run', '--timeout', '300', '--', 'echo waiting; sleep 30'], stack.env);
    expect(result.code).toBe(124);
    expect(result.stdout.toString()).toBe('waiting\r\n');
    expect(result.stderr).toMatch(/cmd-\S+: timed out after 300 ms/);
    expect((await commandNamed('echo waiting; sleep 30'))?.status).toBe('timeout');
  });

  it('Ctrl-C (SIGINT) interrupts the remote command, waits for its final status, and exits 130', async () => {
    const text = 'echo started; sleep 30; echo never';
    const cli = spawnCli(['run', '--', text], stack.env);
    await waitUntil(() => cli.stdout().toString().includes('started'), 'the command to start');
    cli.child.kill('SIGINT');
    const code = await cli.exited;
    expect(code).toBe(130);
    // The final status was stored before the client exited: it waited for it.
    expect((await commandNamed(text))?.status).toBe('cancelled');
    expect(cli.stdout().toString()).toBe('started\r\n');
    expect(cli.stderr()).toMatch(/interrupting cmd-\S+; waiting for its final status/);
    expect(cli.stderr()).toMatch(/cmd-\S+ was cancelled/);
  });

  it('a second Ctrl-C stops waiting at once (exit 130) and says how to follow the command', async () => {
    // The command ignores SIGINT and SIGTERM, so its final status takes the agent's escalation to SIGKILL.
    const text = "trap '' INT TERM; echo stubborn; sleep 30";
    const cli = spawnCli(['run', '--', text], stack.env);
    await waitUntil(() => cli.stdout().toString().includes('stubborn'), 'the command to start');
    cli.child.kill('SIGINT');
    await waitUntil(() => cli.stderr().includes('interrupting'), 'the first interrupt');
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(130);
    expect(cli.stderr()).toMatch(/stopped waiting for (cmd-\S+); it may still be running: onsembl logs \1 --follow/);
    // The interrupt still reaches it: the agent ends it.
    await waitUntil(async () => (await commandNamed(text))?.status === 'cancelled', 'the command cancelled');
  });

  it('agent offline: exits 69 for an unknown agent, an offline one, and when no agent is online', async () => {
    const unknown = await runCli(['run', '--agent', 'ghost', '--', 'true'], stack.env);
    expect(unknown.code).toBe(69);
    expect(unknown.stderr).toContain('no agent "ghost"');
    expect(unknown.stderr).toContain('runner (id runner, shell, online)');

    // A second agent: two online means --agent is needed (bad usage, 64, listing both) ...
    let second: AgentProcess | undefined = spawnAgent(stack.server.wsUrl, await tokens.issue('agent', 'second'), ['--name', 'second', '--deny', 'forbidden*']);
    try {
      await waitUntil(async () => (await stack.api<{ agents: Agent[] }>('/api/agents')).agents.some((a) => a.name === 'second' && a.status === 'online'), 'second online');
      // (Its policy refuses some commands: those never ran, exit 126.)
      const denied = await runCli(['run', '--agent', 'second', '--', 'forbidden thing'], stack.env);
      expect(denied.code).toBe(126);
      expect(denied.stderr).toMatch(/cmd-\S+ did not run: denied by the agent's policy/);
      const ambiguous = await runCli(['run', '--', 'true'], stack.env);
      expect(ambiguous.code).toBe(64);
      expect(ambiguous.stderr).toContain('2 agents are online; pick one with --agent');
      expect(ambiguous.stderr).toContain('second (id second');
      expect(ambiguous.stderr).toContain('runner (id runner');
    } finally {
      await second[Symbol.asyncDispose]();
      second = undefined;
    }
    // ... and once it is gone the server itself refuses it (AGENT_OFFLINE).
    await waitUntil(async () => (await stack.api<{ agents: Agent[] }>('/api/agents')).agents.some((a) => a.name === 'second' && a.status === 'offline'), 'second offline');
    const offline = await runCli(['run', '--agent', 'second', '--', 'true'], stack.env);
    expect(offline.code).toBe(69);
    expect(offline.stderr).toContain('AGENT_OFFLINE');

    // With the only online agent stopped too, there is no agent to pick.
    await using lonely = await startClientStack('lonely');
    await lonely.agent[Symbol.asyncDispose]();
    await waitUntil(async () => (await lonely.api<{ agents: Agent[] }>('/api/agents')).agents.every((a) => a.status === 'offline'), 'lonely offline');
    const none = await runCli(['run', '--', 'true'], lonely.env);
    expect(none.code).toBe(69);
    expect(none.stderr).toContain('no agent is online');
  });

  it('auth failure: exits 77 for a refused token (an agent-role token, garbage), on the WebSocket and on the REST API', async () => {
    const agentToken = writeTokenFile(stack.dir.path, 'agent.token', await tokens.issue('agent', 'runner'));
    const garbage = writeTokenFile(stack.dir.path, 'garbage.token', 'not-a-jwt');
    for (const tokenFile of [agentToken, garbage]) {
      const env = { ...stack.env, ONSEMBL_TOKEN_FILE: tokenFile };
      const run = await runCli(['run', '--', 'echo must-not-run'], env);
      expect(run.code).toBe(77);
      expect(run.stderr).toContain('the server refused the token');
      expect(run.stderr).toContain('onsembl token --role dashboard');
      const agents = await runCli(['agents'], env);
      expect(agents.code).toBe(77);
    }
    expect(await commandNamed('echo must-not-run')).toBeUndefined();
  });

  it('bad usage exits 64: unknown flag, no command, bad priority or timeout, no token anywhere, --token with --token-file', async () => {
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['run', '--bogus', '--', 'true'], stack.env, "unknown option '--bogus'"],
      [['run'], stack.env, "missing required argument 'command'"],
      [['run', '--priority', 'urgent', '--', 'true'], stack.env, 'must be one of low, normal, high'],
      [['run', '--timeout', '-5', '--', 'true'], stack.env, 'must be a whole number of milliseconds'],
      [['run', '--', 'true'], cleanEnv({ ONSEMBL_URL: stack.server.wsUrl, XDG_CONFIG_HOME: stack.dir.path }), 'no dashboard token'],
      [['run', '--token', 'x', '--token-file', stack.tokenFile, '--', 'true'], stack.env, 'not both'],
      [['run', '--url', 'ftp://example', '--', 'true'], stack.env, 'must start with ws://, wss://, http:// or https://'],
    ];
    for (const [args, env, message] of cases) {
      const result = await runCli(args, env);
      expect(result.stderr, args.join(' ')).toContain(message);
      expect(result.code, args.join(' ')).toBe(64);
    }
  });

  it('server unreachable: exits 75 with the address it tried', async () => {
    const result = await runCli(['run', '--url', 'ws://127.0.0.1:9', '--', 'true'], stack.env);
    expect(result.code).toBe(75);
    expect(result.stderr).toContain('cannot reach ws://127.0.0.1:9/ws/dashboard (from --url)');
    expect(result.stderr).toContain('ECONNREFUSED');
  });

  it('takes the URL and token from a config file, with the environment and then flags overriding it; --token works but warns', async () => {
    const config = join(stack.dir.path, 'client.yaml');
    writeFileSync(config, `url: ${stack.server.httpUrl}\ntokenFile: dashboard.token\n`, { mode: 0o600 });
    const fromFile = await runCli(['run', '--config', config, '--', 'echo from-file'], cleanEnv({ XDG_CONFIG_HOME: stack.dir.path }));
    expect(fromFile.stdout.toString()).toBe('from-file\r\n');
    expect(fromFile.code).toBe(0);

    // The default path ($XDG_CONFIG_HOME/onsembl/client.yaml), with a wrong URL the environment overrides.
    const defaultDir = join(stack.dir.path, 'xdg');
    await import('node:fs/promises').then((fs) => fs.mkdir(join(defaultDir, 'onsembl'), { recursive: true }));
    writeFileSync(join(defaultDir, 'onsembl', 'client.yaml'), `url: ws://127.0.0.1:9\ntokenFile: ${stack.tokenFile}\n`, { mode: 0o600 });
    const envWins = await runCli(['run', '--', 'echo env-wins'], cleanEnv({ XDG_CONFIG_HOME: defaultDir, ONSEMBL_URL: stack.server.wsUrl }));
    expect(envWins.stdout.toString()).toBe('env-wins\r\n');
    const fileOnly = await runCli(['run', '--', 'true'], cleanEnv({ XDG_CONFIG_HOME: defaultDir }));
    expect(fileOnly.code).toBe(75);
    expect(fileOnly.stderr).toContain(`(from "url" in ${join(defaultDir, 'onsembl', 'client.yaml')})`);
    const flagWins = await runCli(['run', '--url', stack.server.wsUrl, '--', 'echo flag-wins'], cleanEnv({ XDG_CONFIG_HOME: defaultDir, ONSEMBL_URL: 'ws://127.0.0.1:9' }));
    expect(flagWins.stdout.toString()).toBe('flag-wins\r\n');

    writeFileSync(config, 'url: ws://127.0.0.1:1\ncolour: blue\n');
    const unknownKey = await runCli(['run', '--config', config, '--', 'true'], stack.env);
    expect(unknownKey.code).toBe(64);
    expect(unknownKey.stderr).toContain('unknown key "colour"');

    const token = await tokens.issue('dashboard', 'ci');
    const onCommandLine = await runCli(['run', '--token', token, '--', 'echo with-token'], cleanEnv({ ONSEMBL_URL: stack.server.wsUrl, XDG_CONFIG_HOME: stack.dir.path }));
    expect(onCommandLine.code).toBe(0);
    expect(onCommandLine.stderr).toContain('warning: --token is visible to every user of this machine');
    expect(onCommandLine.stderr).not.toContain(token);
  });
});
