import { describe, expect, it } from 'vitest';
import { spawnCli, spawnCliOnPty, startClientStack, waitUntil } from '../support/cli-client.js';

type Agent = { id: string; queueLength?: number; currentCommandId?: string | null };

/**
 * While a command waits in its agent's queue, `onsembl run` shows its position on stderr, but only
 * on a terminal: through pipes (scripts, CI logs) stderr stays silent. Ctrl-C typed at the terminal
 * interrupts the remote command like SIGINT does.
 */
describe('onsembl run: the queue position line, and Ctrl-C on a terminal', () => {
  it('shows the position on a TTY, nothing when piped; Ctrl-C typed on the TTY cancels the running command', async () => {
    await using stack = await startClientStack('busy');
    const queueLength = async () => (await stack.api<{ agents: Agent[] }>('/api/agents')).agents.find((a) => a.id === 'busy')?.queueLength ?? 0;

    // The agent is kept busy by a command started from a terminal.
    using blocker = spawnCliOnPty(['run', '--', 'echo blocking; sleep 60'], stack.env);
    await waitUntil(() => blocker.output().includes('blocking'), 'the blocker to run');

    const piped = spawnCli(['run', '--', 'echo piped-done'], stack.env);
    await waitUntil(async () => (await queueLength()) === 1, 'the piped command to be queued');
    using onTty = spawnCliOnPty(['run', '--priority', 'low', '--', 'echo tty-done'], stack.env);
    await waitUntil(() => /waits in the queue of busy: position 2 of 2 \(running cmd-/.test(onTty.output()), 'the position line on the TTY');

    // Ctrl-C on the blocker's terminal: the line discipline sends SIGINT, the remote command is cancelled.
    blocker.write('\x03');
    expect(await blocker.exited).toBe(130);
    expect(blocker.output()).toMatch(/cmd-\S+ was cancelled/);

    expect(await piped.exited).toBe(0);
    expect(piped.stdout().toString()).toBe('piped-done\r\n');
    expect(piped.stderr()).toBe('');

    expect(await onTty.exited).toBe(0);
    const shown = onTty.output();
    // (The local terminal turns the remote CR LF into CR CR LF: it is a terminal, not a pipe.)
    expect(shown).toContain('tty-done\r\r\n');
    const ownId = /onsembl: (cmd-\S+) waits/.exec(shown)?.[1];
    expect(ownId).toBeDefined();
    // Once it runs, the line is gone: it never shows the command waiting behind itself.
    expect(shown).not.toContain(`(running ${ownId})`);
    // The line moved up as the queue drained, and was erased before the command's output.
    expect(shown).toMatch(/position 1 of 1/);
    expect(shown.indexOf('\r\x1b[2K', shown.lastIndexOf('position'))).toBeLessThan(shown.indexOf('tty-done'));
  }, 120_000);
});
