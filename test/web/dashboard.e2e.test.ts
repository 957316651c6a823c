import { describe, expect, it } from 'vitest';
import { hasChromium, sharedBrowser } from './fixtures/browser.js';
import { DashboardPage } from './fixtures/dashboard-page.js';
import { startStack } from './fixtures/stack.js';
import { waitFor } from './fixtures/wait.js';

describe.skipIf(!hasChromium)('dashboard in a real browser', { timeout: 120_000 }, () => {
  const browser = sharedBrowser();

  it('signs in from the URL, hides the token, and lists the agent live', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForConnection('CONNECTED');
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => sessionStorage.getItem('onsembl.dashboardToken'))).toBe(stack.token);
    await dashboard.waitForAgent('alpha', 'online');
    await expect(dashboard.agent('alpha').innerText()).resolves.toContain('shell');

    // A reload keeps the session (sessionStorage), without the token in the URL.
    await page.reload();
    await dashboard.waitForConnection('CONNECTED');
    await dashboard.waitForAgent('alpha', 'online');

    // The agent going away shows up live.
    await stack.agents[0]?.stop();
    await dashboard.waitForAgent('alpha', 'offline');
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('runs echo and shows the output in the agent terminal and the history', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('echo "hello from $((6*7))"');
    await dashboard.waitForTerminalText('hello from 42');
    const row = await dashboard.waitForHistory('echo "hello from', 'completed');
    await expect(row.getByTestId('history-exit').innerText()).resolves.toBe('0');
    await dashboard.run("printf '\\033[32mgreen\\033[0m and \\033[1;31mbold red\\033[0m\\n'; ls /nonexistent-path");
    await dashboard.waitForTerminalText('bold red');
    await dashboard.waitForHistory('printf', 'failed');
    await dashboard.screenshot('dashboard-desktop');
    expect(page.uncaughtErrors).toEqual([]);
  });

  it('interrupts a running sleep 30', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('sleep 30');
    await dashboard.running().filter({ hasText: 'sleep 30' }).waitFor();
    await dashboard.waitForAgent('alpha', 'busy');
    await page.getByTestId('interrupt').click();
    await dashboard.waitForHistory('sleep 30', 'cancelled');
    await page.getByTestId('idle').waitFor();
    await dashboard.waitForAgent('alpha', 'online');
    await dashboard.waitForTerminalText(/── cancelled/);
  });

  it('queues three commands, reorders by priority, cancels one, and runs the rest', async () => {
    await using stack = await startStack(['alpha']);
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');
    await dashboard.run('sleep 30');
    await dashboard.running().filter({ hasText: 'sleep 30' }).waitFor();
    await dashboard.run('echo first-queued');
    await dashboard.run('echo second-queued');
    await dashboard.run('echo urgent-queued', { priority: 'high' });
    await waitFor('three queued, high priority first', async () => {
      const lines = await dashboard.queueLines();
      return lines.length === 3 && lines[0]?.startsWith('1 high echo urgent-queued') && lines[1]?.startsWith('2 normal echo first-queued') && lines[2]?.startsWith('3 normal echo second-queued');
    });
    await dashboard.screenshot('queue-desktop');

    await dashboard.queueEntries().filter({ hasText: 'first-queued' }).getByTestId('queue-cancel').click();
    await waitFor('the queue without the cancelled entry', async () => {
      const lines = await dashboard.queueLines();
      return lines.length === 2 && lines[0]?.startsWith('1 high echo urgent-queued') && lines[1]?.startsWith('2 normal echo second-queued');
    });
    await dashboard.waitForHistory('first-queued', 'cancelled');

    await page.getByTestId('interrupt').click();
    await dashboard.waitForHistory('second-queued', 'completed');
    await dashboard.waitForHistory('urgent-queued', 'completed');
    const text = await dashboard.waitForTerminalText(/urgent-queued[\s\S]*second-queued/);
    expect(text).not.toContain('first-queued');
    await waitFor('an empty queue', async () => (await dashboard.queueEntries().count()) === 0);
  });

  it('emergency stop empties every queue, interrupts every running command, and every dashboard sees it', async () => {
    await using stack = await startStack(['alpha', 'beta']);
    await using pageA = await browser().page();
    await using pageB = await browser().page();
    const [a, b] = [new DashboardPage(pageA), new DashboardPage(pageB)];
    await b.open(stack.server.httpUrl, stack.token);
    await a.open(stack.server.httpUrl, stack.token);
    await (await a.focus()).waitForAgent('beta');
    await a.selectAgent('alpha');
    await a.run('sleep 30');
    await a.running().filter({ hasText: 'sleep 30' }).waitFor();
    await a.run('echo never-runs-1');
    await a.run('echo never-runs-2');
    await a.selectAgent('beta');
    await a.run('sleep 31');
    await b.focus();
    await b.waitForAgent('alpha', 'busy');
    await b.waitForAgent('beta', 'busy');

    await a.focus();
    await pageA.getByTestId('emergency-stop').click();
    await pageA.getByTestId('emergency-dialog').waitFor();
    await a.screenshot('emergency-confirm-desktop');
    await pageA.getByTestId('emergency-confirm').click();

    for (const dashboard of [a, b]) {
      await dashboard.focus();
      const summary = dashboard.page.getByTestId('emergency-summary');
      await summary.waitFor();
      await expect(summary.innerText()).resolves.toBe('2 running commands interrupted, 2 queued commands cancelled');
      await expect(dashboard.page.getByTestId('emergency-banner').innerText()).resolves.toContain('e2e-user');
      await dashboard.waitForAgent('alpha', 'online');
      await dashboard.waitForAgent('beta', 'online');
    }
    await b.selectAgent('alpha');
    await b.waitForHistory('sleep 30', 'cancelled');
    await b.waitForHistory('never-runs-1', 'cancelled');
    await b.waitForHistory('never-runs-2', 'cancelled');
    await waitFor('an empty queue', async () => (await b.queueEntries().count()) === 0);
    await b.screenshot('emergency-desktop');
  });

  it('shows COMMAND_TIMEOUT, AGENT_OFFLINE and RATE_LIMIT as readable notices', async () => {
    await using stack = await startStack(['alpha'], { commandsPerMinute: 2 });
    await using page = await browser().page();
    const dashboard = new DashboardPage(page);
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await dashboard.open(stack.server.httpUrl, stack.token);
    await dashboard.waitForAgent('alpha');

    await dashboard.run('sleep 20', { timeoutSeconds: 1 });
    await dashboard.toast('ran past its timeout').waitFor();
    await dashboard.waitForHistory('sleep 20', 'timeout');

    await stack.agents[0]?.stop();
    await dashboard.waitForAgent('alpha', 'offline');
    await dashboard.submit('echo nobody-home');
    await dashboard.toast('The agent is offline').waitFor();

    // A command over the rate limit is refused in the form itself, which says when to try again.
    await dashboard.submit('echo one-too-many');
    await expect(page.getByTestId('command-rate-limited').innerText()).resolves.toMatch(/accepts the next one in \d+ s/);
    await dashboard.screenshot('notices-desktop');
    expect(consoleErrors).toEqual([]);
  });
});
