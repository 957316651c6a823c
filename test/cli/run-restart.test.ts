import { describe, expect, it } from 'vitest';
import { expectedOutput, printerCommand } from '../chaos/printer.js';
import { spawnCli, startClientStack, waitUntil } from '../support/cli-client.js';

const LINES = 6_000;

/**
 * The server goes away while `onsembl run` streams a command and comes back on the same port and
 * data dir: after a clean stop the client resumes from its position (the server replays); after a
 * crash (new epoch, no replay) it reads what it missed from the store. Either way stdout holds the
 * whole output exactly once, in order, and the exit code is the command's.
 */
describe('onsembl run across a server restart', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`${signal}: the output is complete exactly once and the exit code is the command's`, async () => {
      await using stack = await startClientStack('survivor');
      const command = `${printerCommand(LINES, 100, 0.05)}; exit 3`;
      const cli = spawnCli(['run', '--', command], stack.env);
      // Restart while the command is well under way and far from done.
      await waitUntil(() => cli.stdout().length > 10_000, 'some output');
      expect(cli.child.exitCode).toBeNull();
      let printedWhileDown = 0;
      await stack.restart(signal, () => (printedWhileDown = cli.stdout().length));
      // The restart cut the stream in the middle: part of the output came before, the rest after.
      expect(printedWhileDown).toBeGreaterThan(0);
      expect(printedWhileDown).toBeLessThan(expectedOutput(LINES).length);
      const code = await cli.exited;
      expect(cli.stderr()).toContain('reconnecting');
      expect(cli.stderr()).toContain('reconnected');
      expect(cli.stdout().toString()).toBe(expectedOutput(LINES));
      expect(code).toBe(3);
    }, 120_000);
  }
});
