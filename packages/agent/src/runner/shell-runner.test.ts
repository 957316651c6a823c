import { describe, expect, it } from 'vitest';
import { ShellRunner } from './shell-runner.js';
import type { RunResult } from './runner.js';

function run(command: string): Promise<{ output: Buffer; result: RunResult }> {
  return new Promise((resolve) => {
    const pieces: Buffer[] = [];
    new ShellRunner('/bin/sh').start(
      { commandId: 'c', command, cwd: process.cwd(), env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: 'xterm-256color' } },
      {
        onData: (data) => pieces.push(Buffer.isBuffer(data) ? data : Buffer.from(data)),
        onExit: (result) => resolve({ output: Buffer.concat(pieces), result }),
      },
    );
  });
}

describe('ShellRunner', () => {
  it('delivers every byte of fast-exiting commands (node-pty/libuv early end-of-file on Linux)', async () => {
    // Without the end-of-file drain, about half of these runs lost their last kilobytes here.
    for (let i = 0; i < 30; i++) {
      const { output, result } = await run('printf "%020000d" 0');
      expect(output.length).toBe(20_000);
      expect(result).toEqual({ exitCode: 0, signal: null });
    }
  });

  it('reports the exit code, or the signal that ended the command', async () => {
    expect((await run('exit 42')).result).toEqual({ exitCode: 42, signal: null });
    expect((await run('kill -TERM $$')).result).toEqual({ exitCode: null, signal: 'SIGTERM' });
  });

  it('runs in a terminal of 120 columns with TERM set', async () => {
    const { output } = await run('stty size; echo $TERM; test -t 1 && echo tty');
    expect(output.toString()).toBe('30 120\r\nxterm-256color\r\ntty\r\n');
  });
});
