import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

describe.skipIf(!hasChromium)('re-run', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('runs any past command again from its page in the History view, with its priority and timeout', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('echo again-$((40+2))', { priority: 'high', timeoutSeconds: 30 });
    await dashboard.waitForHistory('echo again-', 'completed');
    await dashboard.openHistory();
    await dashboard.openCommand('echo again-');
    await page.getByTestId('detail-rerun').click();
    await page.getByTestId('detail-rerun').filter({ hasText: 'Queued again ✓' }).waitFor();
    const store = stack.server.server.context.store;
    await waitFor('a second, completed run', async () => {
      const runs = (await store.listCommands({ limit: 10 })).filter((c) => c.command === 'echo again-$((40+2))');
      return runs.length === 2 && runs.every((c) => c.status === 'completed');
    });
    const runs = (await store.listCommands({ limit: 10 })).filter((c) => c.command === 'echo again-$((40+2))');
    expect(runs.map((c) => [c.priority, c.timeoutMs])).toEqual([['high', 30_000], ['high', 30_000]]);
  });

  it('re-queues what an emergency stop cancelled, in order', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('sleep 30');
    await dashboard.running().filter({ hasText: 'sleep 30' }).waitFor();
    await dashboard.run('echo first-cancelled');
    await dashboard.run('echo second-cancelled');
    await page.getByTestId('emergency-stop').click();
    await page.getByTestId('emergency-confirm').click();
    await page.getByTestId('emergency-banner').waitFor();
    const again = page.getByTestId('emergency-rerun');
    await expect(again.innerText()).resolves.toBe('Re-run the 2 cancelled');
    await again.click();
    await again.filter({ hasText: 'Re-queued 2 of 2' }).waitFor();
    // The interrupted sleep is not re-run: only what never got to run.
    await dashboard.waitForTerminalText(/first-cancelled[\s\S]*second-cancelled/);
    const commands = (await stack.server.server.context.store.listCommands({ limit: 10 })).map((c) => [c.command, c.status]);
    expect(commands.filter(([c]) => c === 'sleep 30')).toEqual([['sleep 30', 'cancelled']]);
  });
});
