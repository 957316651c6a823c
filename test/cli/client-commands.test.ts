import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  runCli, spawnCli, spawnCliOnPty, startClientStack, tokens, waitUntil, type ClientStack,
} from '../support/cli-client.js';
import { openDashboard } from '../support/test-socket.js';

type Agent = { id: string; name: string; type: string; status: string };
type Command = { id: string; command: string; status: string; exitCode?: number | null; agentId: string };

/** `onsembl agents`, `history`, `logs`, `stop-all` as processes against a real server and agent. */
// Each case starts several CLI processes; on a loaded machine one takes seconds.
describe('onsembl agents, history, logs, stop-all', { timeout: 120_000 }, () => {
  let stack: ClientStack;
  const ids = new Map<string, string>();
  beforeAll(async () => {
    stack = await startClientStack('lister');
    for (const command of ['echo alpha-one', 'echo alpha-two; exit 4', 'echo beta']) {
      await runCli(['run', '--', command], stack.env);
    }
    const { commands } = await stack.api<{ commands: Command[] }>('/api/commands');
    for (const c of commands) ids.set(c.command, c.id);
  }, 120_000);
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  it('agents: a table, and --json that parses to the agent list', async () => {
    const table = await runCli(['agents'], stack.env);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.toString().trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+ID\s+TYPE\s+STATUS\s+QUEUED\s+RUNNING\s+HOST\s+LAST SEEN$/);
    expect(row).toMatch(/^lister\s+lister\s+shell\s+online\s+0\s+-\s+/);
    const json = await runCli(['agents', '--json'], stack.env);
    const agents = JSON.parse(json.stdout.toString()) as Agent[];
    expect(agents).toEqual([expect.objectContaining({ id: 'lister', name: 'lister', type: 'shell', status: 'online' })]);
  });

  it('history: newest first, --search and --status filter, --json parses to the REST shape', async () => {
    const all = JSON.parse((await runCli(['history', '--json'], stack.env)).stdout.toString()) as Command[];
    expect(all.map((c) => c.command)).toEqual(['echo beta', 'echo alpha-two; exit 4', 'echo alpha-one']);
    const searched = JSON.parse((await runCli(['history', '--search', 'alpha', '--json'], stack.env)).stdout.toString()) as Command[];
    expect(searched.map((c) => c.command)).toEqual(['echo alpha-two; exit 4', 'echo alpha-one']);
    const failed = JSON.parse((await runCli(['history', '--status', 'failed', '--json'], stack.env)).stdout.toString()) as Command[];
    expect(failed).toEqual([expect.objectContaining({ command: 'echo alpha-two; exit 4', status: 'failed', exitCode: 4, agentId: 'lister' })]);
    const table = await runCli(['history', '--search', 'beta'], stack.env);
    expect(table.code).toBe(0);
    expect(table.stdout.toString()).toMatch(new RegExp(`^ID\\s+STATUS\\s+EXIT\\s+AGENT\\s+QUEUED\\s+DURATION\\s+COMMAND\\n${ids.get('echo beta')}\\s+completed\\s+0\\s+lister\\s+.*echo beta\\n$`));
    const bad = await runCli(['history', '--status', 'sleeping'], stack.env);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('must be one or more of queued, running, completed, failed, cancelled, timeout');
  });

  it('logs: the stored output as the agent sent it; an unknown id exits 66', async () => {
    const logs = await runCli(['logs', ids.get('echo alpha-two; exit 4') as string], stack.env);
    expect(logs.code).toBe(0);
    expect(logs.stdout.toString()).toBe('alpha-two\r\n');
    const unknown = await runCli(['logs', 'cmd-does-not-exist'], stack.env);
    expect(unknown.code).toBe(66);
  });

  it("logs --follow: what is stored, then live output until the command ends, exiting with the command's code", async () => {
    await using dashboard = await openDashboard(stack.server.wsUrl, await tokens.issue('dashboard', 'other'));
    const command = 'for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 0.2; done; exit 5';
    dashboard.send('command:request', { agentId: 'lister', command, priority: 'normal', requestId: 'follow' });
    const commandId = (await dashboard.waitFor('command:status', (p) => p.requestId === 'follow')).payload.commandId as string;
    await dashboard.waitFor('terminal:output', (p) => p.commandId === commandId && String(p.data).includes('tick 2'));
    const follow = await runCli(['logs', commandId, '--follow'], stack.env);
    expect(follow.stdout.toString()).toBe([1, 2, 3, 4, 5, 6].map((i) => `tick ${i}\r\n`).join(''));
    expect(follow.code).toBe(5);
    // A finished command: its stored output, and its code at once.
    const again = await runCli(['logs', '-f', commandId], stack.env);
    expect(again.stdout.toString()).toBe(follow.stdout.toString());
    expect(again.code).toBe(5);
  });

  it('stop-all: refused without --yes when stdin is not a terminal; with --yes it cancels the queue and interrupts what runs (exit 130 for its run)', async () => {
    const running = spawnCli(['run', '--', 'echo long; sleep 60'], stack.env);
    await waitUntil(() => running.stdout().toString().includes('long'), 'the long command');
    const queued = spawnCli(['run', '--', 'echo never-runs'], stack.env);
    await waitUntil(async () => (await stack.api<{ agents: Array<{ queueLength?: number }> }>('/api/agents')).agents[0]?.queueLength === 1, 'a queued command');

    const refused = await runCli(['stop-all'], stack.env);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('pass --yes');
    expect(running.child.exitCode).toBeNull();

    const stopped = await runCli(['stop-all', '--yes', '--reason', 'test'], stack.env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.toString()).toMatch(/^emergency stop by ci: cancelled 1 queued: cmd-\S+; interrupted 1 running: cmd-\S+\n$/);
    expect(await running.exited).toBe(130);
    expect(await queued.exited).toBe(130);
    expect(queued.stdout().toString()).toBe('');
  });

  it('stop-all on a terminal asks first: "n" stops nothing (exit 1), "y" stops', async () => {
    const running = spawnCli(['run', '--', 'echo asked; sleep 60'], stack.env);
    await waitUntil(() => running.stdout().toString().includes('asked'), 'the command');
    {
      using declined = spawnCliOnPty(['stop-all'], stack.env);
      await waitUntil(() => declined.output().includes('[y/N]'), 'the question');
      expect(declined.output()).toContain('cancel 0 queued and interrupt 1 running command(s) on 1 agent(s)?');
      declined.write('n\r');
      expect(await declined.exited).toBe(1);
      expect(declined.output()).toContain('nothing was stopped');
    }
    expect(running.child.exitCode).toBeNull();
    using confirmed = spawnCliOnPty(['stop-all'], stack.env);
    await waitUntil(() => confirmed.output().includes('[y/N]'), 'the question');
    confirmed.write('y\r');
    expect(await confirmed.exited).toBe(0);
    expect(confirmed.output()).toContain('interrupted 1 running');
    expect(await running.exited).toBe(130);
  });
});
