import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestAgent } from './test-support/test-agent.js';
import { TestServer } from './test-support/test-server.js';

/** Bytes a process has written so far (/proc/<pid>/io). */
function bytesWritten(pid: number): number {
  const match = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
  return Number(match?.[1]);
}

/** Whether `sample` stops changing (same value 300 ms apart) before the deadline. */
async function becomesStill(sample: () => number, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  let previous = sample();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const current = sample();
    if (current === previous) return true;
    previous = current;
  }
  return false;
}

describe.runIf(process.platform === 'linux')('agent: back-pressure', () => {
  it('holds a flooding program while the server does not read, then delivers everything in order', async () => {
    await using server = await TestServer.start();
    await using t = startTestAgent(server);
    const { link } = await server.nextRegistered();
    link.execute('c-flood', 'exec yes 0123456789abcdefghijklmnopqrstuvwxyz');
    const pid = (await link.waitFor('command:started')).payload.pid;
    await link.waitFor('terminal:output', (m) => m.payload.sequence >= 3);
    link.socket.pause(); // the server stops reading, so it stops acknowledging too

    await t.waitForLog((e) => e.commandId === 'c-flood' && e.msg === 'server not keeping up: holding command output');
    // Then the program must be held: blocked writing to its terminal, making no progress at all
    // (unheld, `yes` writes tens of MB per second). Output already read may still be on its way.
    expect(await becomesStill(() => bytesWritten(pid), 10_000)).toBe(true);

    link.socket.resume();
    await t.waitForLog((e) => e.commandId === 'c-flood' && e.msg === 'server caught up: reading command output again');
    link.send('command:interrupt', { commandId: 'c-flood', reason: 'user' });
    const exit = await link.waitForExit('c-flood');
    const chunks = link.outputOf('c-flood');
    expect(chunks.map((c) => c.sequence)).toEqual(chunks.map((_c, i) => i + 1));
    expect(exit.payload.lastSequence).toBe(chunks.length);
    const lines = chunks.map((c) => c.data).join('').split('\r\n');
    lines.pop(); // the last line may be cut by the interrupt
    expect(lines.every((line) => line === '0123456789abcdefghijklmnopqrstuvwxyz')).toBe(true);
  });
});
