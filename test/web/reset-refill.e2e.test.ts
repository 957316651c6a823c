import { startAgent } from '@onsembl/agent';
import { Role } from '@onsembl/protocol';
import { TokenService } from '@onsembl/server';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../support/server-process.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { tempDir } from '../support/temp-dir.js';
import { TEST_SECRET } from '../support/test-server.js';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { waitFor } from './fixtures/wait.js';

describe.skipIf(!hasChromium)('a reset in the middle of a command', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('re-reads what the live terminal lacks: the rest of the output and the final line', async () => {
    await resetWhileRunning({ clearFirst: false });
  });

  it('after Clear, re-reads the running command, and the finished ones it forgot stay gone', async () => {
    await resetWhileRunning({ clearFirst: true });
  });

  /**
   * A command prints 25 lines, sleeps, prints 15 more; the server crashes while the page is away
   * and the command finishes meanwhile. With `clearFirst`, an earlier command has finished and the
   * terminal was cleared before (the running command's start line is gone, the finished one is
   * forgotten).
   */
  async function resetWhileRunning({ clearFirst }: { clearFirst: boolean }): Promise<void> {
    await using dir = await tempDir();
    let server = await spawnServer(dir.path);
    const port = server.port;
    // The page reaches the server through a proxy of its own, so the test decides when it is away.
    await using proxy = await startTcpProxy(port);
    const tokens = new TokenService(TEST_SECRET);
    const agent = startAgent({
      url: server.wsUrl, token: await tokens.issue(Role.agent, 'alpha', 3600), name: 'alpha',
      logger: pino({ level: 'silent' }), shell: '/bin/sh',
    });
    try {
      await using page = await browser().page();
      const dashboard = new DashboardPage(page);
      await dashboard.open(`http://127.0.0.1:${proxy.port}`, await tokens.issue(Role.dashboard, 'e2e', 3600));
      await dashboard.waitForAgent('alpha');
      if (clearFirst) {
        await dashboard.run('echo first-$((20+1))');
        await dashboard.waitForTerminalText(/first-21[\s\S]*── completed/);
      }
      await dashboard.run('for i in $(seq 1 40); do echo line-$i; if [ $i = 25 ]; then sleep 4; fi; done');
      await dashboard.waitForTerminalText('line-25');
      if (clearFirst) {
        await page.getByRole('button', { name: 'Clear', exact: true }).click();
        await waitFor('the terminal to be cleared', async () => !(await dashboard.terminalText()).includes('line-25'));
      }

      // The server crashes (a new epoch: no resume is possible) while the page is away, and the
      // command finishes meanwhile; its whole output is in the store.
      proxy.setBlocked(true);
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      server = await spawnServer(dir.path, [], {}, port);
      await waitFor('the command to finish on the restarted server', async () => {
        const token = await tokens.issue(Role.dashboard, 'probe', 60);
        const res = await fetch(`${server.httpUrl}/api/commands?limit=1`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { commands: { status: string }[] };
        return body.commands[0]?.status === 'completed';
      }, 60_000);
      expect(await dashboard.terminalText()).not.toContain('line-40');

      // Back: the resume fails (another epoch), the client resets, and the terminal catches up.
      proxy.setBlocked(false);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await dashboard.waitForConnection('CONNECTED', 60_000);
      const text = await dashboard.waitForTerminalText(/line-40[\s\S]*── completed · exit 0/);
      for (let i = 26; i <= 40; i++) expect(text.match(new RegExp(`line-${i}\\b`, 'g'))).toHaveLength(1);
      expect(text).toContain('reconnected');
      expect(text.match(/── completed/g)).toHaveLength(1);
      if (clearFirst) expect(text).not.toMatch(/first-21|line-25\b/);
    } finally {
      await agent.stop();
      await server[Symbol.asyncDispose]();
    }
  }
});
