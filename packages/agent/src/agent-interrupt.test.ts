import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Timings } from '@onsembl/protocol';
import { describe, expect, it } from 'vitest';
import { childPids, isRunning } from './test-support/processes.js';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer, type TestAgentLink } from './test-support/test-server.js';

/** A directory of its own for a test's marker files; `using` removes it. */
function temporaryDirectory(): Disposable & { path: string } {
  const path = mkdtempSync(join(tmpdir(), 'onsembl-interrupt-test-'));
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

async function startedPid(link: TestAgentLink, commandId: string): Promise<number> {
  return (await link.waitFor('command:started', (m) => m.payload.commandId === commandId)).payload.pid;
}

/** Waits until the command's output contains `text`, and returns the output so far. */
async function outputContaining(link: TestAgentLink, commandId: string, text: string): Promise<string> {
  const all = () => link.outputOf(commandId).map((c) => c.data).join('');
  await link.waitFor('terminal:output', (m) => m.payload.commandId === commandId && all().includes(text));
  return all();
}

describe('agent: interrupt and timeout', () => {
  it('interrupts sleep 30 with SIGINT: outcome interrupted, process gone', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    // Interrupt once sleep really runs: a SIGINT that lands while the shell is still starting up is
    // ignored by it, and SIGTERM would end the command instead (seen on a loaded CI machine).
    link.execute('c-sleep', 'echo ready; exec sleep 30');
    const pid = await startedPid(link, 'c-sleep');
    await outputContaining(link, 'c-sleep', 'ready');
    link.send('command:interrupt', { commandId: 'c-sleep', reason: 'user' });
    const exit = await link.waitForExit('c-sleep');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', exitCode: null, signal: 'SIGINT' });
    expect(isRunning(pid)).toBe(false);
  });

  it('escalates SIGINT, SIGTERM, then SIGKILL for a script that survives the first two', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { interruptGraceMs: 300 });
    const { link } = await server.nextRegistered();
    using dir = temporaryDirectory();
    const received = join(dir.path, 'signals');
    // The script writes down each signal it gets and goes on (its sleep dies, the loop does not).
    link.execute('c-trap', `trap 'echo INT >> ${received}' INT; trap 'echo TERM >> ${received}' TERM; echo armed; while :; do sleep 0.1; done`);
    const pid = await startedPid(link, 'c-trap');
    await outputContaining(link, 'c-trap', 'armed');
    link.send('command:interrupt', { commandId: 'c-trap', reason: 'user' });
    const exit = await link.waitForExit('c-trap');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', signal: 'SIGKILL' });
    expect(readFileSync(received, 'utf8')).toBe('INT\nTERM\n');
    expect(exit.payload.durationMs).toBeGreaterThanOrEqual(600); // SIGKILL comes 2 × grace after SIGINT
    expect(isRunning(pid)).toBe(false);
  });

  it('kills background children too, including one that moved to its own session', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { interruptGraceMs: 300 });
    const { link } = await server.nextRegistered();
    const script = [
      'sleep 30 & echo child:$!',
      "(trap '' INT TERM; while :; do sleep 0.1; done) & echo child:$!",
      'setsid sleep 30 & echo child:$!',
      'echo ready',
      'wait',
    ].join('\n');
    link.execute('c-family', script);
    const pid = await startedPid(link, 'c-family');
    const children = childPids(await outputContaining(link, 'c-family', 'ready'));
    expect(children).toHaveLength(3);
    for (const child of children) expect(isRunning(child)).toBe(true);
    link.send('command:interrupt', { commandId: 'c-family', reason: 'emergency' });
    const exit = await link.waitForExit('c-family');
    expect(exit.payload.outcome).toBe('interrupted');
    // The exit is reported only once nothing of the command runs any more.
    for (const child of [pid, ...children]) expect(isRunning(child), `pid ${child}`).toBe(false);
  });

  it('stops output before the escalation reaches SIGTERM (1 s by default), even while the command floods and ignores signals', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server, { interruptGraceMs: Timings.interruptGraceMs }); // the default escalation
    const { link } = await server.nextRegistered();
    using dir = temporaryDirectory();
    const termSent = join(dir.path, 'term-sent');
    // A watcher in the command's family marks the moment the agent sends SIGTERM (one grace period
    // after SIGINT); from then on the flood writes `after-term` instead. The spec's "output stops
    // within 1 s" becomes: none of those lines reaches the server, though the command runs on.
    const script = [
      // Off the terminal: the shell's "Terminated" for its sleep would block on the full, muted one.
      `(trap 'touch ${termSent}' TERM; trap '' INT; while :; do sleep 0.05; done) >/dev/null 2>&1 &`,
      "trap '' INT TERM",
      `while :; do if [ -e ${termSent} ]; then echo after-term; else echo 'flood flood flood flood flood'; fi; done`,
    ].join('\n');
    link.execute('c-flood', script);
    const pid = await startedPid(link, 'c-flood');
    // Let it flood for a while: several chunks beyond the first.
    await link.waitFor('terminal:output', (m) => m.payload.commandId === 'c-flood' && m.payload.sequence >= 20);
    link.send('command:interrupt', { commandId: 'c-flood', reason: 'user' });
    const exit = await link.waitForExit('c-flood');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', signal: 'SIGKILL' });
    expect(existsSync(termSent), 'SIGTERM reached the command while it ran').toBe(true);
    const output = link.outputOf('c-flood').map((c) => c.data).join('');
    expect(output).toContain('flood flood');
    expect(output).not.toContain('after-term');
    expect(isRunning(pid)).toBe(false);
    const sequences = link.outputOf('c-flood').map((c) => c.sequence);
    expect(sequences).toEqual(sequences.map((_s, i) => i + 1));
    expect(exit.payload.lastSequence).toBe(sequences.length);
  });

  it('interrupting yes (which dies on SIGINT) ends it at once', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-yes', 'yes');
    const pid = await startedPid(link, 'c-yes');
    await link.waitFor('terminal:output', (m) => m.payload.commandId === 'c-yes' && m.payload.sequence >= 5);
    link.send('command:interrupt', { commandId: 'c-yes', reason: 'user' });
    const exit = await link.waitForExit('c-yes');
    expect(exit.payload).toMatchObject({ outcome: 'interrupted', signal: 'SIGINT' });
    expect(isRunning(pid)).toBe(false);
  });

  it('enforces timeoutMs itself: outcome timeout', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-timeout', 'sleep 30', { timeoutMs: 300 });
    const pid = await startedPid(link, 'c-timeout');
    const exit = await link.waitForExit('c-timeout');
    expect(exit.payload).toMatchObject({ outcome: 'timeout', exitCode: null });
    expect(exit.payload.durationMs).toBeGreaterThanOrEqual(300);
    expect(isRunning(pid)).toBe(false);
  });

  it('reports outcome timeout when the server interrupts for a timeout, and exited when the command beats it', async () => {
    await using server = await TestServer.start();
    await using _t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-server-timeout', 'sleep 30');
    await startedPid(link, 'c-server-timeout');
    link.send('command:interrupt', { commandId: 'c-server-timeout', reason: 'timeout' });
    expect((await link.waitForExit('c-server-timeout')).payload.outcome).toBe('timeout');

    link.execute('c-quick', 'echo quick', { timeoutMs: 60_000 });
    expect((await link.waitForExit('c-quick')).payload).toMatchObject({ outcome: 'exited', exitCode: 0 });
    link.send('command:interrupt', { commandId: 'c-quick', reason: 'user' }); // already ended: ignored
    link.execute('c-marker', 'true');
    await link.waitForExit('c-marker');
    expect(link.received.filter((m) => m.type === 'command:exit' && m.payload.commandId === 'c-quick')).toHaveLength(1);
  });
});
